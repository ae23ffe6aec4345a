// The single mapping from engine and protocol errors to what Flight clients see.
#pragma once

#include <arrow/status.h>

namespace quiver::server {

// Invalid (INVALID_ARGUMENT), KeyError (NOT_FOUND), NotImplemented (UNIMPLEMENTED), Cancelled
// (CANCELLED) and Flight errors pass through. Everything else, SQL errors from DuckDB included,
// becomes a Flight "Failed" error (gRPC UNKNOWN) carrying the message unchanged, so every client
// call path reports it the same way (pyarrow: FlightServerError), as ClickHouse does.
arrow::Status ToClientStatus(arrow::Status status);

}  // namespace quiver::server
