#include "server/results/flight_info_builder.h"

#include <arrow/util/byte_size.h>

namespace quiver::results {
arrow::Result<std::unique_ptr<arrow::flight::FlightInfo>> StoreAsFlightInfo(
    TicketStore& tickets, const std::string& owner, arrow::RecordBatchReader& reader,
    const std::shared_ptr<arrow::Schema>& schema, const arrow::flight::FlightDescriptor& descriptor,
    const std::function<bool()>& cancelled) {
  std::vector<arrow::flight::FlightEndpoint> endpoints;
  int64_t total_rows = 0;
  int64_t total_bytes = 0;
  std::shared_ptr<StoredResult> piece;
  auto start_piece = [&] {
    piece = std::make_shared<StoredResult>();
    piece->schema = schema;
  };
  auto store_piece = [&]() -> arrow::Status {
    // Moved, not copied: the store is then the piece's only owner and frees its batches as soon
    // as it has spilled them.
    ARROW_ASSIGN_OR_RAISE(auto issued, tickets.Add(std::move(piece), owner));
    arrow::flight::FlightEndpoint endpoint;
    endpoint.ticket.ticket = issued.ticket;
    if (issued.expires) endpoint.expiration_time = *issued.expires;
    endpoints.push_back(std::move(endpoint));
    start_piece();
    return arrow::Status::OK();
  };
  auto store_all = [&]() -> arrow::Status {
    start_piece();
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
      if (piece->bytes >= kEndpointBytes) ARROW_RETURN_NOT_OK(store_piece());
    }
    if (piece->rows > 0 || endpoints.empty()) ARROW_RETURN_NOT_OK(store_piece());
    return arrow::Status::OK();
  };
  if (auto status = store_all(); !status.ok()) {
    // Nobody will ever learn these tickets: free their memory or spill files now rather than at
    // expiry.
    for (const auto& endpoint : endpoints) tickets.Remove(endpoint.ticket.ticket);
    return status;
  }
  ARROW_ASSIGN_OR_RAISE(auto info,
                        arrow::flight::FlightInfo::Make(*schema, descriptor, endpoints, total_rows,
                                                        total_bytes, /*ordered=*/true));
  return std::make_unique<arrow::flight::FlightInfo>(std::move(info));
}

}  // namespace quiver::results
