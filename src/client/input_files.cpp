#include "client/input_files.h"

#include <arrow/csv/api.h>
#include <arrow/io/file.h>
#include <arrow/ipc/reader.h>
#include <parquet/arrow/reader.h>

#include <atomic>

namespace quiver::client {
namespace {

// Counts the bytes read through it.
class CountingInputStream : public arrow::io::InputStream {
 public:
  CountingInputStream(std::shared_ptr<arrow::io::InputStream> inner,
                      std::shared_ptr<std::atomic<int64_t>> count)
      : inner_(std::move(inner)), count_(std::move(count)) {}

  arrow::Status Close() override { return inner_->Close(); }
  bool closed() const override { return inner_->closed(); }
  arrow::Result<int64_t> Tell() const override { return inner_->Tell(); }
  arrow::Result<int64_t> Read(int64_t nbytes, void* out) override {
    ARROW_ASSIGN_OR_RAISE(auto read, inner_->Read(nbytes, out));
    *count_ += read;
    return read;
  }
  arrow::Result<std::shared_ptr<arrow::Buffer>> Read(int64_t nbytes) override {
    ARROW_ASSIGN_OR_RAISE(auto buffer, inner_->Read(nbytes));
    *count_ += buffer->size();
    return buffer;
  }

 private:
  std::shared_ptr<arrow::io::InputStream> inner_;
  std::shared_ptr<std::atomic<int64_t>> count_;
};

// The batches of an Arrow IPC file, in order.
class IpcFileBatches : public arrow::RecordBatchReader {
 public:
  explicit IpcFileBatches(std::shared_ptr<arrow::ipc::RecordBatchFileReader> file)
      : file_(std::move(file)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return file_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    if (next_ >= file_->num_record_batches()) {
      batch->reset();
      return arrow::Status::OK();
    }
    ARROW_ASSIGN_OR_RAISE(*batch, file_->ReadRecordBatch(next_++));
    return arrow::Status::OK();
  }

 private:
  std::shared_ptr<arrow::ipc::RecordBatchFileReader> file_;
  int next_ = 0;
};

// The batches of a Parquet file; keeps the file reader alive for its batch reader.
class ParquetBatches : public arrow::RecordBatchReader {
 public:
  ParquetBatches(std::unique_ptr<parquet::arrow::FileReader> file,
                 std::unique_ptr<arrow::RecordBatchReader> batches)
      : file_(std::move(file)), batches_(std::move(batches)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return batches_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    return batches_->ReadNext(batch);
  }

 private:
  std::unique_ptr<parquet::arrow::FileReader> file_;
  std::unique_ptr<arrow::RecordBatchReader> batches_;
};

}  // namespace

arrow::Result<InputFile> OpenInputFile(const std::string& path, InputFormat format,
                                       const CsvInputOptions& csv) {
  InputFile input;
  ARROW_ASSIGN_OR_RAISE(auto file, arrow::io::ReadableFile::Open(path));
  ARROW_ASSIGN_OR_RAISE(input.total_bytes, file->GetSize());
  auto count = std::make_shared<std::atomic<int64_t>>(0);
  auto stream = std::make_shared<CountingInputStream>(file, count);
  input.bytes_read = [count] { return count->load(); };
  switch (format) {
    case InputFormat::kCsv: {
      auto read_options = arrow::csv::ReadOptions::Defaults();
      read_options.block_size = csv.block_size;
      auto parse_options = arrow::csv::ParseOptions::Defaults();
      parse_options.delimiter = csv.delimiter;
      // As in PostgreSQL's CSV: an empty field is NULL, a quoted empty field an empty string.
      auto convert_options = arrow::csv::ConvertOptions::Defaults();
      convert_options.strings_can_be_null = true;
      convert_options.quoted_strings_can_be_null = false;
      ARROW_ASSIGN_OR_RAISE(auto reader, arrow::csv::StreamingReader::Make(
                                             arrow::io::default_io_context(), stream, read_options,
                                             parse_options, convert_options));
      // The file is read ahead: the bytes behind the batches returned tell the progress.
      input.bytes_read = [reader = reader.get()] { return reader->bytes_read(); };
      input.reader = std::move(reader);
      return input;
    }
    case InputFormat::kParquet: {
      ARROW_ASSIGN_OR_RAISE(auto reader,
                            parquet::arrow::OpenFile(file, arrow::default_memory_pool()));
      input.total_rows = reader->parquet_reader()->metadata()->num_rows();
      ARROW_ASSIGN_OR_RAISE(auto batches, reader->GetRecordBatchReader());
      input.reader = std::make_shared<ParquetBatches>(std::move(reader), std::move(batches));
      return input;
    }
    case InputFormat::kArrow: {
      static constexpr std::string_view kMagic = "ARROW1";
      ARROW_ASSIGN_OR_RAISE(auto head, file->ReadAt(0, static_cast<int64_t>(kMagic.size())));
      if (head->ToString() == kMagic) {
        ARROW_ASSIGN_OR_RAISE(auto reader, arrow::ipc::RecordBatchFileReader::Open(file));
        ARROW_ASSIGN_OR_RAISE(input.total_rows, reader->CountRows());
        input.reader = std::make_shared<IpcFileBatches>(std::move(reader));
      } else {
        ARROW_RETURN_NOT_OK(file->Seek(0));
        ARROW_ASSIGN_OR_RAISE(input.reader, arrow::ipc::RecordBatchStreamReader::Open(stream));
      }
      return input;
    }
  }
  return arrow::Status::Invalid("unknown input format");
}

}  // namespace quiver::client
