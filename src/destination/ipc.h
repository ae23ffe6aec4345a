// CloudQuery embeds Arrow data in its protobuf messages as Arrow IPC *stream* bytes: a schema
// (schema message + end-of-stream) or a record (schema + one record batch + end-of-stream).
// These helpers read such bytes without copying column data and write them back.
#pragma once

#include <arrow/buffer.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/type.h>

#include <memory>
#include <string>
#include <vector>

namespace quiver::destination {

// Schema metadata key naming the table a schema or record belongs to.
inline constexpr const char* kTableNameKey = "cq:table_name";

arrow::Result<std::shared_ptr<arrow::Schema>> ReadSchemaBytes(std::shared_ptr<arrow::Buffer> bytes);
// The first record batch; its arrays point into `bytes` (kept alive by the batch).
arrow::Result<std::shared_ptr<arrow::RecordBatch>> ReadRecordBytes(
    std::shared_ptr<arrow::Buffer> bytes);

arrow::Result<std::string> SchemaToBytes(const arrow::Schema& schema);
arrow::Result<std::string> RecordToBytes(const arrow::RecordBatch& batch);

// The `cq:table_name` of a schema; Invalid when it is missing or empty.
arrow::Result<std::string> TableName(const arrow::Schema& schema);

// Serialized size of a batch as one Flight message (IPC metadata + body).
arrow::Result<int64_t> MessageSize(const arrow::RecordBatch& batch);

// Slices `batch` (zero-copy) into consecutive parts of at most `max_bytes` each when sent as one
// message. A single row larger than the limit is an Invalid error: records are never dropped.
arrow::Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> SplitToFit(
    const std::shared_ptr<arrow::RecordBatch>& batch, int64_t max_bytes);

}  // namespace quiver::destination
