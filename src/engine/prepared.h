// A DuckDB prepared statement that can be bound with Arrow values and run many times.
#pragma once

#include <memory>
#include <string>

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "engine/database.h"

namespace quiver::engine {

struct PreparedStatementHandle;

class PreparedQuery {
 public:
  // Prepares one statement (DuckDB parameters: `?`, `$1`, named `$name`). The connection is
  // kept: the statement only runs on it.
  static arrow::Result<std::unique_ptr<PreparedQuery>> Prepare(
      std::shared_ptr<Connection> connection, const std::string& sql);
  ~PreparedQuery();

  int64_t parameter_count() const { return parameter_count_; }
  // One field per parameter (`parameter_1` ...), typed as DuckDB inferred it; `null` when DuckDB
  // cannot tell before values are bound.
  const std::shared_ptr<arrow::Schema>& parameter_schema() const { return parameter_schema_; }
  // The result's schema; empty for statements that return nothing, null when it depends on the
  // types of the parameters (`SELECT ? * 2`) and is only known once they are bound and run.
  const std::shared_ptr<arrow::Schema>& result_schema() const { return result_schema_; }
  // Whether the statement changes data or schema (INSERT, UPDATE, DELETE, CREATE, ...) rather
  // than returning rows.
  bool is_update() const { return is_update_; }
  const std::shared_ptr<Connection>& connection() const { return connection_; }

  // Binds row `row` of `parameters` (one column per parameter, by position). A batch with fewer
  // or more columns than parameters is Invalid.
  arrow::Status Bind(const arrow::RecordBatch& parameters, int64_t row);
  // Runs the statement and streams its rows.
  arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> Query(const StreamOptions& options);
  // Runs the statement to completion; returns the rows it changed.
  arrow::Result<int64_t> Update();

 private:
  PreparedQuery() = default;
  std::shared_ptr<Connection> connection_;
  std::shared_ptr<PreparedStatementHandle> statement_;
  int64_t parameter_count_ = 0;
  std::shared_ptr<arrow::Schema> parameter_schema_;
  std::shared_ptr<arrow::Schema> result_schema_;
  bool is_update_ = false;
};

}  // namespace quiver::engine
