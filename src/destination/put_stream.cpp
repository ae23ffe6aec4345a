#include "destination/put_stream.h"

#include <arrow/util/byte_size.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace quiver::destination {
namespace flight = arrow::flight;

namespace {

// Above this many unacknowledged bytes a writer waits for the service to catch up, which bounds
// the memory kept for resending.
constexpr int64_t kMaxUnackedBytes = 256LL * 1024 * 1024;

}  // namespace

flight::FlightDescriptor TableDescriptor(const std::string& table) {
  return flight::FlightDescriptor::Path({"cloudquery", "arrowflight", table});
}

arrow::Result<std::unique_ptr<TablePutStream>> TablePutStream::Open(
    std::shared_ptr<FlightConnection> connection, std::string table,
    std::shared_ptr<arrow::Schema> schema) {
  std::unique_ptr<TablePutStream> stream(new TablePutStream(std::move(table), std::move(schema)));
  auto options = connection->CallOptions();
  options.stop_token = stream->stop_.token();
  ARROW_ASSIGN_OR_RAISE(auto put, connection->client().DoPut(
                                      options, TableDescriptor(stream->table_), stream->schema_));
  stream->writer_ = std::move(put.writer);
  stream->reader_ = std::move(put.reader);
  stream->reader_thread_ = std::thread([raw = stream.get()] { raw->ReadResults(); });
  spdlog::debug("opened DoPut stream for table {}", stream->table_);
  return stream;
}

TablePutStream::~TablePutStream() {
  if (writer_ == nullptr) return;  // DoPut never opened
  if (!finished_) {
    stop_.RequestStop();
    (void)Finish(std::chrono::seconds(5));
  }
  // After a timed-out Finish this waits for the owner to close the connection.
  if (reader_thread_.joinable()) reader_thread_.join();
}

void TablePutStream::ReadResults() {
  arrow::Status status;
  while (true) {
    std::shared_ptr<arrow::Buffer> metadata;
    status = reader_->ReadMetadata(&metadata);
    if (!status.ok() || metadata == nullptr) break;
    HandleMetadata(metadata->ToString());
  }
  std::lock_guard lock(mutex_);
  reader_done_ = true;
  reader_status_ = status;
  changed_.notify_all();
}

void TablePutStream::HandleMetadata(const std::string& metadata) {
  auto json = nlohmann::json::parse(metadata, nullptr, /*allow_exceptions=*/false);
  std::lock_guard lock(mutex_);
  if (!json.is_object()) {
    // Another service's app_metadata: the Go plugin logs it too.
    spdlog::info("DoPut {}: service says: {}", table_, metadata);
    return;
  }
  if (json.value("cloudquery_acks", false)) acks_ = true;
  if (auto it = json.find("error"); it != json.end() && it->is_string()) {
    service_error_ = it->get<std::string>();
  }
  if (auto it = json.find("acked_batches"); it != json.end() && it->is_number_integer()) {
    const int64_t acked = std::min<int64_t>(it->get<int64_t>(), written_);
    // Drop what is now stored from the resend list.
    while (acked_ < acked) {
      ++acked_;
      const int64_t first_unacked = written_ - static_cast<int64_t>(unacked_.size());
      if (acked_ > first_unacked && !unacked_.empty()) {
        unacked_bytes_ -= arrow::util::TotalBufferSize(*unacked_.front());
        unacked_.pop_front();
      }
    }
  }
  changed_.notify_all();
}

arrow::Status TablePutStream::Write(const std::shared_ptr<arrow::RecordBatch>& batch,
                                    std::chrono::milliseconds stall_timeout) {
  if (finished_ || write_failed_) {
    return arrow::Status::Invalid("DoPut stream for table ", table_, " is closed");
  }
  {
    std::unique_lock lock(mutex_);
    if (!service_error_.empty()) {
      write_failed_ = true;
      return arrow::Status::IOError("DoPut for table ", table_, ": ", service_error_);
    }
    int64_t last_acked = acked_;
    while (acks_ && unacked_bytes_ > kMaxUnackedBytes && !reader_done_) {
      if (!changed_.wait_for(lock, stall_timeout,
                             [&] { return acked_ != last_acked || reader_done_; })) {
        return arrow::Status::IOError("DoPut for table ", table_, ": no acknowledgement for ",
                                      stall_timeout.count() / 1000, " s");
      }
      last_acked = acked_;
    }
    unacked_.push_back(batch);
    unacked_bytes_ += arrow::util::TotalBufferSize(*batch);
    ++written_;
  }
  auto status = writer_->WriteRecordBatch(*batch);
  std::lock_guard lock(mutex_);
  if (!status.ok()) {
    write_failed_ = true;
    return status;
  }
  if (!acks_) {
    // Without acknowledgements nothing is known to be lost until a write fails; then only the
    // failed batch is resent, as the Go plugin does.
    while (!unacked_.empty()) {
      unacked_bytes_ -= arrow::util::TotalBufferSize(*unacked_.front());
      unacked_.pop_front();
    }
  }
  return arrow::Status::OK();
}

bool TablePutStream::acknowledges(std::chrono::milliseconds grace) {
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, opened_ + grace, [&] { return acks_ || reader_done_; });
  return acks_;
}

arrow::Status TablePutStream::WaitAcknowledged(std::chrono::milliseconds stall_timeout) {
  std::unique_lock lock(mutex_);
  int64_t last_acked = acked_;
  while (acked_ < written_) {
    if (!service_error_.empty()) {
      return arrow::Status::IOError("DoPut for table ", table_, ": ", service_error_);
    }
    if (reader_done_) {
      return arrow::Status::IOError("DoPut stream for table ", table_,
                                    " ended before its data was acknowledged");
    }
    if (!changed_.wait_for(lock, stall_timeout, [&] {
          return acked_ != last_acked || reader_done_ || !service_error_.empty();
        })) {
      return arrow::Status::IOError("DoPut for table ", table_, ": no acknowledgement for ",
                                    stall_timeout.count() / 1000, " s (", written_ - acked_,
                                    " batches outstanding)");
    }
    last_acked = acked_;
  }
  return arrow::Status::OK();
}

arrow::Status TablePutStream::Finish(std::chrono::milliseconds limit) {
  if (finished_) return final_status_;
  finished_ = true;
  // Half-close: the service sees the end of the stream, stores what it has, and answers.
  (void)writer_->DoneWriting();
  bool answered;
  {
    std::unique_lock lock(mutex_);
    answered = changed_.wait_for(lock, limit, [&] { return reader_done_; });
  }
  if (!answered) {
    finish_timed_out_ = true;
    stop_.RequestStop();
    final_status_ = arrow::Status::IOError("DoPut for table ", table_,
                                           ": the service did not finish the stream within ",
                                           limit.count() / 1000, " s");
    // The reader thread ends when the connection is closed (the owner does that next).
    return final_status_;
  }
  reader_thread_.join();
  auto status = writer_->Close();
  if (status.ok() && !reader_status_.ok()) status = reader_status_;
  if (!status.ok()) {
    final_status_ = status.WithMessage("DoPut for table ", table_, ": ", status.message());
  }
  return final_status_;
}

std::vector<std::shared_ptr<arrow::RecordBatch>> TablePutStream::TakeUnacknowledged() {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches(unacked_.begin(), unacked_.end());
  unacked_.clear();
  unacked_bytes_ = 0;
  return batches;
}

}  // namespace quiver::destination
