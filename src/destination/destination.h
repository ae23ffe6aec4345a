// The arrowflight destination: what the plugin does for each CloudQuery write message, read,
// close and connection test, on top of one Flight connection and per-table DoPut streams.
#pragma once

#include <arrow/result.h>
#include <arrow/status.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "cloudquery/plugin/v3/plugin.pb.h"
#include "destination/flight_connection.h"
#include "destination/put_stream.h"
#include "destination/spec.h"

namespace quiver::destination {

struct Timeouts {
  // A stream whose service stops acknowledging for this long has failed.
  std::chrono::milliseconds stall{60'000};
  // Closing a stream waits this long for the service's final answer.
  std::chrono::milliseconds finish{60'000};
  // TestConnection and the connection probe at Init.
  std::chrono::milliseconds probe{10'000};
};

struct TestConnectionResult {
  bool success = false;
  std::string failure_code;  // INVALID_SPEC, CONNECTION_FAILED, AUTHENTICATION_FAILED
  std::string failure_description;
};

class Destination {
 public:
  explicit Destination(RetryPolicy retry = {}, Timeouts timeouts = {})
      : retry_(retry), timeouts_(timeouts) {}
  ~Destination();

  // Parses the spec and connects (handshake, then an authenticated probe), so that a wrong
  // address or token fails here rather than in the middle of a sync. `no_connection` only
  // checks the spec's shape.
  arrow::Status Init(std::string_view spec_json, bool no_connection);

  // One Write RPC: the messages in order, then FinishWrite. Callers hold write_lock().
  std::unique_lock<std::mutex> write_lock() { return std::unique_lock(write_mutex_); }
  arrow::Status MigrateTable(const cloudquery::plugin::v3::Write::MessageMigrateTable& message);
  // `record` is moved into a buffer that the sent columns point into (no copy of the data).
  arrow::Status Insert(std::string record);
  arrow::Status DeleteStale(cloudquery::plugin::v3::Write::MessageDeleteStale message);
  arrow::Status DeleteRecord(const cloudquery::plugin::v3::Write::MessageDeleteRecord& message);
  // End of a Write RPC: waits until acknowledging services have stored everything sent. Streams
  // to services that do not acknowledge stay open until Close (or a delete on their table).
  arrow::Status FinishWrite();

  // Read-back: GetFlightInfo(PATH ["cloudquery","arrowflight",<table>]) + DoGet of each endpoint;
  // each batch is passed to `emit` as an IPC stream (schema + batch + end).
  arrow::Status Read(std::string table_schema,
                     const std::function<arrow::Status(std::string)>& emit);

  // Closes every stream, waiting (bounded) for each service answer, then the connection.
  // Reports the errors the service returned. A later Write or Read connects again.
  arrow::Status Close();

  static TestConnectionResult TestConnection(std::string_view spec_json,
                                             const Timeouts& timeouts = {});

 private:
  arrow::Result<std::shared_ptr<FlightConnection>> Connection();
  arrow::Result<TablePutStream*> StreamFor(const std::string& table,
                                           const std::shared_ptr<arrow::Schema>& schema);
  // Finishes and forgets one stream; returns the service's final status.
  arrow::Status FinishStream(const std::string& table);
  // Sends batches to a table, reopening the stream (bounded, with backoff) when it breaks and
  // resending what was not stored.
  arrow::Status Send(const std::string& table,
                     std::deque<std::shared_ptr<arrow::RecordBatch>> batches);
  arrow::Status TrySend(const std::string& table,
                        std::deque<std::shared_ptr<arrow::RecordBatch>>* batches);
  // Everything sent to `table` is stored (or the error why not).
  arrow::Status Barrier(const std::string& table);
  // Closes the connection, then drops every stream (after a stream stopped answering).
  void AbandonConnection();
  arrow::Status DoAction(const std::string& type, const std::string& body);

  const RetryPolicy retry_;
  const Timeouts timeouts_;
  std::mutex write_mutex_;
  std::mutex state_mutex_;  // spec_ and connection_
  std::optional<Spec> spec_;
  std::shared_ptr<FlightConnection> connection_;
  // Used only under write_mutex_ (or by Close, which takes it too).
  std::map<std::string, std::unique_ptr<TablePutStream>> streams_;
};

}  // namespace quiver::destination
