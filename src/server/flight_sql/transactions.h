// Open transactions (BeginTransaction ... EndTransaction): each owns a DuckDB connection on which
// every statement carrying its id runs, one call at a time.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <arrow/result.h>

#include "engine/database.h"

namespace quiver::flight_sql {

// Exclusive use of a transaction's connection for the duration of one call.
struct ConnectionLease {
  std::shared_ptr<engine::Connection> connection;
  std::shared_ptr<std::mutex> mutex;
  std::unique_lock<std::mutex> lock;
};

class TransactionStore {
 public:
  explicit TransactionStore(std::shared_ptr<engine::Database> database)
      : database_(std::move(database)) {}
  ~TransactionStore();

  // Opens a connection, runs BEGIN on it and returns the new transaction's id.
  arrow::Result<std::string> Begin(const std::string& user);
  // The transaction's connection, locked; NOT_FOUND for unknown ids or another user's.
  arrow::Result<ConnectionLease> Lease(const std::string& id, const std::string& user);
  // COMMIT or ROLLBACK, then forgets the transaction.
  arrow::Status End(const std::string& id, const std::string& user, bool commit);
  size_t size();

 private:
  struct Entry {
    std::string user;
    std::shared_ptr<engine::Connection> connection;
    std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  };
  std::shared_ptr<engine::Database> database_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace quiver::flight_sql
