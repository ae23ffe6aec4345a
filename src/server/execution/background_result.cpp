#include "server/execution/background_result.h"

#include <arrow/type.h>
#include <arrow/util/byte_size.h>

#include "server/results/flight_info_builder.h"

namespace quiver::execution {

BackgroundResult::BackgroundResult(results::TicketStore& tickets, std::string owner, Query query)
    : tickets_(tickets), owner_(std::move(owner)), query_(std::move(query)) {
  piece_ = std::make_shared<results::StoredResult>();
  piece_->schema = query_.schema;
  worker_ = std::thread([this] { Run(); });
}

BackgroundResult::~BackgroundResult() {
  Cancel();
  worker_.join();
}

bool BackgroundResult::Cancel() {
  std::lock_guard lock(mutex_);
  if (ended_) return false;
  cancelled_ = true;
  query_.slot->Interrupt();
  return true;
}

bool BackgroundResult::ended() {
  std::lock_guard lock(mutex_);
  return ended_;
}

std::optional<double> BackgroundResult::progress() {
  {
    std::lock_guard lock(mutex_);
    if (ended_) return error_.ok() ? std::optional<double>(1.0) : std::nullopt;
  }
  return query_.progress ? query_.progress() : std::nullopt;
}

ResultSoFar BackgroundResult::WaitBeyond(size_t known_endpoints,
                                         std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  ++waiting_;
  while (!ended_ && endpoints_.size() <= known_endpoints) {
    if (piece_->rows > 0) {
      if (auto status = PublishPieceLocked(); !status.ok() && error_.ok()) {
        // The rows of the piece are lost: the query cannot deliver its whole result any more.
        error_ = status;
        cancelled_ = true;
        query_.slot->Interrupt();
      }
      break;
    }
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) break;
  }
  --waiting_;
  return SnapshotLocked();
}

ResultSoFar BackgroundResult::SnapshotLocked() const {
  ResultSoFar so_far;
  so_far.error = error_;
  if (!error_.ok()) return so_far;
  so_far.endpoints = endpoints_;
  so_far.rows = rows_;
  so_far.bytes = bytes_;
  so_far.finished = ended_;
  return so_far;
}

arrow::Status BackgroundResult::PublishPieceLocked() {
  const int64_t rows = piece_->rows;
  const int64_t bytes = piece_->bytes;
  auto piece = std::move(piece_);
  piece_ = std::make_shared<results::StoredResult>();
  piece_->schema = query_.schema;
  ARROW_ASSIGN_OR_RAISE(auto issued, tickets_.Add(std::move(piece), owner_));
  arrow::flight::FlightEndpoint endpoint;
  endpoint.ticket.ticket = issued.ticket;
  if (issued.expires) endpoint.expiration_time = *issued.expires;
  endpoints_.push_back(std::move(endpoint));
  rows_ += rows;
  bytes_ += bytes;
  changed_.notify_all();
  return arrow::Status::OK();
}

arrow::Status BackgroundResult::ReadAll() {
  ARROW_ASSIGN_OR_RAISE(auto reader, query_.open());
  if (!reader->schema()->Equals(*query_.schema, /*check_metadata=*/false)) {
    return arrow::Status::Invalid("The query's result (", reader->schema()->ToString(),
                                  ") does not have the schema it was described with (",
                                  query_.schema->ToString(), ")");
  }
  while (true) {
    ARROW_ASSIGN_OR_RAISE(auto batch, reader->Next());
    std::lock_guard lock(mutex_);
    if (!error_.ok()) return error_;
    if (cancelled_) return arrow::Status::Cancelled("Query was cancelled");
    if (batch == nullptr) {
      if (piece_->rows > 0 || endpoints_.empty()) ARROW_RETURN_NOT_OK(PublishPieceLocked());
      return arrow::Status::OK();
    }
    piece_->rows += batch->num_rows();
    piece_->bytes += arrow::util::TotalBufferSize(*batch);
    piece_->batches.push_back(std::move(batch));
    if (piece_->bytes >= results::kEndpointBytes || waiting_ > 0) {
      ARROW_RETURN_NOT_OK(PublishPieceLocked());
    }
  }
}

void BackgroundResult::Run() {
  arrow::Status status = ReadAll();
  std::unique_ptr<QueryGovernor::Slot> slot;
  std::shared_ptr<void> keep_alive;
  std::vector<arrow::flight::FlightEndpoint> abandoned;
  {
    std::lock_guard lock(mutex_);
    if (status.ok() && cancelled_) status = arrow::Status::Cancelled("Query was cancelled");
    if (!status.ok()) {
      if (error_.ok()) error_ = query_.slot->Explain(status);
      // Nobody may read part of a failed result.
      abandoned = std::move(endpoints_);
      endpoints_.clear();
      piece_.reset();
    }
    ended_ = true;
    slot = std::move(query_.slot);
    keep_alive = std::move(query_.keep_alive);
  }
  changed_.notify_all();
  for (const auto& endpoint : abandoned) tickets_.Remove(endpoint.ticket.ticket);
}

}  // namespace quiver::execution
