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
#include "engine/query_stream.h"
#include "server/flight_sql/column_metadata.h"

namespace quiver::server {

namespace flight = arrow::flight;

namespace {

constexpr const char* kCancelFlightInfo = "CancelFlightInfo";
constexpr const char* kRenewFlightEndpoint = "RenewFlightEndpoint";

// Maps the errors of a result stream (raised while DoGet is sending) like any RPC error. A
// stream that runs a query holds its place among the running queries until it ends.
class ClientErrorReader : public arrow::RecordBatchReader {
 public:
  explicit ClientErrorReader(std::shared_ptr<arrow::RecordBatchReader> source,
                             std::unique_ptr<execution::QueryGovernor::Slot> slot = nullptr)
      : source_(std::move(source)), slot_(std::move(slot)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return source_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    arrow::Status status = source_->ReadNext(batch);
    if (slot_) {
      status = slot_->Explain(std::move(status));
      if (status.ok() && *batch == nullptr) slot_.reset();
    }
    return ToClientStatus(std::move(status));
  }

 private:
  std::shared_ptr<arrow::RecordBatchReader> source_;
  std::unique_ptr<execution::QueryGovernor::Slot> slot_;
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
      governor_({.max_concurrent_queries = config.max_concurrent_queries,
                 .query_timeout = std::chrono::seconds(config.query_timeout_seconds)}),
      tickets_(clock, std::chrono::seconds(config.tickets_lifetime_seconds),
               config.max_tickets_per_user),
      polls_(clock,
             {.lifetime = std::chrono::seconds(config.poll_descriptors_lifetime_seconds),
              .drop_after_answer = config.cancel_flight_descriptor_after_poll_flight_info}),
      flight_sql_(database_, config, tickets_, polls_, clock),
      cloudquery_(database_, config, tickets_) {}

arrow::Result<session::CallConnection> FlightService::ConnectionFor(
    const flight::ServerCallContext& context) {
  return session::ConnectionForCall(*database_, session::CallSession(context));
}

void FlightService::StopQueries() {
  governor_.Shutdown();
  polls_.CancelAll();
}

arrow::Result<std::unique_ptr<execution::QueryGovernor::Slot>> FlightService::AdmitQuery(
    const flight::ServerCallContext& context) {
  // The context outlives the slot: every slot of a call is gone when the call ends.
  return governor_.Admit([&context] { return context.is_cancelled(); });
}

arrow::Result<std::unique_ptr<flight::FlightInfo>> FlightService::ExecuteToEndpoints(
    const flight::ServerCallContext& context, const std::string& sql,
    const flight::FlightDescriptor& descriptor, execution::QueryGovernor::Slot& slot) {
  ARROW_ASSIGN_OR_RAISE(auto call, ConnectionFor(context));
  slot.Watch(call.connection);
  ARROW_ASSIGN_OR_RAISE(auto reader,
                        call.connection->Query(sql, {.max_batch_bytes = config_.max_batch_bytes}));
  return results::StoreAsFlightInfo(tickets_, auth::CallUser(context), *reader, reader->schema(),
                                    descriptor, [&context] { return context.is_cancelled(); });
}

arrow::Result<flight::PollInfo> FlightService::StartPolledQuery(
    const flight::ServerCallContext& context, const flight::FlightDescriptor& descriptor,
    session::CallConnection call, const std::string& sql, bool flight_sql_metadata) {
  // Not tied to this call: the query goes on after PollFlightInfo returns, until it ends, is
  // cancelled, times out or its poll descriptor expires.
  ARROW_ASSIGN_OR_RAISE(auto slot, governor_.Admit({}));
  slot->Watch(call.connection);
  auto connection = call.connection;
  ARROW_RETURN_NOT_OK(engine::EnableProgress(*connection));
  // The schema comes from the prepared statement, so the reply need not wait for the query's
  // first rows (a sort or an aggregation produces none until it is complete).
  ARROW_ASSIGN_OR_RAISE(auto prepared, engine::PrepareLastStatement(*connection, sql));
  execution::BackgroundResult::Query query;
  query.schema =
      flight_sql_metadata ? flight_sql::WithColumnMetadata(*prepared.schema) : prepared.schema;
  query.open = [connection, statement = prepared.statement,
                options = engine::StreamOptions{.max_batch_bytes = config_.max_batch_bytes}]()
      -> arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> {
    ARROW_ASSIGN_OR_RAISE(auto stream, engine::QueryStream::Run(connection, statement, options));
    return stream;
  };
  query.progress = [connection] { return engine::QueryProgress(*connection); };
  query.slot = std::move(slot);
  query.keep_alive = std::make_shared<session::CallConnection>(std::move(call));
  const std::string& user = auth::CallUser(context);
  auto result = std::make_shared<execution::BackgroundResult>(tickets_, user, std::move(query));
  return polls_.Start(user, descriptor, std::move(result));
}

arrow::Result<std::unique_ptr<flight::PollInfo>> FlightService::PollNewQuery(
    const flight::ServerCallContext& context, const flight::FlightDescriptor& request) {
  auto complete = [](std::unique_ptr<flight::FlightInfo> info) {
    return std::make_unique<flight::PollInfo>(std::move(info), std::nullopt, 1.0, std::nullopt);
  };
  if (auto command = FlightSqlCommand(request)) {
    ARROW_ASSIGN_OR_RAISE(auto statement, flight_sql_.PollableStatementOf(context, *command));
    if (!statement) {
      // Metadata and prepared statements: answered completely at once.
      ARROW_ASSIGN_OR_RAISE(auto slot, AdmitQuery(context));
      ARROW_ASSIGN_OR_RAISE(auto info,
                            flight_sql_.GetFlightInfo(context, *command, request, *slot));
      return complete(std::move(info));
    }
    ARROW_ASSIGN_OR_RAISE(auto reply, StartPolledQuery(context, request, std::move(statement->call),
                                                       statement->sql, true));
    return std::make_unique<flight::PollInfo>(std::move(reply));
  }
  if (auto table = cloudquery::CloudQueryTarget::TableOf(request)) {
    ARROW_ASSIGN_OR_RAISE(auto info, cloudquery_.GetFlightInfo(context, *table, request));
    return complete(std::move(info));
  }
  ARROW_ASSIGN_OR_RAISE(auto read,
                        protocol::DecodeReadDescriptor(request, config_.max_command_bytes));
  ARROW_ASSIGN_OR_RAISE(auto call, ConnectionFor(context));
  ARROW_ASSIGN_OR_RAISE(auto reply,
                        StartPolledQuery(context, request, std::move(call), read.sql, false));
  return std::make_unique<flight::PollInfo>(std::move(reply));
}

arrow::Status FlightService::PollFlightInfo(const flight::ServerCallContext& context,
                                            const flight::FlightDescriptor& request,
                                            std::unique_ptr<flight::PollInfo>* info) {
  return ToClientStatus([&]() -> arrow::Status {
    if (execution::PollStore::IsPollDescriptor(request)) {
      ARROW_ASSIGN_OR_RAISE(auto reply, polls_.Poll(request.cmd, auth::CallUser(context)));
      *info = std::make_unique<flight::PollInfo>(std::move(reply));
      return arrow::Status::OK();
    }
    ARROW_ASSIGN_OR_RAISE(*info, PollNewQuery(context, request));
    return arrow::Status::OK();
  }());
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
    if (execution::PollStore::IsPollDescriptor(request)) {
      return arrow::Status::Invalid(
          "Method GetFlightInfo cannot be called with a flight descriptor returned by method "
          "PollFlightInfo");
    }
    ARROW_ASSIGN_OR_RAISE(auto slot, AdmitQuery(context));
    auto run = [&]() -> arrow::Result<std::unique_ptr<flight::FlightInfo>> {
      if (auto command = FlightSqlCommand(request)) {
        return flight_sql_.GetFlightInfo(context, *command, request, *slot);
      }
      if (auto table = cloudquery::CloudQueryTarget::TableOf(request)) {
        return cloudquery_.GetFlightInfo(context, *table, request);
      }
      ARROW_ASSIGN_OR_RAISE(auto read,
                            protocol::DecodeReadDescriptor(request, config_.max_command_bytes));
      return ExecuteToEndpoints(context, read.sql, request, *slot);
    };
    auto result = run();
    ARROW_RETURN_NOT_OK(slot->Explain(result.status()));
    *info = std::move(*result);
    return arrow::Status::OK();
  }());
}

arrow::Status FlightService::GetSchema(const flight::ServerCallContext& context,
                                       const flight::FlightDescriptor& request,
                                       std::unique_ptr<flight::SchemaResult>* schema) {
  return ToClientStatus([&]() -> arrow::Status {
    if (execution::PollStore::IsPollDescriptor(request)) {
      ARROW_ASSIGN_OR_RAISE(auto result_schema,
                            polls_.Schema(request.cmd, auth::CallUser(context)));
      ARROW_ASSIGN_OR_RAISE(*schema, flight::SchemaResult::Make(*result_schema));
      return arrow::Status::OK();
    }
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
      ARROW_ASSIGN_OR_RAISE(auto reader,
                            tickets_.Open(*ticket.stored_ticket, auth::CallUser(context)));
      if (config_.cancel_ticket_after_do_get) tickets_.Remove(*ticket.stored_ticket);
      // Reading a spilled ticket can fail mid-stream (I/O errors).
      *stream = std::make_unique<flight::RecordBatchStream>(
          std::make_shared<ClientErrorReader>(std::move(reader)));
      return arrow::Status::OK();
    }
    ARROW_ASSIGN_OR_RAISE(auto slot, AdmitQuery(context));
    ARROW_ASSIGN_OR_RAISE(auto call, ConnectionFor(context));
    slot->Watch(call.connection);
    auto reader =
        call.connection->Query(ticket.sql, {.max_batch_bytes = config_.max_batch_bytes});
    ARROW_RETURN_NOT_OK(slot->Explain(reader.status()));
    // The stream keeps the call's (session) connection until it has been sent.
    auto held = std::make_shared<session::HeldReader>(std::move(*reader), std::move(call));
    *stream = std::make_unique<flight::RecordBatchStream>(
        std::make_shared<ClientErrorReader>(std::move(held), std::move(slot)));
    return arrow::Status::OK();
  }());
}

arrow::Status FlightService::DoPut(const flight::ServerCallContext& context,
                                   std::unique_ptr<flight::FlightMessageReader> reader,
                                   std::unique_ptr<flight::FlightMetadataWriter> writer) {
  return ToClientStatus([&]() -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(auto slot, AdmitQuery(context));
    return slot->Explain(Put(context, *reader, *writer, *slot));
  }());
}

arrow::Status FlightService::Put(const flight::ServerCallContext& context,
                                 flight::FlightMessageReader& reader,
                                 flight::FlightMetadataWriter& writer,
                                 execution::QueryGovernor::Slot& slot) {
  if (auto command = FlightSqlCommand(reader.descriptor())) {
    return flight_sql_.DoPut(context, *command, reader, writer, slot);
  }
  // ["cloudquery", "arrowflight", <table>]: before the one-component PATH check below.
  if (auto table = cloudquery::CloudQueryTarget::TableOf(reader.descriptor())) {
    return cloudquery_.DoPut(context, *table, reader, writer);
  }
  ARROW_ASSIGN_OR_RAISE(auto put,
                        protocol::DecodePutDescriptor(reader.descriptor(), config_.max_command_bytes));
  ARROW_ASSIGN_OR_RAISE(auto call, ConnectionFor(context));
  slot.Watch(call.connection);
  auto& connection = call.connection;
  if (auto* sql = std::get_if<std::string>(&put.action)) {
    return connection->Execute(*sql).status();
  }
  const auto& load = std::get<protocol::PutRequest::Load>(put.action);
  ARROW_ASSIGN_OR_RAISE(auto schema, reader.GetSchema());
  engine::IngestTarget target{load.table_path, load.columns, load.create_if_missing};
  ARROW_ASSIGN_OR_RAISE(
      auto rows, engine::Ingest(*connection, target,
                                std::make_shared<protocol::PutStreamReader>(reader, schema, config_.max_put_bytes)));
  spdlog::debug("DoPut by '{}' wrote {} rows", auth::CallUser(context), rows);
  return arrow::Status::OK();
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

arrow::Result<std::string> FlightService::CancelFlightInfo(
    const flight::ServerCallContext& context, const std::string& body) {
  if (body.empty()) return arrow::Status::Invalid("Invalid empty CancelFlightInfo action.");
  ARROW_ASSIGN_OR_RAISE(auto request, flight::CancelFlightInfoRequest::Deserialize(body));
  // Only queries started by PollFlightInfo run beyond their call; their FlightInfos name them
  // in app_metadata (those of GetFlightInfo carry none: they are complete).
  flight::CancelFlightInfoResult result{flight::CancelStatus::kNotCancellable};
  const std::string query_id = request.info ? request.info->app_metadata() : std::string();
  if (!query_id.empty() && polls_.Cancel(query_id, auth::CallUser(context))) {
    result.status = flight::CancelStatus::kCancelled;
  }
  return result.SerializeToString();
}

arrow::Result<std::string> FlightService::RenewFlightEndpoint(
    const flight::ServerCallContext& context, const std::string& body) {
  if (body.empty()) return arrow::Status::Invalid("Invalid empty RenewFlightEndpoint action.");
  ARROW_ASSIGN_OR_RAISE(auto request, flight::RenewFlightEndpointRequest::Deserialize(body));
  flight::FlightEndpoint endpoint = request.endpoint;
  auto expires = tickets_.Renew(endpoint.ticket.ticket, auth::CallUser(context));
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
      ARROW_ASSIGN_OR_RAISE(auto reply, CancelFlightInfo(context, body));
      replies.push_back(std::move(reply));
    } else if (action.type == kRenewFlightEndpoint) {
      ARROW_ASSIGN_OR_RAISE(auto reply, RenewFlightEndpoint(context, body));
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
