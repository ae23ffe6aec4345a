// Loading a stream of Arrow record batches into a DuckDB table.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/database.h"

namespace quiver::engine {

struct IngestTarget {
  std::vector<std::string> table_path;  // 1 to 3 unquoted name parts
  // Table columns to fill, matched by name to stream fields; empty = every table column that
  // the stream has (missing ones get their defaults, extra stream fields are ignored).
  std::vector<std::string> columns;
  // Create the table from the stream's schema when it does not exist.
  bool create_if_missing = false;
  // What to do when the table exists: append (the default), fail, or replace it by the stream.
  enum class IfExists { kAppend, kFail, kReplace };
  IfExists if_exists = IfExists::kAppend;
  // Create the table as a temporary table of this connection.
  bool temporary = false;
};

// Inserts every batch of `reader` in one statement (all or nothing); returns the rows inserted.
// The reader is consumed on DuckDB's threads while this call blocks.
arrow::Result<int64_t> Ingest(Connection& connection, const IngestTarget& target,
                              std::shared_ptr<arrow::RecordBatchReader> reader);

}  // namespace quiver::engine
