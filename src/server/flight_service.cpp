#include "server/flight_service.h"

#include <arrow/flight/types.h>
#include <arrow/util/byte_size.h>
#include <spdlog/spdlog.h>

#include "engine/catalog.h"
#include "engine/ingest.h"
#include "server/auth/auth_middleware.h"
#include "server/errors.h"
#include "server/protocol/descriptor.h"

namespace quiver::server {

namespace flight = arrow::flight;

namespace {

// A result is split into endpoints of about this size so that clients can fetch them in
// parallel, and so that one DoGet never has to hold more than this in flight.
constexpr int64_t kEndpointBytes = 64 * 1024 * 1024;

constexpr const char* kCancelFlightInfo = "CancelFlightInfo";
constexpr const char* kRenewFlightEndpoint = "RenewFlightEndpoint";

// Maps the errors of a result stream (raised while DoGet is sending) like any RPC error.
class ClientErrorReader : public arrow::RecordBatchReader {
 public:
  explicit ClientErrorReader(std::shared_ptr<arrow::RecordBatchReader> source)
      : source_(std::move(source)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return source_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    return ToClientStatus(source_->ReadNext(batch));
  }

 private:
  std::shared_ptr<arrow::RecordBatchReader> source_;
};

// Reads the record batches of a DoPut stream, skipping metadata-only messages.
class PutStreamReader : public arrow::RecordBatchReader {
 public:
  PutStreamReader(flight::FlightMessageReader* reader, std::shared_ptr<arrow::Schema> schema)
      : reader_(reader), schema_(std::move(schema)) {}

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    while (true) {
      ARROW_ASSIGN_OR_RAISE(auto chunk, reader_->Next());
      if (chunk.data || !chunk.app_metadata) {
        *batch = std::move(chunk.data);
        return arrow::Status::OK();
      }
    }
  }

 private:
  flight::FlightMessageReader* reader_;
  std::shared_ptr<arrow::Schema> schema_;
};

}  // namespace

FlightService::FlightService(std::shared_ptr<engine::Database> database, const ServerConfig& config,
                             const Clock& clock)
    : database_(std::move(database)),
      config_(config),
      tickets_(clock, std::chrono::seconds(config.tickets_lifetime_seconds)) {}

arrow::Result<std::unique_ptr<flight::FlightInfo>> FlightService::ExecuteToEndpoints(
    const flight::ServerCallContext& context, const std::string& sql,
    const flight::FlightDescriptor& descriptor) {
  ARROW_ASSIGN_OR_RAISE(auto connection, database_->Connect());
  ARROW_ASSIGN_OR_RAISE(auto reader,
                        connection->Query(sql, {.max_batch_bytes = config_.max_batch_bytes}));
  std::vector<flight::FlightEndpoint> endpoints;
  int64_t total_rows = 0;
  int64_t total_bytes = 0;
  auto piece = std::make_shared<results::StoredResult>();
  auto store_piece = [&]() {
    auto issued = tickets_.Add(piece);
    flight::FlightEndpoint endpoint;
    endpoint.ticket.ticket = issued.ticket;
    if (issued.expires) endpoint.expiration_time = *issued.expires;
    endpoints.push_back(std::move(endpoint));
  };
  piece->schema = reader->schema();
  while (true) {
    // The client gave up (or the server is shutting down): stop reading the result.
    if (context.is_cancelled()) return arrow::Status::Cancelled("GetFlightInfo was cancelled");
    ARROW_ASSIGN_OR_RAISE(auto batch, reader->Next());
    if (!batch) break;
    const int64_t bytes = arrow::util::TotalBufferSize(*batch);
    piece->rows += batch->num_rows();
    piece->bytes += bytes;
    total_rows += batch->num_rows();
    total_bytes += bytes;
    piece->batches.push_back(std::move(batch));
    if (piece->bytes >= kEndpointBytes) {
      store_piece();
      piece = std::make_shared<results::StoredResult>();
      piece->schema = reader->schema();
    }
  }
  // Every result has at least one endpoint, even when it has no rows.
  if (piece->rows > 0 || endpoints.empty()) store_piece();
  ARROW_ASSIGN_OR_RAISE(
      auto info, flight::FlightInfo::Make(*reader->schema(), descriptor, endpoints, total_rows,
                                          total_bytes, /*ordered=*/true));
  return std::make_unique<flight::FlightInfo>(std::move(info));
}

arrow::Status FlightService::ListFlights(const flight::ServerCallContext& context,
                                         const flight::Criteria* criteria,
                                         std::unique_ptr<flight::FlightListing>* listings) {
  return ToClientStatus([&]() -> arrow::Status {
    const std::string pattern = criteria ? criteria->expression : "";
    ARROW_ASSIGN_OR_RAISE(auto connection, database_->Connect());
    ARROW_ASSIGN_OR_RAISE(auto tables, engine::ListTables(*connection, pattern));
    std::vector<flight::FlightInfo> infos;
    for (const auto& table : tables) {
      flight::FlightEndpoint endpoint;
      ARROW_ASSIGN_OR_RAISE(auto read, protocol::DecodeReadDescriptor(
                                           flight::FlightDescriptor::Path({table.table_name}),
                                           config_.max_command_bytes));
      endpoint.ticket.ticket = read.sql;  // a raw-SQL ticket: DoGet reads the current contents
      ARROW_ASSIGN_OR_RAISE(
          auto info, flight::FlightInfo::Make(*table.schema,
                                              flight::FlightDescriptor::Path({table.table_name}),
                                              {endpoint}, table.row_count, -1, /*ordered=*/true));
      infos.push_back(std::move(info));
    }
    *listings = std::make_unique<flight::SimpleFlightListing>(std::move(infos));
    return arrow::Status::OK();
  }());
}

arrow::Status FlightService::GetFlightInfo(const flight::ServerCallContext& context,
                                           const flight::FlightDescriptor& request,
                                           std::unique_ptr<flight::FlightInfo>* info) {
  return ToClientStatus([&]() -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(auto read,
                          protocol::DecodeReadDescriptor(request, config_.max_command_bytes));
    ARROW_ASSIGN_OR_RAISE(*info, ExecuteToEndpoints(context, read.sql, request));
    return arrow::Status::OK();
  }());
}

arrow::Status FlightService::GetSchema(const flight::ServerCallContext& context,
                                       const flight::FlightDescriptor& request,
                                       std::unique_ptr<flight::SchemaResult>* schema) {
  return ToClientStatus([&]() -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(auto read,
                          protocol::DecodeReadDescriptor(request, config_.max_command_bytes));
    ARROW_ASSIGN_OR_RAISE(auto connection, database_->Connect());
    ARROW_ASSIGN_OR_RAISE(auto result_schema, connection->Describe(read.sql));
    ARROW_ASSIGN_OR_RAISE(*schema, flight::SchemaResult::Make(*result_schema));
    return arrow::Status::OK();
  }());
}

arrow::Status FlightService::DoGet(const flight::ServerCallContext& context,
                                   const flight::Ticket& request,
                                   std::unique_ptr<flight::FlightDataStream>* stream) {
  return ToClientStatus([&]() -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(auto ticket, protocol::DecodeTicket(request, config_.max_command_bytes));
    if (ticket.stored_ticket) {
      auto stored = tickets_.Find(*ticket.stored_ticket);
      if (!stored) return arrow::Status::KeyError("Ticket '", *ticket.stored_ticket, "' not found");
      if (config_.cancel_ticket_after_do_get) tickets_.Remove(*ticket.stored_ticket);
      ARROW_ASSIGN_OR_RAISE(auto reader,
                            arrow::RecordBatchReader::Make(stored->batches, stored->schema));
      *stream = std::make_unique<flight::RecordBatchStream>(std::move(reader));
      return arrow::Status::OK();
    }
    ARROW_ASSIGN_OR_RAISE(auto connection, database_->Connect());
    ARROW_ASSIGN_OR_RAISE(
        auto reader, connection->Query(ticket.sql, {.max_batch_bytes = config_.max_batch_bytes}));
    *stream = std::make_unique<flight::RecordBatchStream>(
        std::make_shared<ClientErrorReader>(std::move(reader)));
    return arrow::Status::OK();
  }());
}

arrow::Status FlightService::DoPut(const flight::ServerCallContext& context,
                                   std::unique_ptr<flight::FlightMessageReader> reader,
                                   std::unique_ptr<flight::FlightMetadataWriter> writer) {
  return ToClientStatus([&]() -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(
        auto put, protocol::DecodePutDescriptor(reader->descriptor(), config_.max_command_bytes));
    ARROW_ASSIGN_OR_RAISE(auto connection, database_->Connect());
    if (auto* sql = std::get_if<std::string>(&put.action)) {
      return connection->Execute(*sql).status();
    }
    const auto& load = std::get<protocol::PutRequest::Load>(put.action);
    ARROW_ASSIGN_OR_RAISE(auto schema, reader->GetSchema());
    engine::IngestTarget target{load.table_path, load.columns, load.create_if_missing};
    ARROW_ASSIGN_OR_RAISE(auto rows,
                          engine::Ingest(*connection, target,
                                         std::make_shared<PutStreamReader>(reader.get(), schema)));
    spdlog::debug("DoPut by '{}' wrote {} rows", auth::CallUser(context), rows);
    return arrow::Status::OK();
  }());
}

arrow::Status FlightService::ListActions(const flight::ServerCallContext& context,
                                         std::vector<flight::ActionType>* actions) {
  *actions = {flight::ActionType::kCancelFlightInfo, flight::ActionType::kRenewFlightEndpoint};
  return arrow::Status::OK();
}

arrow::Result<std::string> FlightService::CancelFlightInfo(const std::string& body) {
  if (body.empty()) return arrow::Status::Invalid("Invalid empty CancelFlightInfo action.");
  ARROW_ASSIGN_OR_RAISE(auto request, flight::CancelFlightInfoRequest::Deserialize(body));
  // Results of GetFlightInfo are complete when it returns: there is no running query left to
  // cancel (such FlightInfos carry no query id in app_metadata).
  flight::CancelFlightInfoResult result{flight::CancelStatus::kNotCancellable};
  return result.SerializeToString();
}

arrow::Result<std::string> FlightService::RenewFlightEndpoint(const std::string& body) {
  if (body.empty()) return arrow::Status::Invalid("Invalid empty RenewFlightEndpoint action.");
  ARROW_ASSIGN_OR_RAISE(auto request, flight::RenewFlightEndpointRequest::Deserialize(body));
  flight::FlightEndpoint endpoint = request.endpoint;
  auto expires = tickets_.Renew(endpoint.ticket.ticket);
  if (!expires) return arrow::Status::KeyError("Ticket '", endpoint.ticket.ticket, "' not found");
  endpoint.expiration_time = *expires;
  return endpoint.SerializeToString();
}

arrow::Status FlightService::DoAction(const flight::ServerCallContext& context,
                                      const flight::Action& action,
                                      std::unique_ptr<flight::ResultStream>* result) {
  return ToClientStatus([&]() -> arrow::Status {
    const std::string body = action.body ? action.body->ToString() : "";
    std::string reply;
    if (action.type == kCancelFlightInfo) {
      ARROW_ASSIGN_OR_RAISE(reply, CancelFlightInfo(body));
    } else if (action.type == kRenewFlightEndpoint) {
      ARROW_ASSIGN_OR_RAISE(reply, RenewFlightEndpoint(body));
    } else {
      return arrow::Status::NotImplemented(action.type, " is not supported");
    }
    std::vector<flight::Result> results(1);
    results[0].body = arrow::Buffer::FromString(std::move(reply));
    *result = std::make_unique<flight::SimpleResultStream>(std::move(results));
    return arrow::Status::OK();
  }());
}

}  // namespace quiver::server
