#include "destination/destination.h"

#include <arrow/flight/client.h>
#include <arrow/util/key_value_metadata.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <set>
#include <thread>

#include "destination/ipc.h"

namespace quiver::destination {
namespace flight = arrow::flight;
namespace pb = cloudquery::plugin::v3;

namespace {

// Room for the FlightData framing around a batch's IPC message.
constexpr int64_t kMessageOverhead = 4096;

bool Retryable(const arrow::Status& status) { return IsUnavailable(status); }

}  // namespace

Destination::~Destination() { (void)Close(); }

arrow::Status Destination::Init(std::string_view spec_json, bool no_connection) {
  ARROW_ASSIGN_OR_RAISE(auto spec, ParseSpec(spec_json, /*require_addr=*/!no_connection));
  (void)Close();
  std::shared_ptr<FlightConnection> connection;
  if (!no_connection) {
    ARROW_ASSIGN_OR_RAISE(connection, FlightConnection::Open(spec, retry_));
    ARROW_RETURN_NOT_OK(
        connection->WithRetries("connecting", [&] { return connection->Probe(timeouts_.probe); }));
    spdlog::info("connected to Flight service {}{}", spec.addr,
                 spec.handshake.empty() ? "" : " (handshake done)");
  }
  std::lock_guard lock(state_mutex_);
  spec_ = std::move(spec);
  connection_ = std::move(connection);
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<FlightConnection>> Destination::Connection() {
  std::lock_guard lock(state_mutex_);
  if (!spec_) return arrow::Status::Invalid("the plugin is not initialized (call Init first)");
  if (connection_ == nullptr) {
    if (spec_->addr.empty()) {
      return arrow::Status::Invalid("the plugin was initialized without a connection");
    }
    ARROW_ASSIGN_OR_RAISE(connection_, FlightConnection::Open(*spec_, retry_));
  }
  return connection_;
}

void Destination::AbandonConnection() {
  std::shared_ptr<FlightConnection> connection;
  {
    std::lock_guard lock(state_mutex_);
    connection = std::move(connection_);
  }
  if (connection) (void)connection->Close();
  streams_.clear();  // each stream's reader ends now that the connection is closed
}

arrow::Result<TablePutStream*> Destination::StreamFor(
    const std::string& table, const std::shared_ptr<arrow::Schema>& schema) {
  auto it = streams_.find(table);
  if (it != streams_.end() && !it->second->schema()->Equals(*schema, /*check_metadata=*/true)) {
    // A stream carries one schema: after a migration (or any change) start a new one.
    spdlog::info("table {}: schema changed, reopening its DoPut stream", table);
    ARROW_RETURN_NOT_OK(FinishStream(table));
    it = streams_.end();
  }
  if (it == streams_.end()) {
    ARROW_ASSIGN_OR_RAISE(auto connection, Connection());
    ARROW_ASSIGN_OR_RAISE(auto stream, TablePutStream::Open(connection, table, schema));
    it = streams_.emplace(table, std::move(stream)).first;
  }
  return it->second.get();
}

arrow::Status Destination::FinishStream(const std::string& table) {
  auto it = streams_.find(table);
  if (it == streams_.end()) return arrow::Status::OK();
  auto status = it->second->Finish(timeouts_.finish);
  if (it->second->finish_timed_out()) {
    AbandonConnection();
  } else {
    streams_.erase(it);
  }
  return status;
}

arrow::Status Destination::TrySend(const std::string& table,
                                   std::deque<std::shared_ptr<arrow::RecordBatch>>* batches) {
  while (!batches->empty()) {
    auto batch = batches->front();
    ARROW_ASSIGN_OR_RAISE(auto* stream, StreamFor(table, batch->schema()));
    auto status = stream->Write(batch, timeouts_.stall);
    if (status.ok()) {
      batches->pop_front();
      continue;
    }
    // The stream broke. Its final status says why (the service's own error when it has one),
    // and whatever was not stored goes back to the front of the queue.
    auto final_status =
        stream->Finish(std::min(timeouts_.finish, std::chrono::milliseconds(10'000)));
    auto lost = stream->TakeUnacknowledged();
    if (stream->finish_timed_out()) {
      AbandonConnection();
    } else {
      streams_.erase(table);
    }
    batches->pop_front();  // `lost` ends with it
    batches->insert(batches->begin(), lost.begin(), lost.end());
    if (lost.empty()) batches->push_front(batch);
    return final_status.ok() ? status : final_status;
  }
  return arrow::Status::OK();
}

arrow::Status Destination::Send(const std::string& table,
                                std::deque<std::shared_ptr<arrow::RecordBatch>> batches) {
  auto backoff = retry_.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    auto status = TrySend(table, &batches);
    if (status.ok()) return status;
    if (IsUnauthenticated(status) && attempt == 1) {
      ARROW_ASSIGN_OR_RAISE(auto connection, Connection());
      ARROW_RETURN_NOT_OK(connection->Reauthenticate());
      continue;
    }
    if (!Retryable(status) || attempt >= retry_.max_attempts) {
      if (Retryable(status)) {
        return status.WithMessage("DoPut for table ", table, ": service unavailable after ",
                                  attempt, " attempts: ", status.message());
      }
      return status;
    }
    spdlog::warn("DoPut for table {}: {} (attempt {} of {}); resending {} batches in {} ms", table,
                 status.message(), attempt, retry_.max_attempts, batches.size(), backoff.count());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, retry_.max_backoff);
  }
}

arrow::Status Destination::Barrier(const std::string& table) {
  auto backoff = retry_.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    auto it = streams_.find(table);
    if (it == streams_.end()) return arrow::Status::OK();
    TablePutStream& stream = *it->second;
    arrow::Status waited;
    if (stream.acknowledges()) {
      waited = stream.WaitAcknowledged(timeouts_.stall);
      if (waited.ok()) return waited;
    }
    // Not acknowledging (or broken): closing the stream is the only way to know it is stored.
    auto final_status = stream.Finish(timeouts_.finish);
    auto lost = stream.TakeUnacknowledged();
    if (stream.finish_timed_out()) {
      AbandonConnection();
    } else {
      streams_.erase(it);
    }
    if (final_status.ok() && waited.ok()) return arrow::Status::OK();
    auto error = final_status.ok() ? waited : final_status;
    if (!Retryable(error) || lost.empty() || attempt >= retry_.max_attempts) return error;
    spdlog::warn("DoPut for table {}: {}; resending {} unacknowledged batches in {} ms", table,
                 error.message(), lost.size(), backoff.count());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, retry_.max_backoff);
    ARROW_RETURN_NOT_OK(Send(table, {lost.begin(), lost.end()}));
  }
}

arrow::Status Destination::DoAction(const std::string& type, const std::string& body) {
  ARROW_ASSIGN_OR_RAISE(auto connection, Connection());
  ARROW_ASSIGN_OR_RAISE(auto results, connection->DoAction(type, body));
  for (const auto& result : results) spdlog::debug("{} result: {}", type, result);
  return arrow::Status::OK();
}

arrow::Status Destination::MigrateTable(const pb::Write::MessageMigrateTable& message) {
  ARROW_ASSIGN_OR_RAISE(auto schema, ReadSchemaBytes(arrow::Buffer::FromString(message.table())));
  ARROW_ASSIGN_OR_RAISE(auto table, TableName(*schema));
  // Data already sent was written with the old schema: store it before the table changes.
  // The next Insert opens a stream with the new schema (the Go plugin kept the old one).
  ARROW_RETURN_NOT_OK(Barrier(table));
  ARROW_RETURN_NOT_OK(FinishStream(table));
  spdlog::debug("MigrateTable {} (force={})", table, message.migrate_force());
  return DoAction("MigrateTable", message.SerializeAsString());
}

arrow::Status Destination::Insert(std::string record) {
  ARROW_ASSIGN_OR_RAISE(auto batch, ReadRecordBytes(arrow::Buffer::FromString(std::move(record))));
  ARROW_ASSIGN_OR_RAISE(auto table, TableName(*batch->schema()));
  int64_t limit;
  {
    std::lock_guard lock(state_mutex_);
    if (!spec_) return arrow::Status::Invalid("the plugin is not initialized (call Init first)");
    limit = std::max<int64_t>(spec_->max_call_send_msg_size - kMessageOverhead, 1024);
  }
  ARROW_ASSIGN_OR_RAISE(auto parts, SplitToFit(batch, limit));
  if (parts.size() > 1) {
    spdlog::info("table {}: record of {} rows split into {} messages to fit {} bytes", table,
                 batch->num_rows(), parts.size(), limit);
  }
  return Send(table, {parts.begin(), parts.end()});
}

arrow::Status Destination::DeleteStale(pb::Write::MessageDeleteStale message) {
  if (message.table_name().empty() && !message.table().empty()) {
    // Older CLIs name the table only through the deprecated schema field.
    ARROW_ASSIGN_OR_RAISE(auto schema, ReadSchemaBytes(arrow::Buffer::FromString(message.table())));
    ARROW_ASSIGN_OR_RAISE(*message.mutable_table_name(), TableName(*schema));
  }
  if (message.table_name().empty()) return arrow::Status::Invalid("DeleteStale without a table");
  ARROW_RETURN_NOT_OK(Barrier(message.table_name()));
  return DoAction("DeleteStale", message.SerializeAsString());
}

arrow::Status Destination::DeleteRecord(const pb::Write::MessageDeleteRecord& message) {
  // Rows inserted before the delete must be stored for the delete to see them.
  ARROW_RETURN_NOT_OK(Barrier(message.table_name()));
  for (const auto& relation : message.table_relations()) {
    ARROW_RETURN_NOT_OK(Barrier(relation.table_name()));
  }
  return DoAction("DeleteRecord", message.SerializeAsString());
}

arrow::Status Destination::FinishWrite() {
  // Streams of services that acknowledge are flushed now, so a Write that succeeded is stored.
  // Other services' streams stay open until Close (as with the Go plugin), which reports their
  // final status.
  std::vector<std::string> tables;
  for (const auto& [table, stream] : streams_) {
    if (stream->acknowledges()) tables.push_back(table);
  }
  for (const auto& table : tables) ARROW_RETURN_NOT_OK(Barrier(table));
  return arrow::Status::OK();
}

arrow::Status Destination::Read(std::string table_schema,
                                const std::function<arrow::Status(std::string)>& emit) {
  ARROW_ASSIGN_OR_RAISE(auto requested,
                        ReadSchemaBytes(arrow::Buffer::FromString(std::move(table_schema))));
  ARROW_ASSIGN_OR_RAISE(auto table, TableName(*requested));
  ARROW_ASSIGN_OR_RAISE(auto connection, Connection());
  std::unique_ptr<flight::FlightInfo> info;
  ARROW_RETURN_NOT_OK(connection->WithRetries("GetFlightInfo", [&]() -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(info, connection->client().GetFlightInfo(connection->CallOptions(),
                                                                   TableDescriptor(table)));
    return arrow::Status::OK();
  }));
  for (const auto& endpoint : info->endpoints()) {
    // Endpoint locations are ignored, as in the Go plugin: the data is read over the same
    // connection.
    std::unique_ptr<flight::FlightStreamReader> stream;
    ARROW_RETURN_NOT_OK(connection->WithRetries("DoGet", [&]() -> arrow::Status {
      ARROW_ASSIGN_OR_RAISE(stream,
                            connection->client().DoGet(connection->CallOptions(), endpoint.ticket));
      return arrow::Status::OK();
    }));
    while (true) {
      ARROW_ASSIGN_OR_RAISE(auto chunk, stream->Next());
      if (chunk.data == nullptr) break;
      auto batch = chunk.data;
      auto metadata = batch->schema()->metadata() ? batch->schema()->metadata()->Copy()
                                                  : arrow::key_value_metadata({}, {});
      if (!metadata->Contains(kTableNameKey)) {
        metadata->Append(kTableNameKey, table);
        batch = batch->ReplaceSchemaMetadata(metadata);
      }
      ARROW_ASSIGN_OR_RAISE(auto bytes, RecordToBytes(*batch));
      ARROW_RETURN_NOT_OK(emit(std::move(bytes)));
    }
  }
  return arrow::Status::OK();
}

arrow::Status Destination::Close() {
  auto lock = write_lock();
  std::string errors;
  bool abandoned = false;
  for (auto& [table, stream] : streams_) {
    auto status = stream->Finish(timeouts_.finish);
    if (!status.ok()) errors += (errors.empty() ? "" : "; ") + status.message();
    abandoned = abandoned || stream->finish_timed_out();
  }
  std::shared_ptr<FlightConnection> connection;
  {
    std::lock_guard state_lock(state_mutex_);
    connection = std::move(connection_);
  }
  if (connection) (void)connection->Close();
  streams_.clear();
  if (!errors.empty()) return arrow::Status::IOError(errors);
  if (abandoned) return arrow::Status::IOError("a DoPut stream did not finish in time");
  return arrow::Status::OK();
}

TestConnectionResult Destination::TestConnection(std::string_view spec_json,
                                                 const Timeouts& timeouts) {
  TestConnectionResult result;
  auto spec = ParseSpec(spec_json);
  if (!spec.ok()) {
    result.failure_code = "INVALID_SPEC";
    result.failure_description = "failed to validate spec: " + spec.status().message();
    return result;
  }
  // One retry: a connection test should answer quickly.
  RetryPolicy retry{.max_attempts = 2};
  auto connection = FlightConnection::Open(*spec, retry);
  arrow::Status status = connection.status();
  if (status.ok()) {
    status = (*connection)->WithRetries("connecting", [&] {
      return (*connection)->Probe(timeouts.probe);
    });
    (void)(*connection)->Close();
  }
  if (status.ok()) {
    result.success = true;
    return result;
  }
  result.failure_code = IsUnauthenticated(status) ? "AUTHENTICATION_FAILED" : "CONNECTION_FAILED";
  result.failure_description = status.message();
  return result;
}

}  // namespace quiver::destination
