#include "server/flight_service.h"

#include <arrow/flight/types.h>
#include <arrow/util/byte_size.h>
#include <spdlog/spdlog.h>

#include "engine/catalog.h"
#include "engine/ingest.h"
#include "server/auth/auth_middleware.h"
#include "common/random_id.h"
#include "server/errors.h"
#include "server/flight_sql/envelope.h"
#include "server/protocol/descriptor.h"
#include "server/protocol/put_stream.h"
#include "server/session/session_middleware.h"
#include "server/session/session_options.h"
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
                             const Clock& clock,
                             std::shared_ptr<session::SessionStore> sessions)
    : database_(std::move(database)),
      config_(config),
      sessions_(std::move(sessions)),
      tickets_(clock, std::chrono::seconds(config.tickets_lifetime_seconds)),
      flight_sql_(database_, config, tickets_, clock),
      cloudquery_(database_, config, tickets_) {}

arrow::Result<session::CallConnection> FlightService::ConnectionFor(
    const flight::ServerCallContext& context) {
  return session::ConnectionForCall(*database_, session::CallSession(context));
}

arrow::Result<std::unique_ptr<flight::FlightInfo>> FlightService::ExecuteToEndpoints(
    const flight::ServerCallContext& context, const std::string& sql,
    const flight::FlightDescriptor& descriptor) {
  ARROW_ASSIGN_OR_RAISE(auto call, ConnectionFor(context));
  ARROW_ASSIGN_OR_RAISE(auto reader,
                        call.connection->Query(sql, {.max_batch_bytes = config_.max_batch_bytes}));
  return results::StoreAsFlightInfo(tickets_, *reader, reader->schema(), descriptor,
                                    [&context] { return context.is_cancelled(); });
}

arrow::Status FlightService::ListFlights(const flight::ServerCallContext& context,
                                         const flight::Criteria* criteria,
                                         std::unique_ptr<flight::FlightListing>* listings) {
  return ToClientStatus([&]() -> arrow::Status {
    const std::string pattern = criteria ? criteria->expression : "";
    ARROW_ASSIGN_OR_RAISE(auto call, ConnectionFor(context));
    ARROW_ASSIGN_OR_RAISE(auto tables, engine::ListTables(*call.connection, pattern));
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
    if (auto table = cloudquery::CloudQueryTarget::TableOf(request)) {
      ARROW_ASSIGN_OR_RAISE(*info, cloudquery_.GetFlightInfo(context, *table, request));
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
    if (auto table = cloudquery::CloudQueryTarget::TableOf(request)) {
      ARROW_ASSIGN_OR_RAISE(auto table_schema, cloudquery_.GetSchema(*table));
      ARROW_ASSIGN_OR_RAISE(*schema, flight::SchemaResult::Make(*table_schema));
      return arrow::Status::OK();
    }
    ARROW_ASSIGN_OR_RAISE(auto read,
                          protocol::DecodeReadDescriptor(request, config_.max_command_bytes));
    ARROW_ASSIGN_OR_RAISE(auto call, ConnectionFor(context));
    ARROW_ASSIGN_OR_RAISE(auto result_schema, call.connection->Describe(read.sql));
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
      // The reader stays valid after Remove: a spilled ticket's file is read through its own
      // descriptor.
      ARROW_ASSIGN_OR_RAISE(auto reader, tickets_.Open(*ticket.stored_ticket));
      if (config_.cancel_ticket_after_do_get) tickets_.Remove(*ticket.stored_ticket);
      // Reading a spilled ticket can fail mid-stream (I/O errors).
      *stream = std::make_unique<flight::RecordBatchStream>(
          std::make_shared<ClientErrorReader>(std::move(reader)));
      return arrow::Status::OK();
    }
    ARROW_ASSIGN_OR_RAISE(auto call, ConnectionFor(context));
    ARROW_ASSIGN_OR_RAISE(auto reader, call.connection->Query(
                                           ticket.sql, {.max_batch_bytes = config_.max_batch_bytes}));
    // The stream keeps the call's (session) connection until it has been sent.
    auto held = std::make_shared<session::HeldReader>(std::move(reader), std::move(call));
    *stream = std::make_unique<flight::RecordBatchStream>(
        std::make_shared<ClientErrorReader>(std::move(held)));
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
    // ["cloudquery", "arrowflight", <table>]: before the one-component PATH check below.
    if (auto table = cloudquery::CloudQueryTarget::TableOf(reader->descriptor())) {
      return cloudquery_.DoPut(context, *table, *reader, *writer);
    }
    ARROW_ASSIGN_OR_RAISE(
        auto put, protocol::DecodePutDescriptor(reader->descriptor(), config_.max_command_bytes));
    ARROW_ASSIGN_OR_RAISE(auto call, ConnectionFor(context));
    auto& connection = call.connection;
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
  *actions = {flight::ActionType::kCancelFlightInfo, flight::ActionType::kRenewFlightEndpoint,
              flight::ActionType::kSetSessionOptions, flight::ActionType::kGetSessionOptions,
              flight::ActionType::kCloseSession};
  for (auto& type : flight_sql::FlightSqlService::ActionTypes()) actions->push_back(type);
  for (auto& type : cloudquery::CloudQueryTarget::ActionTypes()) actions->push_back(type);
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

arrow::Result<std::string> FlightService::SetSessionOptions(
    const flight::ServerCallContext& context, const std::string& body) {
  if (body.empty()) return arrow::Status::Invalid("Invalid empty SetSessionOptions action.");
  ARROW_ASSIGN_OR_RAISE(auto request, flight::SetSessionOptionsRequest::Deserialize(body));
  auto* middleware = session::CallSessionMiddleware(context);
  if (middleware && !middleware->session()) {
    // Options need somewhere to live: start a cookie session (the Flight SQL convention).
    const std::string id = RandomUuid();
    ARROW_ASSIGN_OR_RAISE(auto created,
                          sessions_->Acquire(auth::CallUser(context), id, std::nullopt, false));
    middleware->Adopt(std::move(created));
    context.AddHeader("set-cookie", std::string(session::kSessionCookie) + "=" + id);
  }
  ARROW_ASSIGN_OR_RAISE(auto call, ConnectionFor(context));
  ARROW_ASSIGN_OR_RAISE(auto result, session::SetSessionOptions(*call.connection, request));
  return result.SerializeToString();
}

arrow::Result<std::string> FlightService::GetSessionOptions(
    const flight::ServerCallContext& context) {
  ARROW_ASSIGN_OR_RAISE(auto call, ConnectionFor(context));
  ARROW_ASSIGN_OR_RAISE(auto result, session::GetSessionOptions(*call.connection));
  return result.SerializeToString();
}

arrow::Result<std::string> FlightService::CloseSession(const flight::ServerCallContext& context) {
  auto current = session::CallSession(context);
  flight::CloseSessionResult result{flight::CloseSessionStatus::kNotClosable};
  if (current && sessions_->Close(current->user, current->id)) {
    result.status = flight::CloseSessionStatus::kClosed;
    context.AddHeader("set-cookie", std::string(session::kSessionCookie) + "=" + current->id +
                                        "; Max-Age=0");
  }
  return result.SerializeToString();
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
    } else if (action.type == flight::ActionType::kSetSessionOptions.type) {
      ARROW_ASSIGN_OR_RAISE(auto reply, SetSessionOptions(context, body));
      replies.push_back(std::move(reply));
    } else if (action.type == flight::ActionType::kGetSessionOptions.type) {
      ARROW_ASSIGN_OR_RAISE(auto reply, GetSessionOptions(context));
      replies.push_back(std::move(reply));
    } else if (action.type == flight::ActionType::kCloseSession.type) {
      ARROW_ASSIGN_OR_RAISE(auto reply, CloseSession(context));
      replies.push_back(std::move(reply));
    } else if (cloudquery::CloudQueryTarget::IsAction(action.type)) {
      ARROW_ASSIGN_OR_RAISE(replies, cloudquery_.DoAction(context, action.type, body));
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
