// A query that runs on a thread of its own while clients poll it (PollFlightInfo): its result is
// stored as tickets piece by piece, and each poll learns the pieces stored so far.
#pragma once

#include <arrow/flight/types.h>
#include <arrow/record_batch.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/execution/query_governor.h"
#include "server/results/ticket_store.h"

namespace quiver::execution {

// What a result has produced so far.
struct ResultSoFar {
  std::vector<arrow::flight::FlightEndpoint> endpoints;
  int64_t rows = 0;
  int64_t bytes = 0;
  bool finished = false;  // every row is in `endpoints`
  arrow::Status error;    // the query failed or was cancelled; no endpoints then
};

class BackgroundResult {
 public:
  using Open = std::function<arrow::Result<std::shared_ptr<arrow::RecordBatchReader>>()>;

  struct Query {
    // Runs the statement and returns its result stream; called on the background thread.
    Open open;
    // What the tickets announce; the stream's schema must have the same fields.
    std::shared_ptr<arrow::Schema> schema;
    // 0..1 while running, unset when unknown; called from polling threads.
    std::function<std::optional<double>()> progress;
    // The query's place among the running ones; interrupting it stops the statement.
    std::unique_ptr<QueryGovernor::Slot> slot;
    // Whatever must stay alive until the statement ends (its connection and session hold).
    std::shared_ptr<void> keep_alive;
  };

  // Starts the query on its own thread; its tickets belong to `owner`.
  BackgroundResult(results::TicketStore& tickets, std::string owner, Query query);
  // Cancels the query if it still runs and waits for the thread.
  ~BackgroundResult();
  BackgroundResult(const BackgroundResult&) = delete;
  BackgroundResult& operator=(const BackgroundResult&) = delete;

  // Waits until there are more than `known_endpoints` endpoints, the query has ended, or
  // `timeout` has passed. Rows already read but not yet in an endpoint are stored as one now
  // rather than waited for, so that a poll returns as soon as anything new exists.
  ResultSoFar WaitBeyond(size_t known_endpoints, std::chrono::milliseconds timeout);
  std::optional<double> progress();
  const std::shared_ptr<arrow::Schema>& schema() const { return query_.schema; }
  // Stops the query and removes its tickets; false when it had already ended.
  bool Cancel();
  bool ended();

 private:
  void Run();
  arrow::Status ReadAll();
  // Stores the rows read since the last endpoint as a new endpoint.
  arrow::Status PublishPieceLocked();
  ResultSoFar SnapshotLocked() const;

  results::TicketStore& tickets_;
  const std::string owner_;
  Query query_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::shared_ptr<results::StoredResult> piece_;
  std::vector<arrow::flight::FlightEndpoint> endpoints_;
  int64_t rows_ = 0;
  int64_t bytes_ = 0;
  int waiting_ = 0;
  bool cancelled_ = false;
  bool ended_ = false;
  arrow::Status error_;
  std::thread worker_;
};

}  // namespace quiver::execution
