// TLS and mutual TLS for the Flight listener, with certificate problems reported at start-up.
#pragma once

#include <arrow/flight/server.h>
#include <arrow/status.h>

#include "common/config.h"

namespace quiver::server {

// Reads and checks the PEM files of `tls` (certificate, matching private key, client CA) and
// sets them on `options`. Errors name the setting and the file.
arrow::Status ApplyTls(const TlsConfig& tls, arrow::flight::FlightServerOptions* options);

}  // namespace quiver::server
