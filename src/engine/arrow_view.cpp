#include "engine/arrow_view.h"

#include <arrow/c/bridge.h>

#include <atomic>
#include <memory>

namespace quiver::engine {
namespace {

class ValidatingBatchReader : public arrow::RecordBatchReader {
 public:
  explicit ValidatingBatchReader(std::shared_ptr<arrow::RecordBatchReader> source)
      : source_(std::move(source)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return source_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    ARROW_RETURN_NOT_OK(source_->ReadNext(batch));
    if (*batch == nullptr) return arrow::Status::OK();
    auto status = ValidateReceivedBatch(**batch);
    if (!status.ok()) batch->reset();
    return status;
  }
  arrow::Status Close() override { return source_->Close(); }

 private:
  std::shared_ptr<arrow::RecordBatchReader> source_;
};

// The stream ExportForDuckDb hands out: Arrow's exported stream plus its schema, exported once.
struct SchemaOwningStream {
  struct ArrowArrayStream inner {};
  struct ArrowSchema schema {};

  static SchemaOwningStream* Of(struct ArrowArrayStream* stream) {
    return static_cast<SchemaOwningStream*>(stream->private_data);
  }
  static void NoRelease(struct ArrowSchema* schema) { schema->release = nullptr; }

  static int GetSchema(struct ArrowArrayStream* stream, struct ArrowSchema* out) {
    auto* self = Of(stream);
    if (self->schema.release == nullptr) {
      const int error = self->inner.get_schema(&self->inner, &self->schema);
      if (error != 0) return error;
    }
    // The copy shares children and strings with self->schema, which owns them.
    *out = self->schema;
    out->release = &NoRelease;
    return 0;
  }
  static int GetNext(struct ArrowArrayStream* stream, struct ArrowArray* out) {
    auto* self = Of(stream);
    return self->inner.get_next(&self->inner, out);
  }
  static const char* GetLastError(struct ArrowArrayStream* stream) {
    auto* self = Of(stream);
    return self->inner.get_last_error(&self->inner);
  }
  static void Release(struct ArrowArrayStream* stream) {
    auto* self = Of(stream);
    if (self->schema.release != nullptr) self->schema.release(&self->schema);
    if (self->inner.release != nullptr) self->inner.release(&self->inner);
    delete self;
    stream->release = nullptr;
  }
};

}  // namespace

arrow::Status ExportForDuckDb(std::shared_ptr<arrow::RecordBatchReader> reader,
                              struct ArrowArrayStream* out) {
  auto owned = std::make_unique<SchemaOwningStream>();
  ARROW_RETURN_NOT_OK(arrow::ExportRecordBatchReader(std::move(reader), &owned->inner));
  out->get_schema = &SchemaOwningStream::GetSchema;
  out->get_next = &SchemaOwningStream::GetNext;
  out->get_last_error = &SchemaOwningStream::GetLastError;
  out->release = &SchemaOwningStream::Release;
  out->private_data = owned.release();
  return arrow::Status::OK();
}

arrow::Status ValidateReceivedBatch(const arrow::RecordBatch& batch) {
  auto status = batch.ValidateFull();
  if (status.ok()) return status;
  return arrow::Status::Invalid("Invalid Arrow record batch: ", status.message());
}

std::shared_ptr<arrow::RecordBatchReader> ValidatingReader(
    std::shared_ptr<arrow::RecordBatchReader> source) {
  return std::make_shared<ValidatingBatchReader>(std::move(source));
}

arrow::Result<std::unique_ptr<ArrowView>> ArrowView::Register(
    Connection& connection, std::shared_ptr<arrow::RecordBatchReader> reader) {
  static std::atomic<uint64_t> counter{0};
  std::unique_ptr<ArrowView> view(
      new ArrowView(connection, "__quiver_arrow_" + std::to_string(++counter)));
  ARROW_RETURN_NOT_OK(ExportForDuckDb(std::move(reader), &view->stream_));
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
