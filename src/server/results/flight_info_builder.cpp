#include "server/results/flight_info_builder.h"

#include <arrow/util/byte_size.h>

namespace quiver::results {
namespace {

// A result is split into endpoints of about this size so that clients can fetch them in
// parallel, and so that one DoGet never has to hold more than this in flight.
constexpr int64_t kEndpointBytes = 64 * 1024 * 1024;

}  // namespace

arrow::Result<std::unique_ptr<arrow::flight::FlightInfo>> StoreAsFlightInfo(
    TicketStore& tickets, arrow::RecordBatchReader& reader,
    const std::shared_ptr<arrow::Schema>& schema,
    const arrow::flight::FlightDescriptor& descriptor, const std::function<bool()>& cancelled) {
  std::vector<arrow::flight::FlightEndpoint> endpoints;
  int64_t total_rows = 0;
  int64_t total_bytes = 0;
  auto piece = std::make_shared<StoredResult>();
  piece->schema = schema;
  auto store_piece = [&]() {
    auto issued = tickets.Add(piece);
    arrow::flight::FlightEndpoint endpoint;
    endpoint.ticket.ticket = issued.ticket;
    if (issued.expires) endpoint.expiration_time = *issued.expires;
    endpoints.push_back(std::move(endpoint));
  };
  while (true) {
    // The client gave up (or the server is shutting down): stop reading the result.
    if (cancelled()) return arrow::Status::Cancelled("The call was cancelled");
    ARROW_ASSIGN_OR_RAISE(auto batch, reader.Next());
    if (!batch) break;
    const int64_t bytes = arrow::util::TotalBufferSize(*batch);
    piece->rows += batch->num_rows();
    piece->bytes += bytes;
    total_rows += batch->num_rows();
    total_bytes += bytes;
    piece->batches.push_back(std::move(batch));
    if (piece->bytes >= kEndpointBytes) {
      store_piece();
      piece = std::make_shared<StoredResult>();
      piece->schema = schema;
    }
  }
  if (piece->rows > 0 || endpoints.empty()) store_piece();
  ARROW_ASSIGN_OR_RAISE(auto info,
                        arrow::flight::FlightInfo::Make(*schema, descriptor, endpoints, total_rows,
                                                        total_bytes, /*ordered=*/true));
  return std::make_unique<arrow::flight::FlightInfo>(std::move(info));
}

}  // namespace quiver::results
