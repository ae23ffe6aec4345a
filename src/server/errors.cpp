#include "server/errors.h"

#include <arrow/flight/types.h>

namespace quiver::server {

arrow::Status ToClientStatus(arrow::Status status) {
  if (status.ok() || status.IsInvalid() || status.IsKeyError() || status.IsNotImplemented() ||
      status.IsCancelled() || arrow::flight::FlightStatusDetail::UnwrapStatus(status)) {
    return status;
  }
  return arrow::flight::MakeFlightError(arrow::flight::FlightStatusCode::Failed, status.message());
}

}  // namespace quiver::server
