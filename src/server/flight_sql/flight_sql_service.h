// Flight SQL: the commands that arrive as google.protobuf.Any in descriptors, DoPut and DoAction,
// answered on the engine. FlightService hands every Flight SQL request to this class.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <arrow/flight/server.h>
#include <google/protobuf/any.pb.h>

#include "common/clock.h"
#include "common/config.h"
#include "engine/database.h"
#include "server/execution/poll_store.h"
#include "server/execution/query_governor.h"
#include "server/flight_sql/prepared_statements.h"
#include "server/flight_sql/sql_info.h"
#include "server/flight_sql/transactions.h"
#include "server/results/ticket_store.h"
#include "server/session/call_connection.h"

namespace quiver::flight_sql {

class FlightSqlService {
 public:
  // `polls` holds the queries that the deprecated CancelQuery action may cancel.
  FlightSqlService(std::shared_ptr<engine::Database> database, const ServerConfig& config,
                   results::TicketStore& tickets, execution::PollStore& polls,
                   const Clock& clock);

  // `slot` is the call's place among running queries: the connection the command runs on is
  // handed to it, so that it can be interrupted.
  arrow::Result<std::unique_ptr<arrow::flight::FlightInfo>> GetFlightInfo(
      const arrow::flight::ServerCallContext& context, const google::protobuf::Any& command,
      const arrow::flight::FlightDescriptor& descriptor, execution::QueryGovernor::Slot& slot);
  // A statement query that PollFlightInfo can run in the background: its SQL and the
  // connection it must run on. nullopt for every other command (their answers are complete at
  // once).
  struct PollableStatement {
    session::CallConnection call;
    std::string sql;
  };
  arrow::Result<std::optional<PollableStatement>> PollableStatementOf(
      const arrow::flight::ServerCallContext& context, const google::protobuf::Any& command);
  arrow::Result<std::shared_ptr<arrow::Schema>> GetSchema(
      const arrow::flight::ServerCallContext& context, const google::protobuf::Any& command);
  arrow::Status DoPut(const arrow::flight::ServerCallContext& context,
                      const google::protobuf::Any& command,
                      arrow::flight::FlightMessageReader& reader,
                      arrow::flight::FlightMetadataWriter& writer,
                      execution::QueryGovernor::Slot& slot);
  // The result bodies of a Flight SQL action; nullopt when `action.type` is not one.
  arrow::Result<std::optional<std::vector<std::string>>> DoAction(
      const arrow::flight::ServerCallContext& context, const arrow::flight::Action& action);

  static std::vector<arrow::flight::ActionType> ActionTypes();

 private:
  // The connection a call runs on: its transaction's, else its session's (either held for the
  // call), else a fresh one.
  arrow::Result<session::CallConnection> ConnectionFor(
      const arrow::flight::ServerCallContext& context,
      const std::optional<std::string>& transaction_id);
  // The connection a prepared statement runs on (its transaction's, session's or own).
  arrow::Result<session::CallConnection> StatementConnection(const PreparedStatementEntry& entry);
  arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> RunCommand(
      const arrow::flight::ServerCallContext& context, const google::protobuf::Any& command,
      execution::QueryGovernor::Slot& slot, std::shared_ptr<arrow::Schema>* announced_schema);
  const SqlInfoContext& SqlInfo();

  std::shared_ptr<engine::Database> database_;
  const ServerConfig config_;
  results::TicketStore& tickets_;
  execution::PollStore& polls_;
  TransactionStore transactions_;
  PreparedStatementStore prepared_;
  std::once_flag sql_info_once_;
  SqlInfoContext sql_info_;
};

}  // namespace quiver::flight_sql
