// Running SQL on a connection and streaming the last statement's result as Arrow batches.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/database.h"
#include "engine/handles.h"

namespace quiver::engine {

// The statements of an SQL text. Each is prepared only when the ones before it have run, so a
// statement may use what an earlier one created.
class SqlStatements {
 public:
  // An SQL text that fails to parse is an ExecutionError; one without statements is Invalid.
  static arrow::Result<SqlStatements> Parse(duckdb_connection connection, const std::string& sql);
  idx_t size() const { return count_; }
  arrow::Result<PreparedStatement> Prepare(idx_t index) const;

 private:
  duckdb_connection connection_ = nullptr;
  ExtractedStatements extracted_;
  idx_t count_ = 0;
};

// Runs a prepared statement to completion; returns the rows it changed.
arrow::Result<int64_t> RunToCompletion(const PreparedStatement& statement);

// The error held by a failed result: Cancelled when interrupted, ExecutionError otherwise.
arrow::Status StatusFromResult(duckdb_result* result);

arrow::Result<std::shared_ptr<arrow::Schema>> ToArrowSchema(duckdb_arrow_options options,
                                                            duckdb_logical_type* types,
                                                            const char** names, idx_t count);

// The schema a prepared statement's result will have, from its column types (without running it).
arrow::Result<std::shared_ptr<arrow::Schema>> PreparedResultSchema(
    duckdb_connection connection, duckdb_prepared_statement statement);

// The last statement of an SQL text, prepared once the statements before it have run, with the
// schema its result will have: what a query needs to be announced before it starts.
struct PreparedLastStatement {
  std::shared_ptr<PreparedStatement> statement;
  std::shared_ptr<arrow::Schema> schema;
};
arrow::Result<PreparedLastStatement> PrepareLastStatement(Connection& connection,
                                                          const std::string& sql);

// How far the statement running on `connection` is, from 0 to 1; unset when DuckDB cannot
// tell. Safe to call from any thread. Needs the connection's progress bar enabled (see
// EnableProgress).
std::optional<double> QueryProgress(Connection& connection);
// Makes DuckDB track the progress of the connection's statements (without printing it).
arrow::Status EnableProgress(Connection& connection);

// Streams the result of the last statement of an SQL text; holds the connection meanwhile.
class QueryStream : public arrow::RecordBatchReader {
 public:
  static arrow::Result<std::shared_ptr<QueryStream>> Start(std::shared_ptr<Connection> connection,
                                                           const std::string& sql,
                                                           const StreamOptions& options);
  // Streams the result of a prepared statement (with its parameters already bound).
  static arrow::Result<std::shared_ptr<QueryStream>> Run(
      std::shared_ptr<Connection> connection, std::shared_ptr<PreparedStatement> prepared,
      const StreamOptions& options);

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override;

 private:
  QueryStream() = default;
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> NextChunk();

  std::shared_ptr<Connection> connection_;
  std::shared_ptr<PreparedStatement> prepared_;
  PendingResult pending_;
  QueryResult result_;
  ArrowOptions arrow_options_;
  std::shared_ptr<arrow::Schema> schema_;
  StreamOptions options_;
  bool finished_ = false;
};

}  // namespace quiver::engine
