// Turns a result stream into a FlightInfo whose endpoints are tickets in the TicketStore.
#pragma once

#include <arrow/flight/types.h>
#include <arrow/record_batch.h>

#include <functional>
#include <memory>

#include "server/results/ticket_store.h"

namespace quiver::results {

// A result is split into endpoints of about this size so that clients can fetch them in
// parallel, and so that one DoGet never has to hold more than this in flight. While a result is
// stored, the piece being filled is the only part of it outside the ticket store's budget.
inline constexpr int64_t kEndpointBytes = 64 * 1024 * 1024;

// Reads `reader` to the end and stores its batches as tickets of `owner`, one endpoint per
// kEndpointBytes (at least one, even without rows). Each piece goes to the store as soon as it
// is complete, so storing a result holds at most one piece beyond the store's memory budget. `schema` is what the
// FlightInfo and the DoGet streams announce (the reader's schema plus any field metadata).
// `cancelled` is polled between batches; on cancellation or error the pieces stored so far are
// removed.
arrow::Result<std::unique_ptr<arrow::flight::FlightInfo>> StoreAsFlightInfo(
    TicketStore& tickets, const std::string& owner, arrow::RecordBatchReader& reader,
    const std::shared_ptr<arrow::Schema>& schema, const arrow::flight::FlightDescriptor& descriptor,
    const std::function<bool()>& cancelled);

}  // namespace quiver::results
