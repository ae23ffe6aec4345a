// The record batches of a DoPut stream as an arrow::RecordBatchReader.
#pragma once

#include <memory>

#include <arrow/flight/server.h>
#include <arrow/record_batch.h>

namespace quiver::protocol {

// Skips messages that carry only app_metadata; the Flight reader must outlive this reader.
class PutStreamReader : public arrow::RecordBatchReader {
 public:
  PutStreamReader(arrow::flight::FlightMessageReader& reader,
                  std::shared_ptr<arrow::Schema> schema)
      : reader_(reader), schema_(std::move(schema)) {}

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    while (true) {
      ARROW_ASSIGN_OR_RAISE(auto chunk, reader_.Next());
      if (chunk.data || !chunk.app_metadata) {
        *batch = std::move(chunk.data);
        return arrow::Status::OK();
      }
    }
  }

 private:
  arrow::flight::FlightMessageReader& reader_;
  std::shared_ptr<arrow::Schema> schema_;
};

}  // namespace quiver::protocol
