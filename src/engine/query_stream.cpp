#include "engine/query_stream.h"

#include <arrow/c/bridge.h>
#include <arrow/util/byte_size.h>

#include <algorithm>

#include "engine/arrow_flight_function.h"

namespace quiver::engine {

arrow::Result<SqlStatements> SqlStatements::Parse(duckdb_connection connection,
                                                  const std::string& sql) {
  // Every SQL text passes here, so this is where the security policy reads it (database.h).
  if (auto policy = Database::SecurityOf(connection)) ARROW_RETURN_NOT_OK(CheckSqlText(*policy, sql));
  // The four-argument form of arrow_flight() is a macro (see there).
  DefineArrowFlightMacro(connection, sql);
  SqlStatements statements;
  statements.connection_ = connection;
  statements.count_ =
      duckdb_extract_statements(connection, sql.c_str(), statements.extracted_.out());
  if (statements.count_ == 0) {
    const char* error = duckdb_extract_statements_error(statements.extracted_.get());
    if (error != nullptr) return arrow::Status::ExecutionError(error);
    return arrow::Status::Invalid("Empty query.");
  }
  return statements;
}

arrow::Result<PreparedStatement> SqlStatements::Prepare(idx_t index) const {
  PreparedStatement prepared;
  if (duckdb_prepare_extracted_statement(connection_, extracted_.get(), index, prepared.out()) ==
      DuckDBError) {
    return PrepareError(connection_, duckdb_prepare_error(prepared.get()));
  }
  // security.allow_attach / allow_extensions refuse some kinds of statements (database.h).
  ARROW_RETURN_NOT_OK(CheckPreparedStatement(connection_, prepared.get()));
  return prepared;
}

arrow::Result<int64_t> RunToCompletion(const PreparedStatement& statement) {
  QueryResult result;
  if (duckdb_execute_prepared(statement.get(), result.out()) == DuckDBError) {
    return StatusFromResult(result.get());
  }
  return static_cast<int64_t>(duckdb_rows_changed(result.get()));
}

arrow::Status StatusFromResult(duckdb_result* result) {
  const char* error = duckdb_result_error(result);
  const std::string message = error ? error : "unknown DuckDB error";
  if (duckdb_result_error_type(result) == DUCKDB_ERROR_INTERRUPT) {
    return arrow::Status::Cancelled("Query was cancelled: ", message);
  }
  return arrow::Status::ExecutionError(message);
}

arrow::Result<std::shared_ptr<arrow::Schema>> ToArrowSchema(duckdb_arrow_options options,
                                                            duckdb_logical_type* types,
                                                            const char** names, idx_t count) {
  struct ArrowSchema c_schema {};
  ARROW_RETURN_NOT_OK(
      StatusFromErrorData(duckdb_to_arrow_schema(options, types, names, count, &c_schema)));
  return arrow::ImportSchema(&c_schema);
}

namespace {

// Runs every statement of `sql` but the last, and returns the last one prepared.
arrow::Result<PreparedStatement> RunAllButLast(duckdb_connection connection,
                                               const std::string& sql) {
  ARROW_ASSIGN_OR_RAISE(auto statements, SqlStatements::Parse(connection, sql));
  for (idx_t i = 0; i + 1 < statements.size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto statement, statements.Prepare(i));
    ARROW_RETURN_NOT_OK(RunToCompletion(statement));
  }
  return statements.Prepare(statements.size() - 1);
}

}  // namespace

arrow::Result<std::shared_ptr<arrow::Schema>> PreparedResultSchema(
    duckdb_connection connection, duckdb_prepared_statement statement) {
  const idx_t count = duckdb_prepared_statement_column_count(statement);
  std::vector<LogicalType> types(count);
  std::vector<duckdb_logical_type> raw_types(count);
  std::vector<std::string> names(count);
  std::vector<const char*> raw_names(count);
  for (idx_t i = 0; i < count; ++i) {
    types[i] = LogicalType(duckdb_prepared_statement_column_logical_type(statement, i));
    raw_types[i] = types[i].get();
    // A copy that the caller frees.
    const char* name = duckdb_prepared_statement_column_name(statement, i);
    names[i] = name ? name : "";
    if (name) duckdb_free(const_cast<char*>(name));
    raw_names[i] = names[i].c_str();
  }
  ArrowOptions arrow_options;
  duckdb_connection_get_arrow_options(connection, arrow_options.out());
  return ToArrowSchema(arrow_options.get(), raw_types.data(), raw_names.data(), count);
}

arrow::Result<PreparedLastStatement> PrepareLastStatement(Connection& connection,
                                                          const std::string& sql) {
  ARROW_ASSIGN_OR_RAISE(auto last, RunAllButLast(connection.handle(), sql));
  PreparedLastStatement result{std::make_shared<PreparedStatement>(std::move(last)), nullptr};
  ARROW_ASSIGN_OR_RAISE(result.schema,
                        PreparedResultSchema(connection.handle(), result.statement->get()));
  return result;
}

std::optional<double> QueryProgress(Connection& connection) {
  const duckdb_query_progress_type progress = duckdb_query_progress(connection.handle());
  if (progress.percentage < 0) return std::nullopt;
  return std::clamp(progress.percentage / 100.0, 0.0, 1.0);
}

arrow::Status EnableProgress(Connection& connection) {
  // progress_bar_time = 0: from the first moment, not after DuckDB's default two seconds.
  return connection
      .Execute(
          "SET enable_progress_bar = true; SET enable_progress_bar_print = false; "
          "SET progress_bar_time = 0")
      .status();
}

arrow::Result<std::shared_ptr<QueryStream>> QueryStream::Start(
    std::shared_ptr<Connection> connection, const std::string& sql, const StreamOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto last, RunAllButLast(connection->handle(), sql));
  return Run(std::move(connection), std::make_shared<PreparedStatement>(std::move(last)), options);
}

arrow::Result<std::shared_ptr<QueryStream>> QueryStream::Run(
    std::shared_ptr<Connection> connection, std::shared_ptr<PreparedStatement> prepared,
    const StreamOptions& options) {
  auto stream = std::shared_ptr<QueryStream>(new QueryStream());
  stream->connection_ = std::move(connection);
  stream->prepared_ = std::move(prepared);
  stream->options_ = options;
  if (duckdb_pending_prepared_streaming(stream->prepared_->get(), stream->pending_.out()) ==
      DuckDBError) {
    const char* error = duckdb_pending_error(stream->pending_.get());
    return arrow::Status::ExecutionError(error ? error : "cannot start query");
  }
  if (duckdb_execute_pending(stream->pending_.get(), stream->result_.out()) == DuckDBError) {
    return StatusFromResult(stream->result_.get());
  }

  duckdb_result* result = stream->result_.get();
  const idx_t count = duckdb_column_count(result);
  std::vector<LogicalType> types(count);
  std::vector<duckdb_logical_type> raw_types(count);
  std::vector<const char*> names(count);
  for (idx_t i = 0; i < count; ++i) {
    types[i] = LogicalType(duckdb_column_logical_type(result, i));
    raw_types[i] = types[i].get();
    names[i] = duckdb_column_name(result, i);
  }
  *stream->arrow_options_.out() = duckdb_result_get_arrow_options(result);
  ARROW_ASSIGN_OR_RAISE(stream->schema_, ToArrowSchema(stream->arrow_options_.get(),
                                                       raw_types.data(), names.data(), count));
  return stream;
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> QueryStream::NextChunk() {
  DataChunk chunk(duckdb_fetch_chunk(*result_.get()));
  if (!chunk) {
    if (duckdb_result_error(result_.get()) != nullptr) return StatusFromResult(result_.get());
    return nullptr;
  }
  struct ArrowArray c_array {};
  ARROW_RETURN_NOT_OK(
      StatusFromErrorData(duckdb_data_chunk_to_arrow(arrow_options_.get(), chunk.get(), &c_array)));
  return arrow::ImportRecordBatch(&c_array, schema_);
}

arrow::Status QueryStream::ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) {
  *batch = nullptr;
  arrow::RecordBatchVector pieces;
  int64_t bytes = 0;
  while (!finished_ && bytes < options_.max_batch_bytes) {
    ARROW_ASSIGN_OR_RAISE(auto piece, NextChunk());
    if (piece == nullptr) {
      finished_ = true;
      // Release DuckDB's resources (and the connection's running query) as early as possible.
      result_.Reset();
      pending_.Reset();
      break;
    }
    if (piece->num_rows() == 0) continue;
    bytes += arrow::util::TotalBufferSize(*piece);
    pieces.push_back(std::move(piece));
  }
  if (pieces.size() == 1) {
    *batch = std::move(pieces[0]);
  } else if (!pieces.empty()) {
    ARROW_ASSIGN_OR_RAISE(*batch, arrow::ConcatenateRecordBatches(pieces));
  }
  return arrow::Status::OK();
}

}  // namespace quiver::engine
