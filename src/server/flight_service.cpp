#include "server/flight_service.h"

#include <arrow/flight/types.h>
#include <arrow/util/byte_size.h>
#include <spdlog/spdlog.h>

#include "engine/catalog.h"
#include "engine/ingest.h"
#include "server/auth/auth_middleware.h"
#include "server/errors.h"
#include "server/flight_sql/envelope.h"
#include "server/protocol/descriptor.h"
#include "server/protocol/put_stream.h"
#include "server/results/flight_info_builder.h"

namespace quiver::server {

namespace flight = arrow::flight;

namespace {

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

// The Flight SQL command in a CMD descriptor, if it holds one.
std::optional<google::protobuf::Any> FlightSqlCommand(const flight::FlightDescriptor& descriptor) {
  if (descriptor.type != flight::FlightDescriptor::CMD) return std::nullopt;
  return flight_sql::ParseFlightSqlAny(descriptor.cmd);
}

}  // namespace

FlightService::FlightService(std::shared_ptr<engine::Database> database, const ServerConfig& config,
                             const Clock& clock)
    : database_(std::move(database)),
      config_(config),
      tickets_(clock, std::chrono::seconds(config.tickets_lifetime_seconds)),
      flight_sql_(database_, config, tickets_, clock) {}

arrow::Result<std::unique_ptr<flight::FlightInfo>> FlightService::ExecuteToEndpoints(
    const flight::ServerCallContext& context, const std::string& sql,
    const flight::FlightDescriptor& descriptor) {
  ARROW_ASSIGN_OR_RAISE(auto connection, database_->Connect());
  ARROW_ASSIGN_OR_RAISE(auto reader,
                        connection->Query(sql, {.max_batch_bytes = config_.max_batch_bytes}));
  return results::StoreAsFlightInfo(tickets_, *reader, reader->schema(), descriptor,
                                    [&context] { return context.is_cancelled(); });
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
    if (auto command = FlightSqlCommand(request)) {
      ARROW_ASSIGN_OR_RAISE(*info, flight_sql_.GetFlightInfo(context, *command, request));
      return arrow::Status::OK();
    }
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
    if (auto command = FlightSqlCommand(request)) {
      ARROW_ASSIGN_OR_RAISE(auto result_schema, flight_sql_.GetSchema(context, *command));
      ARROW_ASSIGN_OR_RAISE(*schema, flight::SchemaResult::Make(*result_schema));
      return arrow::Status::OK();
    }
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
    if (auto command = FlightSqlCommand(reader->descriptor())) {
      return flight_sql_.DoPut(context, *command, *reader, *writer);
    }
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
                                         std::make_shared<protocol::PutStreamReader>(*reader, schema)));
    spdlog::debug("DoPut by '{}' wrote {} rows", auth::CallUser(context), rows);
    return arrow::Status::OK();
  }());
}

arrow::Status FlightService::ListActions(const flight::ServerCallContext& context,
                                         std::vector<flight::ActionType>* actions) {
  *actions = {flight::ActionType::kCancelFlightInfo, flight::ActionType::kRenewFlightEndpoint};
  for (auto& type : flight_sql::FlightSqlService::ActionTypes()) actions->push_back(type);
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
    std::vector<std::string> replies;
    if (action.type == kCancelFlightInfo) {
      ARROW_ASSIGN_OR_RAISE(auto reply, CancelFlightInfo(body));
      replies.push_back(std::move(reply));
    } else if (action.type == kRenewFlightEndpoint) {
      ARROW_ASSIGN_OR_RAISE(auto reply, RenewFlightEndpoint(body));
      replies.push_back(std::move(reply));
    } else {
      ARROW_ASSIGN_OR_RAISE(auto flight_sql_replies, flight_sql_.DoAction(context, action));
      if (!flight_sql_replies) {
        return arrow::Status::NotImplemented(action.type, " is not supported");
      }
      replies = std::move(*flight_sql_replies);
    }
    std::vector<flight::Result> results(replies.size());
    for (size_t i = 0; i < replies.size(); ++i) {
      results[i].body = arrow::Buffer::FromString(std::move(replies[i]));
    }
    *result = std::make_unique<flight::SimpleResultStream>(std::move(results));
    return arrow::Status::OK();
  }());
}

}  // namespace quiver::server
