// The engine: the only code that touches DuckDB's C API. RAII owners for the database and its
// connections; statements run here and come back as Arrow record batch streams.
#pragma once

#include <arrow/c/abi.h>  // must precede duckdb.h, which only forward-declares the Arrow C structs
#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/status.h>
#include <duckdb.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"

namespace quiver::engine {

class Connection;

struct DatabaseOptions {
  // Remote Flight services that arrow_flight('<name>', ...) can read.
  std::vector<FlightConnectionConfig> flight_connections;
  // What SQL may reach outside the database: DuckDB settings fixed at open (external access,
  // extension autoloading) plus the checks of CheckPreparedStatement and CheckSqlText.
  SecurityPolicy security;
};

// Owns a duckdb_database. Thread-safe: connections may be opened from any thread.
class Database : public std::enable_shared_from_this<Database> {
 public:
  // `path` is a DuckDB file or ":memory:". Registers Quiver's table functions (arrow_flight).
  static arrow::Result<std::shared_ptr<Database>> Open(const std::string& path,
                                                       const DatabaseOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // A new connection with its own DuckDB client context (settings, temp objects, transaction).
  arrow::Result<std::shared_ptr<Connection>> Connect();
  // Writes the WAL into the database file (used at shutdown).
  arrow::Status Checkpoint();
  const std::string& path() const { return path_; }
  const SecurityPolicy& security() const { return security_; }
  // The policy of the database a connection opened by Connect() belongs to, when it restricts
  // anything; nullopt for unrestricted databases and for Quiver's own connections.
  static std::optional<SecurityPolicy> SecurityOf(duckdb_connection connection);

 private:
  Database(duckdb_database handle, std::string path, SecurityPolicy security);
  duckdb_database handle_;
  std::string path_;
  SecurityPolicy security_;
  // Registers Quiver's table functions and stays open for them (arrow_flight converts data
  // with it); closed before the database.
  duckdb_connection functions_ = nullptr;
};

// What running SQL produced.
struct StatementOutcome {
  std::shared_ptr<arrow::Schema> schema;
  int64_t rows_changed = 0;
};

struct StreamOptions {
  // Chunks from DuckDB (2,048 rows) are coalesced into batches of at most about this size.
  int64_t max_batch_bytes = 2 * 1024 * 1024;
};

// Owns a duckdb_connection. Not thread-safe except Interrupt(); one statement at a time.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs every statement of `sql`; the result of the last one streams from the reader, which
  // keeps this connection alive and busy until it is destroyed. Statements before the last run
  // to completion here (so DDL/DML take effect before this returns).
  arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> Query(const std::string& sql,
                                                                 const StreamOptions& options);
  // Runs every statement of `sql` to completion, discarding rows; returns the rows changed by
  // the last statement.
  arrow::Result<int64_t> Execute(const std::string& sql);
  // Schema of the last statement's result, without running it (earlier statements are not run
  // either, so the last one must be preparable on its own).
  arrow::Result<std::shared_ptr<arrow::Schema>> Describe(const std::string& sql);
  // Asks a running statement of this connection to stop (any thread).
  void Interrupt();

  duckdb_connection handle() const { return handle_; }
  const SecurityPolicy& security() const { return database_->security(); }

 private:
  friend class Database;
  Connection(std::shared_ptr<Database> database, duckdb_connection handle);
  arrow::Result<int64_t> ExecuteUnchecked(const std::string& sql);
  std::shared_ptr<Database> database_;  // keeps the database open while connections exist
  duckdb_connection handle_;
};

// Converts DuckDB error data into an arrow::Status; takes ownership of `error`.
arrow::Status StatusFromErrorData(duckdb_error_data error);

// Security checks (docs/configuration.md, "Security"). Refusals are Flight "Unauthorized" errors
// (gRPC PERMISSION_DENIED) whose message names the setting that forbids the statement.
//
// The error of a statement DuckDB could not prepare on `connection`: its own permission errors
// (file access disabled) are refusals too; anything else is an ExecutionError.
arrow::Status PrepareError(duckdb_connection connection, const char* message);
// `status` as a refusal when it is one of DuckDB's permission errors, else unchanged.
arrow::Status AsRefusal(duckdb_connection connection, arrow::Status status);
// A statement prepared on `connection`, by kind: ATTACH/DETACH without allow_attach, INSTALL/LOAD
// and UPDATE EXTENSIONS without allow_extensions.
arrow::Status CheckPreparedStatement(duckdb_connection connection,
                                     duckdb_prepared_statement statement);
// SQL text that names what DuckDB does not guard itself: settings that write files or fetch
// extensions (profiling_output, logging_storage, autoload_known_extensions, ...), and functions
// that write files or run SQL built at run time (enable_logging, query, ...).
arrow::Status CheckSqlText(const SecurityPolicy& policy, std::string_view sql);

}  // namespace quiver::engine
