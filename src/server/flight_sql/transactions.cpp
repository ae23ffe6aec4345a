#include "server/flight_sql/transactions.h"

#include "common/random_id.h"

namespace quiver::flight_sql {

TransactionStore::~TransactionStore() {
  // Connections close on destruction, which rolls back whatever was left open.
  std::lock_guard lock(mutex_);
  entries_.clear();
}

arrow::Result<std::string> TransactionStore::Begin(const std::string& user) {
  ARROW_ASSIGN_OR_RAISE(auto connection, database_->Connect());
  ARROW_RETURN_NOT_OK(connection->Execute("BEGIN TRANSACTION"));
  std::string id = "~TXN-" + RandomUuid();
  std::lock_guard lock(mutex_);
  entries_[id] = Entry{user, std::move(connection)};
  return id;
}

arrow::Result<ConnectionLease> TransactionStore::Lease(const std::string& id,
                                                       const std::string& user) {
  std::shared_ptr<engine::Connection> connection;
  std::shared_ptr<std::mutex> entry_mutex;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.user != user) {
      return arrow::Status::KeyError("Transaction '", id, "' not found");
    }
    connection = it->second.connection;
    entry_mutex = it->second.mutex;
  }
  std::unique_lock<std::mutex> lock(*entry_mutex);
  return ConnectionLease{std::move(connection), std::move(entry_mutex), std::move(lock)};
}

arrow::Status TransactionStore::End(const std::string& id, const std::string& user,
                                    bool commit) {
  ARROW_ASSIGN_OR_RAISE(auto lease, Lease(id, user));
  auto status = lease.connection->Execute(commit ? "COMMIT" : "ROLLBACK").status();
  {
    std::lock_guard lock(mutex_);
    entries_.erase(id);
  }
  return status;
}

size_t TransactionStore::size() {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace quiver::flight_sql
