// Watches every query the server runs: admits at most `max_concurrent_queries` at once and
// interrupts a query in DuckDB when its client goes away (cancelled call, passed deadline), when
// it runs longer than `query_timeout_seconds`, or when the server shuts down.
#pragma once

#include <arrow/result.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/database.h"

namespace quiver::execution {

class QueryGovernor {
  struct Watched;

 public:
  struct Limits {
    int64_t max_concurrent_queries = 0;  // 0: no limit
    std::chrono::seconds query_timeout{0};  // 0: none
    // How long a query waits for a free slot before it is refused.
    std::chrono::milliseconds admission_wait{5000};
  };

  explicit QueryGovernor(Limits limits);
  // Interrupts what still runs and stops the watchdog thread.
  ~QueryGovernor();
  QueryGovernor(const QueryGovernor&) = delete;
  QueryGovernor& operator=(const QueryGovernor&) = delete;

  // A query's place among the running ones; leaving it (destruction) frees the slot.
  class Slot {
   public:
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    // The query's connection (set once the query has one); it is interrupted from now on when
    // the query is stopped.
    void Watch(std::shared_ptr<engine::Connection> connection);
    // Stops the query: interrupts its connection (any thread).
    void Interrupt();
    // Replaces the Cancelled status of an interrupted query by the reason it was stopped
    // (timeout: TimedOut; shutdown: Unavailable); other statuses pass through.
    arrow::Status Explain(arrow::Status status) const;

   private:
    friend class QueryGovernor;
    Slot(QueryGovernor* governor, std::list<Watched>::iterator entry)
        : governor_(governor), entry_(entry) {}
    QueryGovernor* governor_;
    std::list<Watched>::iterator entry_;
  };

  // Admits a query, waiting up to Limits::admission_wait for a free slot (then Unavailable).
  // `client_gone` (may be empty) is asked about every 50 ms from the watchdog thread while the
  // slot exists; when it answers true the query is interrupted.
  arrow::Result<std::unique_ptr<Slot>> Admit(std::function<bool()> client_gone);

  // Interrupts every running query and refuses new ones (server shutdown).
  void Shutdown();
  size_t running();

 private:
  enum class StopReason { kNone, kClientGone, kTimeout, kShutdown, kInterrupted };
  struct Watched {
    std::function<bool()> client_gone;
    std::shared_ptr<engine::Connection> connection;
    std::chrono::steady_clock::time_point started;
    StopReason stopped = StopReason::kNone;
  };

  void StopLocked(Watched& watched, StopReason reason);
  void Release(std::list<Watched>::iterator entry);
  void WatchUntilStopped();

  const Limits limits_;
  std::mutex mutex_;
  std::condition_variable slot_freed_;
  std::condition_variable wake_;
  std::list<Watched> running_;
  bool shutting_down_ = false;
  bool stopping_ = false;
  std::thread watchdog_;
};

}  // namespace quiver::execution
