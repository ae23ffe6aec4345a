#include "engine/database.h"

#include <arrow/c/bridge.h>

#include "engine/arrow_flight_function.h"
#include "engine/handles.h"
#include "engine/query_stream.h"

namespace quiver::engine {

arrow::Status StatusFromErrorData(duckdb_error_data error) {
  if (error == nullptr) return arrow::Status::OK();
  arrow::Status status;
  if (duckdb_error_data_has_error(error)) {
    status = arrow::Status::ExecutionError(duckdb_error_data_message(error));
  }
  duckdb_destroy_error_data(&error);
  return status;
}

arrow::Result<std::shared_ptr<Database>> Database::Open(const std::string& path,
                                                        const DatabaseOptions& options) {
  duckdb_database handle = nullptr;
  char* error = nullptr;
  if (duckdb_open_ext(path.c_str(), &handle, nullptr, &error) == DuckDBError) {
    arrow::Status status =
        arrow::Status::IOError("cannot open DuckDB database '", path, "': ", error ? error : "");
    if (error) duckdb_free(error);
    return status;
  }
  auto database = std::shared_ptr<Database>(new Database(handle, path));
  if (duckdb_connect(database->handle_, &database->functions_) == DuckDBError) {
    return arrow::Status::IOError("cannot open a DuckDB connection");
  }
  ARROW_RETURN_NOT_OK(
      RegisterArrowFlightFunction(database->functions_, options.flight_connections));
  return database;
}

Database::Database(duckdb_database handle, std::string path)
    : handle_(handle), path_(std::move(path)) {}

Database::~Database() {
  if (functions_ != nullptr) duckdb_disconnect(&functions_);
  duckdb_close(&handle_);
}

arrow::Result<std::shared_ptr<Connection>> Database::Connect() {
  duckdb_connection connection = nullptr;
  if (duckdb_connect(handle_, &connection) == DuckDBError) {
    return arrow::Status::IOError("cannot open a DuckDB connection");
  }
  return std::shared_ptr<Connection>(new Connection(shared_from_this(), connection));
}

arrow::Status Database::Checkpoint() {
  if (path_ == ":memory:") return arrow::Status::OK();
  ARROW_ASSIGN_OR_RAISE(auto connection, Connect());
  return connection->Execute("CHECKPOINT").status();
}

Connection::Connection(std::shared_ptr<Database> database, duckdb_connection handle)
    : database_(std::move(database)), handle_(handle) {}

Connection::~Connection() { duckdb_disconnect(&handle_); }

void Connection::Interrupt() { duckdb_interrupt(handle_); }

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> Connection::Query(
    const std::string& sql, const StreamOptions& options) {
  return QueryStream::Start(shared_from_this(), sql, options);
}

arrow::Result<int64_t> Connection::Execute(const std::string& sql) {
  ARROW_ASSIGN_OR_RAISE(auto statements, SqlStatements::Parse(handle_, sql));
  int64_t rows_changed = 0;
  for (idx_t i = 0; i < statements.size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto statement, statements.Prepare(i));
    ARROW_ASSIGN_OR_RAISE(rows_changed, RunToCompletion(statement));
  }
  return rows_changed;
}

arrow::Result<std::shared_ptr<arrow::Schema>> Connection::Describe(const std::string& sql) {
  ARROW_ASSIGN_OR_RAISE(auto statements, SqlStatements::Parse(handle_, sql));
  ARROW_ASSIGN_OR_RAISE(auto statement, statements.Prepare(statements.size() - 1));
  duckdb_prepared_statement prepared = statement.get();
  const idx_t count = duckdb_prepared_statement_column_count(prepared);
  std::vector<LogicalType> types(count);
  std::vector<duckdb_logical_type> raw_types(count);
  std::vector<std::string> names(count);
  std::vector<const char*> raw_names(count);
  for (idx_t i = 0; i < count; ++i) {
    types[i] = LogicalType(duckdb_prepared_statement_column_logical_type(prepared, i));
    raw_types[i] = types[i].get();
    const char* name = duckdb_prepared_statement_column_name(prepared, i);
    names[i] = name ? name : "";
    raw_names[i] = names[i].c_str();
  }
  ArrowOptions arrow_options;
  duckdb_connection_get_arrow_options(handle_, arrow_options.out());
  return ToArrowSchema(arrow_options.get(), raw_types.data(), raw_names.data(), count);
}

}  // namespace quiver::engine
