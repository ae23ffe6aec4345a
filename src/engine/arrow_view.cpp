#include "engine/arrow_view.h"

#include <arrow/c/bridge.h>

#include <atomic>

namespace quiver::engine {

arrow::Result<std::unique_ptr<ArrowView>> ArrowView::Register(
    Connection& connection, std::shared_ptr<arrow::RecordBatchReader> reader) {
  static std::atomic<uint64_t> counter{0};
  std::unique_ptr<ArrowView> view(
      new ArrowView(connection, "__quiver_arrow_" + std::to_string(++counter)));
  ARROW_RETURN_NOT_OK(arrow::ExportRecordBatchReader(std::move(reader), &view->stream_));
  if (duckdb_arrow_scan(connection.handle(), view->name_.c_str(),
                        reinterpret_cast<duckdb_arrow_stream>(&view->stream_)) == DuckDBError) {
    return arrow::Status::ExecutionError("cannot read the Arrow stream");
  }
  view->registered_ = true;
  return view;
}

ArrowView::~ArrowView() {
  if (registered_) (void)connection_.Execute("DROP VIEW IF EXISTS " + name_);
  if (stream_.release != nullptr) stream_.release(&stream_);
}

}  // namespace quiver::engine
