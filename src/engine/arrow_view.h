// An Arrow record batch stream visible to SQL as a view of one connection, for statements that
// read client data (INSERT ... SELECT, DELETE ... WHERE x IN (SELECT ...)).
#pragma once

#include <arrow/record_batch.h>
#include <arrow/status.h>

#include <memory>
#include <string>

#include "engine/database.h"

namespace quiver::engine {

// Arrow data from outside the process (DoPut streams, CloudQuery records, remote Flight services)
// comes through IPC readers, which check the framing but not the arrays: offsets, lengths,
// dictionary indices and UTF-8 are taken as sent. DuckDB and Arrow's kernels trust the arrays
// they are given, so every such batch is fully validated first (Invalid, naming the problem).
arrow::Status ValidateReceivedBatch(const arrow::RecordBatch& batch);
// `source` with ValidateReceivedBatch applied to every batch it yields.
std::shared_ptr<arrow::RecordBatchReader> ValidatingReader(
    std::shared_ptr<arrow::RecordBatchReader> source);

// Exports `reader` as the stream duckdb_arrow_scan reads. DuckDB asks the stream for its schema
// each time a statement binds the view and never frees what it gets (it clears the release
// callback), so a stream exported straight from Arrow leaks a schema per statement; this one
// exports the schema once, hands DuckDB shallow copies and frees it with the stream.
arrow::Status ExportForDuckDb(std::shared_ptr<arrow::RecordBatchReader> reader,
                              struct ArrowArrayStream* out);

// Registers the reader under a fresh name; drops the view and releases the stream when
// destroyed. DuckDB reads the stream once, when a statement scans the view.
class ArrowView {
 public:
  static arrow::Result<std::unique_ptr<ArrowView>> Register(
      Connection& connection, std::shared_ptr<arrow::RecordBatchReader> reader);
  ~ArrowView();
  ArrowView(const ArrowView&) = delete;
  ArrowView& operator=(const ArrowView&) = delete;

  // The view's name, safe to paste into SQL as is.
  const std::string& name() const { return name_; }

 private:
  ArrowView(Connection& connection, std::string name)
      : connection_(connection), name_(std::move(name)) {}
  Connection& connection_;
  std::string name_;
  struct ArrowArrayStream stream_ {};
  bool registered_ = false;
};

}  // namespace quiver::engine
