// An Arrow record batch stream visible to SQL as a view of one connection, for statements that
// read client data (INSERT ... SELECT, DELETE ... WHERE x IN (SELECT ...)).
#pragma once

#include <arrow/record_batch.h>
#include <arrow/status.h>

#include <memory>
#include <string>

#include "engine/database.h"

namespace quiver::engine {

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
