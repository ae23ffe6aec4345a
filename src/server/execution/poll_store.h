// Poll descriptors (`~POLL-<uuid>`) of the queries started by PollFlightInfo. Each descriptor
// names one step of its query: answering it waits briefly for new rows, then replies with every
// endpoint stored so far and, while the query runs, the descriptor of the next step. Answers are
// kept, so polling one descriptor again gives the same reply.
#pragma once

#include <arrow/flight/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "common/clock.h"
#include "server/execution/background_result.h"

namespace quiver::execution {

inline constexpr std::string_view kPollPrefix = "~POLL-";

class PollStore {
 public:
  struct Options {
    // A descriptor expires this long after its last use (0: never); a query whose newest
    // descriptor expires is cancelled.
    std::chrono::seconds lifetime{600};
    // Forget a descriptor once it has been answered.
    bool drop_after_answer = false;
    // The longest a poll waits for new rows before it answers with what there is.
    std::chrono::milliseconds poll_wait{2000};
  };

  PollStore(const Clock& clock, Options options);
  // Cancels the queries still running.
  ~PollStore();
  PollStore(const PollStore&) = delete;
  PollStore& operator=(const PollStore&) = delete;

  static bool IsPollDescriptor(const arrow::flight::FlightDescriptor& descriptor);

  // Registers a started query of `user`: the reply names its first descriptor, no endpoints yet.
  arrow::Result<arrow::flight::PollInfo> Start(const std::string& user,
                                               const arrow::flight::FlightDescriptor& original,
                                               std::shared_ptr<BackgroundResult> result);
  // Answers a descriptor of `user` (NotFound-style KeyError for unknown, expired or another
  // user's descriptors).
  arrow::Result<arrow::flight::PollInfo> Poll(const std::string& descriptor,
                                              const std::string& user);
  arrow::Result<std::shared_ptr<arrow::Schema>> Schema(const std::string& descriptor,
                                                       const std::string& user);
  // Cancels the running query `query_id` of `user` and drops its descriptors; false when there
  // is no such running query.
  bool Cancel(const std::string& query_id, const std::string& user);
  // Cancels every running query (server shutdown).
  void CancelAll();
  size_t running_queries();

 private:
  struct Query {
    std::string id;
    std::string user;
    arrow::flight::FlightDescriptor original;
    std::shared_ptr<BackgroundResult> result;
  };
  // One answer, computed once.
  struct Evaluation {
    std::mutex mutex;
    std::atomic<bool> done = false;  // also read without the mutex, by the sweeper
    arrow::Result<arrow::flight::PollInfo> reply;
  };
  struct Descriptor {
    std::shared_ptr<Query> query;
    size_t known_endpoints = 0;  // endpoints the previous answer reported
    std::optional<TimePoint> expires;
    std::shared_ptr<Evaluation> answer;
  };

  std::optional<TimePoint> ExpiryFrom(TimePoint now) const;
  // A new descriptor of `query`; returns its name and expiry.
  std::pair<std::string, std::optional<TimePoint>> AddDescriptorLocked(
      const std::shared_ptr<Query>& query, size_t known_endpoints, TimePoint now);
  arrow::Result<Descriptor> FindLocked(const std::string& descriptor, const std::string& user,
                                       TimePoint now);
  arrow::Result<arrow::flight::PollInfo> Evaluate(const Descriptor& entry);
  // Drops expired descriptors; returns the queries whose newest descriptor expired unanswered.
  std::vector<std::shared_ptr<Query>> PurgeExpiredLocked(TimePoint now);
  void DropQueryLocked(const std::string& query_id);
  void SweepUntilStopped();

  const Clock& clock_;
  const Options options_;
  std::mutex mutex_;
  std::unordered_map<std::string, Descriptor> descriptors_;
  // Running queries by id (removed when they finish or are cancelled).
  std::unordered_map<std::string, std::shared_ptr<Query>> running_;
  bool stopping_ = false;
  std::condition_variable stop_;
  std::thread sweeper_;
};

}  // namespace quiver::execution
