// Results kept on the server for later DoGet calls, each under a `~TICKET-<uuid>` name that
// expires `tickets_lifetime_seconds` after it was issued (0 = never).
#pragma once

#include <arrow/record_batch.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"

namespace quiver::results {

// A piece of a query result, fully materialised.
struct StoredResult {
  std::shared_ptr<arrow::Schema> schema;
  arrow::RecordBatchVector batches;
  int64_t rows = 0;
  int64_t bytes = 0;
};

class TicketStore {
 public:
  TicketStore(const Clock& clock, std::chrono::seconds lifetime)
      : clock_(clock), lifetime_(lifetime) {}

  struct Issued {
    std::string ticket;
    std::optional<TimePoint> expires;  // unset when tickets never expire
  };
  Issued Add(std::shared_ptr<const StoredResult> result);
  // The result of a live ticket; nullptr when unknown or expired.
  std::shared_ptr<const StoredResult> Find(const std::string& ticket);
  void Remove(const std::string& ticket);
  // Moves a live ticket's expiry to now + lifetime; nullopt when unknown or expired.
  std::optional<std::optional<TimePoint>> Renew(const std::string& ticket);

  size_t size();
  int64_t bytes();

 private:
  struct Entry {
    std::shared_ptr<const StoredResult> result;
    std::optional<TimePoint> expires;
  };
  std::optional<TimePoint> ExpiryFrom(TimePoint now) const;
  void PurgeExpiredLocked(TimePoint now);

  const Clock& clock_;
  const std::chrono::seconds lifetime_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  int64_t bytes_ = 0;
};

}  // namespace quiver::results
