// Starting and stopping the Flight server: listening, signals, graceful shutdown, checkpoint.
#pragma once

#include <arrow/status.h>

#include "common/config.h"

namespace quiver::server {

// Serves until SIGINT or SIGTERM, then stops accepting calls, gives in-flight calls
// `shutdown_grace_seconds` to finish (cancelling the rest) and checkpoints the database.
arrow::Status RunServer(const ServerConfig& config);

}  // namespace quiver::server
