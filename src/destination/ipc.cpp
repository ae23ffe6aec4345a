#include "destination/ipc.h"

#include <arrow/io/memory.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <arrow/util/key_value_metadata.h>

namespace quiver::destination {

arrow::Result<std::shared_ptr<arrow::Schema>> ReadSchemaBytes(
    std::shared_ptr<arrow::Buffer> bytes) {
  auto input = std::make_shared<arrow::io::BufferReader>(std::move(bytes));
  auto reader = arrow::ipc::RecordBatchStreamReader::Open(input);
  if (!reader.ok()) {
    return arrow::Status::Invalid("cannot read the Arrow schema: ", reader.status().message());
  }
  return (*reader)->schema();
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> ReadRecordBytes(
    std::shared_ptr<arrow::Buffer> bytes) {
  auto input = std::make_shared<arrow::io::BufferReader>(std::move(bytes));
  auto reader = arrow::ipc::RecordBatchStreamReader::Open(input);
  if (!reader.ok()) {
    return arrow::Status::Invalid("cannot read the Arrow record: ", reader.status().message());
  }
  std::shared_ptr<arrow::RecordBatch> batch;
  auto status = (*reader)->ReadNext(&batch);
  if (!status.ok()) {
    return arrow::Status::Invalid("cannot read the Arrow record: ", status.message());
  }
  if (batch == nullptr) return arrow::Status::Invalid("the Arrow record holds no record batch");
  return batch;
}

arrow::Result<std::string> SchemaToBytes(const arrow::Schema& schema) {
  ARROW_ASSIGN_OR_RAISE(auto sink, arrow::io::BufferOutputStream::Create());
  ARROW_ASSIGN_OR_RAISE(
      auto writer, arrow::ipc::MakeStreamWriter(sink, std::make_shared<arrow::Schema>(schema)));
  ARROW_RETURN_NOT_OK(writer->Close());
  ARROW_ASSIGN_OR_RAISE(auto buffer, sink->Finish());
  return buffer->ToString();
}

arrow::Result<std::string> RecordToBytes(const arrow::RecordBatch& batch) {
  ARROW_ASSIGN_OR_RAISE(auto sink, arrow::io::BufferOutputStream::Create());
  ARROW_ASSIGN_OR_RAISE(auto writer, arrow::ipc::MakeStreamWriter(sink, batch.schema()));
  ARROW_RETURN_NOT_OK(writer->WriteRecordBatch(batch));
  ARROW_RETURN_NOT_OK(writer->Close());
  ARROW_ASSIGN_OR_RAISE(auto buffer, sink->Finish());
  return buffer->ToString();
}

arrow::Result<std::string> TableName(const arrow::Schema& schema) {
  if (schema.metadata() != nullptr) {
    auto name = schema.metadata()->Get(kTableNameKey);
    if (name.ok() && !name->empty()) return *name;
  }
  return arrow::Status::Invalid("the Arrow schema has no '", kTableNameKey, "' metadata");
}

arrow::Result<int64_t> MessageSize(const arrow::RecordBatch& batch) {
  int64_t size = 0;
  ARROW_RETURN_NOT_OK(arrow::ipc::GetRecordBatchSize(batch, &size));
  return size;
}

arrow::Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> SplitToFit(
    const std::shared_ptr<arrow::RecordBatch>& batch, int64_t max_bytes) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> parts;
  // Depth-first halving keeps the parts in row order. Sliced arrays serialize only their rows
  // (buffers are truncated), so sizes shrink with the slices.
  std::vector<std::shared_ptr<arrow::RecordBatch>> pending{batch};
  while (!pending.empty()) {
    auto part = std::move(pending.back());
    pending.pop_back();
    ARROW_ASSIGN_OR_RAISE(int64_t size, MessageSize(*part));
    if (size <= max_bytes) {
      parts.push_back(std::move(part));
      continue;
    }
    if (part->num_rows() <= 1) {
      return arrow::Status::Invalid("a single row of ", size,
                                    " bytes exceeds max_call_send_msg_size (", max_bytes, ")");
    }
    const int64_t half = part->num_rows() / 2;
    pending.push_back(part->Slice(half));
    pending.push_back(part->Slice(0, half));
  }
  return parts;
}

}  // namespace quiver::destination
