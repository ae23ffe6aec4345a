// The record batches of a DoPut stream as an arrow::RecordBatchReader.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <arrow/flight/server.h>
#include <arrow/record_batch.h>
#include <arrow/util/byte_size.h>

namespace quiver::protocol {

// Counts the Arrow data of a DoPut stream against `max_put_bytes` (0 = unlimited).
class PutByteBudget {
 public:
  explicit PutByteBudget(int64_t max_bytes) : max_bytes_(max_bytes) {}
  // Invalid (INVALID_ARGUMENT) naming the limit once the batches seen so far exceed it.
  arrow::Status Add(const arrow::RecordBatch& batch) {
    bytes_ += arrow::util::TotalBufferSize(batch);
    if (max_bytes_ > 0 && bytes_ > max_bytes_) {
      return arrow::Status::Invalid("DoPut stream exceeds max_put_bytes (", max_bytes_,
                                    " bytes of Arrow data); the statement was aborted");
    }
    return arrow::Status::OK();
  }
  int64_t bytes() const { return bytes_; }

 private:
  int64_t max_bytes_;
  int64_t bytes_ = 0;
};

// Skips messages that carry only app_metadata; the Flight reader must outlive this reader.
// Reading past `max_bytes` of record batch data (0 = unlimited) fails, which aborts the
// statement consuming the stream.
class PutStreamReader : public arrow::RecordBatchReader {
 public:
  PutStreamReader(arrow::flight::FlightMessageReader& reader,
                  std::shared_ptr<arrow::Schema> schema, int64_t max_bytes)
      : reader_(reader), schema_(std::move(schema)), budget_(max_bytes) {}

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    while (true) {
      ARROW_ASSIGN_OR_RAISE(auto chunk, reader_.Next());
      if (chunk.data) ARROW_RETURN_NOT_OK(budget_.Add(*chunk.data));
      if (chunk.data || !chunk.app_metadata) {
        *batch = std::move(chunk.data);
        return arrow::Status::OK();
      }
    }
  }

 private:
  arrow::flight::FlightMessageReader& reader_;
  std::shared_ptr<arrow::Schema> schema_;
  PutByteBudget budget_;
};

}  // namespace quiver::protocol
