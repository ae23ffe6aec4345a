// One long-lived DoPut stream per table, as the Go plugin keeps them: descriptor PATH
// ["cloudquery", "arrowflight", <table>], the schema first, then one FlightData per record.
//
// Acknowledgements (an extension that plain Flight services simply do not use): a service that
// commits batches as they arrive may answer with PutResults whose app_metadata is JSON:
// {"cloudquery_acks": true} once the stream is open, then {"acked_batches": N} (cumulative)
// after committing, or {"error": "..."} when storing failed (the stream's final status follows
// once the plugin half-closes it). On such streams the plugin can wait for its data to be stored
// without closing the stream, and resends what was not acknowledged when a stream breaks. Other
// services are flushed by closing the stream and waiting for its final status.
#pragma once

#include <arrow/flight/client.h>
#include <arrow/record_batch.h>
#include <arrow/util/cancel.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "destination/flight_connection.h"

namespace quiver::destination {

// The Flight descriptor path the Go arrowflight plugin uses for a table.
arrow::flight::FlightDescriptor TableDescriptor(const std::string& table);

class TablePutStream {
 public:
  static arrow::Result<std::unique_ptr<TablePutStream>> Open(
      std::shared_ptr<FlightConnection> connection, std::string table,
      std::shared_ptr<arrow::Schema> schema);
  ~TablePutStream();
  TablePutStream(const TablePutStream&) = delete;
  TablePutStream& operator=(const TablePutStream&) = delete;

  const std::string& table() const { return table_; }
  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }

  // Sends one record batch. Blocks (at most `stall_timeout` without progress) while too many
  // bytes wait for acknowledgement. A failure means the stream is unusable: call Finish for the
  // service's own status, then TakeUnacknowledged for what to resend.
  arrow::Status Write(const std::shared_ptr<arrow::RecordBatch>& batch,
                      std::chrono::milliseconds stall_timeout);
  // Whether the service acknowledges batches (see above). Its first answer follows the opening
  // of the stream by a round trip, so a stream younger than `grace` waits up to then for it.
  bool acknowledges(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
  // Waits until every batch written is acknowledged; fails if the stream ends first or no
  // acknowledgement arrives for `stall_timeout`.
  arrow::Status WaitAcknowledged(std::chrono::milliseconds stall_timeout);
  // Half-closes the stream and waits up to `limit` for the service's final status, which it
  // returns (an error the service reported, or a time-out). Idempotent.
  arrow::Status Finish(std::chrono::milliseconds limit);
  // Batches that may not have been stored: those not acknowledged on an acknowledging stream,
  // otherwise only the last one written when the stream broke.
  std::vector<std::shared_ptr<arrow::RecordBatch>> TakeUnacknowledged();
  int64_t batches_written() const { return written_; }
  // True when Finish gave up waiting: the reader thread ends only once the connection closes.
  bool finish_timed_out() const { return finish_timed_out_; }

 private:
  TablePutStream(std::string table, std::shared_ptr<arrow::Schema> schema)
      : table_(std::move(table)), schema_(std::move(schema)) {}
  void ReadResults();
  void HandleMetadata(const std::string& metadata);

  const std::string table_;
  const std::shared_ptr<arrow::Schema> schema_;
  arrow::StopSource stop_;
  std::unique_ptr<arrow::flight::FlightStreamWriter> writer_;
  std::unique_ptr<arrow::flight::FlightMetadataReader> reader_;
  std::thread reader_thread_;
  std::chrono::steady_clock::time_point opened_ = std::chrono::steady_clock::now();

  std::mutex mutex_;
  std::condition_variable changed_;
  bool acks_ = false;
  int64_t written_ = 0;
  int64_t acked_ = 0;
  bool reader_done_ = false;
  std::string service_error_;  // from an {"error": ...} answer
  arrow::Status reader_status_;
  // Batches [written_ - unacked_.size(), written_) that are not known to be stored.
  std::deque<std::shared_ptr<arrow::RecordBatch>> unacked_;
  int64_t unacked_bytes_ = 0;
  bool write_failed_ = false;
  bool finished_ = false;
  bool finish_timed_out_ = false;
  arrow::Status final_status_;
};

}  // namespace quiver::destination
