// The Flight server: one thin method per RPC that decodes the request, runs it on the engine and
// encodes the answer.
#pragma once

#include <arrow/flight/server.h>

#include <memory>

#include "common/clock.h"
#include "common/config.h"
#include "engine/database.h"
#include "server/cloudquery/cloudquery_target.h"
#include "server/execution/poll_store.h"
#include "server/execution/query_governor.h"
#include "server/flight_sql/flight_sql_service.h"
#include "server/results/ticket_store.h"
#include "server/session/call_connection.h"
#include "server/session/session_store.h"

namespace quiver::server {

class FlightService : public arrow::flight::FlightServerBase {
 public:
  FlightService(std::shared_ptr<engine::Database> database, const ServerConfig& config,
                const Clock& clock, std::shared_ptr<session::SessionStore> sessions);

  arrow::Status ListFlights(const arrow::flight::ServerCallContext& context,
                            const arrow::flight::Criteria* criteria,
                            std::unique_ptr<arrow::flight::FlightListing>* listings) override;
  arrow::Status GetFlightInfo(const arrow::flight::ServerCallContext& context,
                              const arrow::flight::FlightDescriptor& request,
                              std::unique_ptr<arrow::flight::FlightInfo>* info) override;
  arrow::Status PollFlightInfo(const arrow::flight::ServerCallContext& context,
                               const arrow::flight::FlightDescriptor& request,
                               std::unique_ptr<arrow::flight::PollInfo>* info) override;
  arrow::Status GetSchema(const arrow::flight::ServerCallContext& context,
                          const arrow::flight::FlightDescriptor& request,
                          std::unique_ptr<arrow::flight::SchemaResult>* schema) override;
  arrow::Status DoGet(const arrow::flight::ServerCallContext& context,
                      const arrow::flight::Ticket& request,
                      std::unique_ptr<arrow::flight::FlightDataStream>* stream) override;
  arrow::Status DoPut(const arrow::flight::ServerCallContext& context,
                      std::unique_ptr<arrow::flight::FlightMessageReader> reader,
                      std::unique_ptr<arrow::flight::FlightMetadataWriter> writer) override;
  arrow::Status ListActions(const arrow::flight::ServerCallContext& context,
                            std::vector<arrow::flight::ActionType>* actions) override;
  arrow::Status DoAction(const arrow::flight::ServerCallContext& context,
                         const arrow::flight::Action& action,
                         std::unique_ptr<arrow::flight::ResultStream>* result) override;

  results::TicketStore& tickets() { return tickets_; }
  // Stops the running queries (polled ones at once, the others through their calls) and refuses
  // new ones; called when shutdown begins.
  void StopQueries();

 private:
  // The call's connection: its session's (held for the call) or a fresh one.
  arrow::Result<session::CallConnection> ConnectionFor(
      const arrow::flight::ServerCallContext& context);
  arrow::Result<std::string> SetSessionOptions(const arrow::flight::ServerCallContext& context,
                                               const std::string& body);
  arrow::Result<std::string> GetSessionOptions(const arrow::flight::ServerCallContext& context);
  arrow::Result<std::string> CloseSession(const arrow::flight::ServerCallContext& context);
  // A place among the running queries for this call; the query is interrupted when the client
  // goes away.
  arrow::Result<std::unique_ptr<execution::QueryGovernor::Slot>> AdmitQuery(
      const arrow::flight::ServerCallContext& context);
  arrow::Result<std::unique_ptr<arrow::flight::FlightInfo>> ExecuteToEndpoints(
      const arrow::flight::ServerCallContext& context, const std::string& sql,
      const arrow::flight::FlightDescriptor& descriptor, execution::QueryGovernor::Slot& slot);
  arrow::Status Put(const arrow::flight::ServerCallContext& context,
                    arrow::flight::FlightMessageReader& reader,
                    arrow::flight::FlightMetadataWriter& writer,
                    execution::QueryGovernor::Slot& slot);
  // Starts `sql` on `call`'s connection in the background for PollFlightInfo.
  arrow::Result<arrow::flight::PollInfo> StartPolledQuery(
      const arrow::flight::ServerCallContext& context,
      const arrow::flight::FlightDescriptor& descriptor, session::CallConnection call,
      const std::string& sql, bool flight_sql_metadata);
  arrow::Result<std::unique_ptr<arrow::flight::PollInfo>> PollNewQuery(
      const arrow::flight::ServerCallContext& context,
      const arrow::flight::FlightDescriptor& request);
  arrow::Result<std::string> CancelFlightInfo(const arrow::flight::ServerCallContext& context,
                                              const std::string& body);
  arrow::Result<std::string> RenewFlightEndpoint(const arrow::flight::ServerCallContext& context,
                                                 const std::string& body);

  std::shared_ptr<engine::Database> database_;
  const ServerConfig config_;
  std::shared_ptr<session::SessionStore> sessions_;
  // Declared in this order so that polled queries stop (and give their slots and tickets back)
  // before the ticket store and the governor go away.
  execution::QueryGovernor governor_;
  results::TicketStore tickets_;
  execution::PollStore polls_;
  flight_sql::FlightSqlService flight_sql_;
  cloudquery::CloudQueryTarget cloudquery_;
};

}  // namespace quiver::server
