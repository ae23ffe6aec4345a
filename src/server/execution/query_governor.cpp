#include "server/execution/query_governor.h"

#include <arrow/flight/types.h>

namespace quiver::execution {
namespace {

constexpr auto kWatchInterval = std::chrono::milliseconds(50);

}  // namespace

QueryGovernor::QueryGovernor(Limits limits)
    : limits_(limits), watchdog_([this] { WatchUntilStopped(); }) {}

QueryGovernor::~QueryGovernor() {
  Shutdown();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  watchdog_.join();
}

arrow::Result<std::unique_ptr<QueryGovernor::Slot>> QueryGovernor::Admit(
    std::function<bool()> client_gone) {
  std::unique_lock lock(mutex_);
  auto has_room = [&] {
    return shutting_down_ || limits_.max_concurrent_queries <= 0 ||
           static_cast<int64_t>(running_.size()) < limits_.max_concurrent_queries;
  };
  if (!slot_freed_.wait_for(lock, limits_.admission_wait, has_room)) {
    return arrow::flight::MakeFlightError(
        arrow::flight::FlightStatusCode::Unavailable,
        "Too many queries are running (max_concurrent_queries = " +
            std::to_string(limits_.max_concurrent_queries) + "); try again later");
  }
  if (shutting_down_) {
    return arrow::flight::MakeFlightError(arrow::flight::FlightStatusCode::Unavailable,
                                          "The server is shutting down");
  }
  running_.push_back({std::move(client_gone), nullptr, std::chrono::steady_clock::now()});
  return std::unique_ptr<Slot>(new Slot(this, std::prev(running_.end())));
}

void QueryGovernor::Shutdown() {
  std::lock_guard lock(mutex_);
  shutting_down_ = true;
  for (auto& watched : running_) StopLocked(watched, StopReason::kShutdown);
  slot_freed_.notify_all();
}

size_t QueryGovernor::running() {
  std::lock_guard lock(mutex_);
  return running_.size();
}

void QueryGovernor::StopLocked(Watched& watched, StopReason reason) {
  if (watched.stopped == StopReason::kNone) watched.stopped = reason;
  if (watched.connection) watched.connection->Interrupt();
}

void QueryGovernor::Release(std::list<Watched>::iterator entry) {
  {
    std::lock_guard lock(mutex_);
    running_.erase(entry);
  }
  slot_freed_.notify_one();
}

void QueryGovernor::WatchUntilStopped() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, kWatchInterval);
    const auto now = std::chrono::steady_clock::now();
    for (auto& watched : running_) {
      if (watched.stopped != StopReason::kNone) {
        // Again: DuckDB forgets an interrupt that arrives before its statement starts.
        if (watched.connection) watched.connection->Interrupt();
      } else if (watched.client_gone && watched.client_gone()) {
        StopLocked(watched, StopReason::kClientGone);
      } else if (limits_.query_timeout.count() > 0 &&
                 now - watched.started > limits_.query_timeout) {
        StopLocked(watched, StopReason::kTimeout);
      }
    }
  }
}

QueryGovernor::Slot::~Slot() { governor_->Release(entry_); }

void QueryGovernor::Slot::Watch(std::shared_ptr<engine::Connection> connection) {
  std::lock_guard lock(governor_->mutex_);
  entry_->connection = std::move(connection);
  if (entry_->stopped != StopReason::kNone && entry_->connection) entry_->connection->Interrupt();
}

void QueryGovernor::Slot::Interrupt() {
  std::lock_guard lock(governor_->mutex_);
  governor_->StopLocked(*entry_, StopReason::kInterrupted);
}

arrow::Status QueryGovernor::Slot::Explain(arrow::Status status) const {
  if (status.ok() || !status.IsCancelled()) return status;
  StopReason reason;
  {
    std::lock_guard lock(governor_->mutex_);
    reason = entry_->stopped;
  }
  switch (reason) {
    case StopReason::kTimeout:
      return arrow::flight::MakeFlightError(
          arrow::flight::FlightStatusCode::TimedOut,
          "Query exceeded query_timeout_seconds (" +
              std::to_string(governor_->limits_.query_timeout.count()) + " s) and was stopped");
    case StopReason::kShutdown:
      return arrow::flight::MakeFlightError(arrow::flight::FlightStatusCode::Unavailable,
                                            "Query stopped: the server is shutting down");
    default:
      return status;
  }
}

}  // namespace quiver::execution
