#include "server/flight_sql/flight_sql_service.h"

#include <arrow/array.h>
#include <arrow/buffer.h>
#include <arrow/config.h>
#include <arrow/ipc/writer.h>
#include <arrow/table.h>

#include "common/sql_text.h"
#include "engine/arrow_view.h"
#include "engine/ingest.h"
#include "flight_sql.pb.h"
#include "server/auth/auth_middleware.h"
#include "server/flight_sql/column_metadata.h"
#include "server/flight_sql/envelope.h"
#include "server/flight_sql/metadata.h"
#include "server/flight_sql/xdbc_type_info.h"
#include "server/session/session_middleware.h"
#include "server/protocol/put_stream.h"
#include "server/results/flight_info_builder.h"

namespace quiver::flight_sql {

namespace flight = arrow::flight;
namespace proto = arrow::flight::protocol::sql;

namespace {

constexpr const char* kCreatePreparedStatement = "CreatePreparedStatement";
constexpr const char* kClosePreparedStatement = "ClosePreparedStatement";
constexpr const char* kCreatePreparedSubstraitPlan = "CreatePreparedSubstraitPlan";
constexpr const char* kBeginTransaction = "BeginTransaction";
constexpr const char* kEndTransaction = "EndTransaction";
constexpr const char* kBeginSavepoint = "BeginSavepoint";
constexpr const char* kEndSavepoint = "EndSavepoint";
constexpr const char* kCancelQuery = "CancelQuery";

std::optional<std::string> TransactionId(bool has, const std::string& id) {
  return has ? std::optional<std::string>(id) : std::nullopt;
}

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> BatchReader(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  return arrow::RecordBatchReader::Make({batch}, batch->schema());
}

arrow::Status WriteUpdateResult(flight::FlightMetadataWriter& writer, int64_t rows) {
  proto::DoPutUpdateResult result;
  result.set_record_count(rows);
  return writer.WriteMetadata(*arrow::Buffer::FromString(result.SerializeAsString()));
}

// All parameter rows of a DoPut stream as one batch (nullptr when it carried no rows).
arrow::Result<std::shared_ptr<arrow::RecordBatch>> ReadParameterRows(
    flight::FlightMessageReader& reader) {
  arrow::RecordBatchVector batches;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(auto chunk, reader.Next());
    if (!chunk.data && !chunk.app_metadata) break;
    if (chunk.data) ARROW_RETURN_NOT_OK(engine::ValidateReceivedBatch(*chunk.data));
    if (chunk.data && chunk.data->num_rows() > 0) batches.push_back(std::move(chunk.data));
  }
  if (batches.empty()) return nullptr;
  if (batches.size() == 1) return batches[0];
  return arrow::ConcatenateRecordBatches(batches);
}

// Runs a prepared statement once per parameter row (once when it has no parameters).
arrow::Status ForEachParameterRow(
    const PreparedStatementEntry& entry,
    const std::function<arrow::Status()>& run) {
  const int64_t expected = entry.query->parameter_count();
  if (expected == 0) return run();
  if (!entry.parameters) {
    return arrow::Status::Invalid(
        "Parameters were not bound before executing a prepared statement");
  }
  for (int64_t row = 0; row < entry.parameters->num_rows(); ++row) {
    ARROW_RETURN_NOT_OK(entry.query->Bind(*entry.parameters, row));
    ARROW_RETURN_NOT_OK(run());
  }
  return arrow::Status::OK();
}

// The result schema of a statement whose types depend on its parameters: run it with the first
// bound row and keep only the schema. Caller holds the entry's lock.
arrow::Result<std::shared_ptr<arrow::Schema>> ResultSchemaOf(const PreparedStatementEntry& entry) {
  if (!entry.parameters) {
    return arrow::Status::Invalid(
        "The result schema of this prepared statement depends on its parameters: bind them "
        "first");
  }
  ARROW_RETURN_NOT_OK(entry.query->Bind(*entry.parameters, 0));
  ARROW_ASSIGN_OR_RAISE(auto reader, entry.query->Query(engine::StreamOptions{}));
  return reader->schema();
}

arrow::Result<std::string> SerializeSchema(const arrow::Schema& schema) {
  ARROW_ASSIGN_OR_RAISE(auto buffer, arrow::ipc::SerializeSchema(schema));
  return buffer->ToString();
}

arrow::Status Unsupported(const google::protobuf::Any& command) {
  return arrow::Status::NotImplemented("Command is not implemented: ", MessageName(command));
}

}  // namespace

FlightSqlService::FlightSqlService(std::shared_ptr<engine::Database> database,
                                   const ServerConfig& config, results::TicketStore& tickets,
                                   execution::PollStore& polls, const Clock& clock)
    : database_(database),
      config_(config),
      tickets_(tickets),
      polls_(polls),
      transactions_(database),
      prepared_(clock, static_cast<size_t>(config.max_prepared_statements_per_user),
                std::chrono::seconds(std::max<int64_t>(0, config.prepared_statements_lifetime_seconds))) {}

std::vector<flight::ActionType> FlightSqlService::ActionTypes() {
  std::vector<flight::ActionType> types;
  for (const char* type : {kCreatePreparedStatement, kClosePreparedStatement, kBeginTransaction,
                           kEndTransaction, kCancelQuery}) {
    types.push_back({type, std::string("Flight SQL ") + type});
  }
  return types;
}

const SqlInfoContext& FlightSqlService::SqlInfo() {
  std::call_once(sql_info_once_, [this] {
    sql_info_.server_version = "0.1.0";
    sql_info_.arrow_version = arrow::GetBuildInfo().version_string;
    sql_info_.duckdb_version = duckdb_library_version();
    auto connection = database_->Connect();
    if (!connection.ok()) return;
    auto list = [&](const std::string& query, std::vector<std::string>* out) {
      auto reader = (*connection)->Query(query, engine::StreamOptions{});
      if (!reader.ok()) return;
      auto table = (*reader)->ToTable();
      if (!table.ok()) return;
      for (const auto& chunk : (*table)->column(0)->chunks()) {
        const auto& names = static_cast<const arrow::StringArray&>(*chunk);
        for (int64_t i = 0; i < names.length(); ++i) out->push_back(names.GetString(i));
      }
    };
    list("SELECT keyword_name FROM duckdb_keywords() ORDER BY 1", &sql_info_.keywords);
    auto functions = [](const std::string& where) {
      return "SELECT DISTINCT upper(function_name) FROM duckdb_functions() WHERE function_type = "
             "'scalar' AND NOT internal IS NULL AND (" + where + ") ORDER BY 1";
    };
    list(functions("return_type IN ('DOUBLE','BIGINT','INTEGER','DECIMAL','FLOAT','HUGEINT') AND "
                   "function_name IN ('abs','acos','asin','atan','atan2','ceil','cos','cot',"
                   "'degrees','exp','floor','ln','log','log10','log2','mod','pi','pow','power',"
                   "'radians','random','round','sign','sin','sqrt','tan','trunc')"),
         &sql_info_.numeric_functions);
    list(functions("function_name IN ('ascii','chr','concat','left','length','lower','lpad',"
                   "'ltrim','repeat','replace','reverse','right','rpad','rtrim','substring',"
                   "'trim','upper','strpos','position','instr')"),
         &sql_info_.string_functions);
    list(functions("function_name IN ('current_database','current_schema','current_user',"
                   "'version','user')"),
         &sql_info_.system_functions);
    list(functions("function_name IN ('current_date','current_time','now','date_part',"
                   "'date_trunc','date_diff','date_add','dayname','monthname','year','month',"
                   "'day','hour','minute','second','quarter','week','dayofweek','dayofyear',"
                   "'extract','make_date','make_timestamp','strftime','strptime')"),
         &sql_info_.datetime_functions);
  });
  return sql_info_;
}

arrow::Result<session::CallConnection> FlightSqlService::ConnectionFor(
    const flight::ServerCallContext& context, const std::optional<std::string>& transaction_id) {
  if (transaction_id) {
    ARROW_ASSIGN_OR_RAISE(auto lease,
                          transactions_.Lease(*transaction_id, auth::CallUser(context)));
    auto connection = lease.connection;
    return session::CallConnection{std::move(connection),
                                   std::make_shared<ConnectionLease>(std::move(lease))};
  }
  return session::ConnectionForCall(*database_, session::CallSession(context));
}

arrow::Result<session::CallConnection> FlightSqlService::StatementConnection(
    const PreparedStatementEntry& entry) {
  if (entry.transaction_id) {
    ARROW_ASSIGN_OR_RAISE(auto lease, transactions_.Lease(*entry.transaction_id, entry.user));
    auto connection = lease.connection;
    return session::CallConnection{std::move(connection),
                                   std::make_shared<ConnectionLease>(std::move(lease))};
  }
  if (entry.session) return session::ConnectionForCall(*database_, entry.session);
  return session::CallConnection{entry.query->connection(), nullptr};
}

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> FlightSqlService::RunCommand(
    const flight::ServerCallContext& context, const google::protobuf::Any& command,
    execution::QueryGovernor::Slot& slot, std::shared_ptr<arrow::Schema>* announced_schema) {
  const std::string& user = auth::CallUser(context);
  const engine::StreamOptions stream_options{.max_batch_bytes = config_.max_batch_bytes};
  auto metadata_result = [&](arrow::Result<std::shared_ptr<arrow::RecordBatch>> batch)
      -> arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> {
    ARROW_ASSIGN_OR_RAISE(auto value, std::move(batch));
    *announced_schema = value->schema();
    return BatchReader(value);
  };

  if (command.Is<proto::CommandStatementQuery>()) {
    ARROW_ASSIGN_OR_RAISE(auto statement, Unpack<proto::CommandStatementQuery>(command));
    if (statement.query().empty()) {
      return arrow::Status::Invalid("CommandStatementQuery: query must not be empty");
    }
    ARROW_ASSIGN_OR_RAISE(auto sql, sql::StripArrowFormat(statement.query()));
    ARROW_ASSIGN_OR_RAISE(
        auto call,
        ConnectionFor(context, TransactionId(statement.has_transaction_id(),
                                             statement.transaction_id())));
    slot.Watch(call.connection);
    ARROW_ASSIGN_OR_RAISE(auto reader, call.connection->Query(sql, stream_options));
    *announced_schema = WithColumnMetadata(*reader->schema());
    return std::make_shared<session::HeldReader>(std::move(reader), std::move(call));
  }
  if (command.Is<proto::CommandPreparedStatementQuery>()) {
    ARROW_ASSIGN_OR_RAISE(auto execute, Unpack<proto::CommandPreparedStatementQuery>(command));
    ARROW_ASSIGN_OR_RAISE(auto entry, prepared_.Find(execute.prepared_statement_handle(), user));
    std::lock_guard lock(entry->mutex);
    ARROW_ASSIGN_OR_RAISE(auto call, StatementConnection(*entry));
    slot.Watch(call.connection);
    if (entry->query->is_update()) {
      return arrow::Status::Invalid(
          "The prepared statement does not return rows: execute it with "
          "CommandPreparedStatementUpdate");
    }
    arrow::RecordBatchVector batches;
    ARROW_RETURN_NOT_OK(ForEachParameterRow(*entry, [&]() -> arrow::Status {
      ARROW_ASSIGN_OR_RAISE(auto reader, entry->query->Query(stream_options));
      ARROW_ASSIGN_OR_RAISE(auto part, reader->ToRecordBatches());
      for (auto& batch : part) batches.push_back(std::move(batch));
      return arrow::Status::OK();
    }));
    std::shared_ptr<arrow::Schema> schema = entry->query->result_schema();
    if (!schema) {
      ARROW_ASSIGN_OR_RAISE(schema, ResultSchemaOf(*entry));
    }
    *announced_schema = WithColumnMetadata(*schema);
    return arrow::RecordBatchReader::Make(std::move(batches), schema);
  }
  if (command.Is<proto::CommandGetSqlInfo>()) {
    ARROW_ASSIGN_OR_RAISE(auto info, Unpack<proto::CommandGetSqlInfo>(command));
    return metadata_result(
        SqlInfoBatch(std::vector<uint32_t>(info.info().begin(), info.info().end()), SqlInfo()));
  }
  if (command.Is<proto::CommandGetXdbcTypeInfo>()) {
    ARROW_ASSIGN_OR_RAISE(auto info, Unpack<proto::CommandGetXdbcTypeInfo>(command));
    return metadata_result(XdbcTypeInfoBatch(
        info.has_data_type() ? std::optional<int32_t>(info.data_type()) : std::nullopt));
  }
  if (command.Is<proto::CommandGetTableTypes>()) return metadata_result(GetTableTypes());

  // The session's connection when there is one, so that its temporary tables and attached
  // databases are listed too.
  ARROW_ASSIGN_OR_RAISE(auto call, ConnectionFor(context, std::nullopt));
  engine::Connection* connection = call.connection.get();
  if (command.Is<proto::CommandGetCatalogs>()) return metadata_result(GetCatalogs(*connection));
  if (command.Is<proto::CommandGetDbSchemas>()) {
    ARROW_ASSIGN_OR_RAISE(auto request, Unpack<proto::CommandGetDbSchemas>(command));
    return metadata_result(GetDbSchemas(*connection, request));
  }
  if (command.Is<proto::CommandGetTables>()) {
    ARROW_ASSIGN_OR_RAISE(auto request, Unpack<proto::CommandGetTables>(command));
    return metadata_result(GetTables(*connection, request));
  }
  if (command.Is<proto::CommandGetPrimaryKeys>()) {
    ARROW_ASSIGN_OR_RAISE(auto request, Unpack<proto::CommandGetPrimaryKeys>(command));
    return metadata_result(GetPrimaryKeys(*connection, request));
  }
  if (command.Is<proto::CommandGetExportedKeys>()) {
    ARROW_ASSIGN_OR_RAISE(auto request, Unpack<proto::CommandGetExportedKeys>(command));
    return metadata_result(GetExportedKeys(*connection, request));
  }
  if (command.Is<proto::CommandGetImportedKeys>()) {
    ARROW_ASSIGN_OR_RAISE(auto request, Unpack<proto::CommandGetImportedKeys>(command));
    return metadata_result(GetImportedKeys(*connection, request));
  }
  if (command.Is<proto::CommandGetCrossReference>()) {
    ARROW_ASSIGN_OR_RAISE(auto request, Unpack<proto::CommandGetCrossReference>(command));
    return metadata_result(GetCrossReference(*connection, request));
  }
  return Unsupported(command);
}

arrow::Result<std::unique_ptr<flight::FlightInfo>> FlightSqlService::GetFlightInfo(
    const flight::ServerCallContext& context, const google::protobuf::Any& command,
    const flight::FlightDescriptor& descriptor, execution::QueryGovernor::Slot& slot) {
  std::shared_ptr<arrow::Schema> schema;
  ARROW_ASSIGN_OR_RAISE(auto reader, RunCommand(context, command, slot, &schema));
  return results::StoreAsFlightInfo(tickets_, auth::CallUser(context), *reader, schema,
                                    descriptor, [&context] { return context.is_cancelled(); });
}

arrow::Result<std::optional<FlightSqlService::PollableStatement>>
FlightSqlService::PollableStatementOf(const flight::ServerCallContext& context,
                                      const google::protobuf::Any& command) {
  if (!command.Is<proto::CommandStatementQuery>()) return std::nullopt;
  ARROW_ASSIGN_OR_RAISE(auto statement, Unpack<proto::CommandStatementQuery>(command));
  if (statement.query().empty()) {
    return arrow::Status::Invalid("CommandStatementQuery: query must not be empty");
  }
  PollableStatement pollable;
  ARROW_ASSIGN_OR_RAISE(pollable.sql, sql::StripArrowFormat(statement.query()));
  ARROW_ASSIGN_OR_RAISE(pollable.call,
                        ConnectionFor(context, TransactionId(statement.has_transaction_id(),
                                                             statement.transaction_id())));
  return pollable;
}

arrow::Result<std::shared_ptr<arrow::Schema>> FlightSqlService::GetSchema(
    const flight::ServerCallContext& context, const google::protobuf::Any& command) {
  const std::string& user = auth::CallUser(context);
  if (command.Is<proto::CommandStatementQuery>()) {
    ARROW_ASSIGN_OR_RAISE(auto statement, Unpack<proto::CommandStatementQuery>(command));
    if (statement.query().empty()) {
      return arrow::Status::Invalid("CommandStatementQuery: query must not be empty");
    }
    ARROW_ASSIGN_OR_RAISE(auto sql, sql::StripArrowFormat(statement.query()));
    ARROW_ASSIGN_OR_RAISE(
        auto call,
        ConnectionFor(context, TransactionId(statement.has_transaction_id(),
                                             statement.transaction_id())));
    ARROW_ASSIGN_OR_RAISE(auto schema, call.connection->Describe(sql));
    return WithColumnMetadata(*schema);
  }
  if (command.Is<proto::CommandPreparedStatementQuery>()) {
    ARROW_ASSIGN_OR_RAISE(auto execute, Unpack<proto::CommandPreparedStatementQuery>(command));
    ARROW_ASSIGN_OR_RAISE(auto entry, prepared_.Find(execute.prepared_statement_handle(), user));
    std::lock_guard lock(entry->mutex);
    std::shared_ptr<arrow::Schema> schema = entry->query->result_schema();
    if (!schema) {
      ARROW_ASSIGN_OR_RAISE(auto call, StatementConnection(*entry));
      ARROW_ASSIGN_OR_RAISE(schema, ResultSchemaOf(*entry));
    }
    return WithColumnMetadata(*schema);
  }
  if (command.Is<proto::CommandGetSqlInfo>()) return SqlInfoSchema();
  if (command.Is<proto::CommandGetXdbcTypeInfo>()) return XdbcTypeInfoSchema();
  if (command.Is<proto::CommandGetCatalogs>()) return CatalogsSchema();
  if (command.Is<proto::CommandGetDbSchemas>()) return DbSchemasSchema();
  if (command.Is<proto::CommandGetTables>()) {
    ARROW_ASSIGN_OR_RAISE(auto request, Unpack<proto::CommandGetTables>(command));
    return TablesSchema(request.include_schema());
  }
  if (command.Is<proto::CommandGetTableTypes>()) return TableTypesSchema();
  if (command.Is<proto::CommandGetPrimaryKeys>()) return PrimaryKeysSchema();
  if (command.Is<proto::CommandGetExportedKeys>() || command.Is<proto::CommandGetImportedKeys>() ||
      command.Is<proto::CommandGetCrossReference>()) {
    return ForeignKeysSchema();
  }
  return Unsupported(command);
}

namespace {

arrow::Result<engine::IngestTarget> IngestTargetFor(const proto::CommandStatementIngest& ingest) {
  using Options = proto::CommandStatementIngest::TableDefinitionOptions;
  if (ingest.table().empty()) return arrow::Status::Invalid("Invalid table name: it is empty");
  engine::IngestTarget target;
  if (ingest.has_catalog()) target.table_path.push_back(ingest.catalog());
  if (ingest.has_schema() || ingest.has_catalog()) {
    target.table_path.push_back(ingest.has_schema() ? ingest.schema() : "main");
  }
  target.table_path.push_back(ingest.table());
  target.temporary = ingest.temporary();
  // Without options a client asks to append to an existing table (as ClickHouse does).
  const Options& options = ingest.table_definition_options();
  target.create_if_missing = ingest.has_table_definition_options() &&
                             options.if_not_exist() == Options::TABLE_NOT_EXIST_OPTION_CREATE;
  switch (ingest.has_table_definition_options() ? options.if_exists()
                                                : Options::TABLE_EXISTS_OPTION_APPEND) {
    case Options::TABLE_EXISTS_OPTION_APPEND:
      target.if_exists = engine::IngestTarget::IfExists::kAppend;
      break;
    case Options::TABLE_EXISTS_OPTION_REPLACE:
      target.if_exists = engine::IngestTarget::IfExists::kReplace;
      break;
    default:
      target.if_exists = engine::IngestTarget::IfExists::kFail;
      break;
  }
  return target;
}

}  // namespace

arrow::Status FlightSqlService::DoPut(const flight::ServerCallContext& context,
                                      const google::protobuf::Any& command,
                                      flight::FlightMessageReader& reader,
                                      flight::FlightMetadataWriter& writer,
                                      execution::QueryGovernor::Slot& slot) {
  const std::string& user = auth::CallUser(context);
  if (command.Is<proto::CommandStatementUpdate>()) {
    ARROW_ASSIGN_OR_RAISE(auto update, Unpack<proto::CommandStatementUpdate>(command));
    if (update.query().empty()) {
      return arrow::Status::Invalid("CommandStatementUpdate: query must not be empty");
    }
    ARROW_ASSIGN_OR_RAISE(
        auto call,
        ConnectionFor(context, TransactionId(update.has_transaction_id(), update.transaction_id())));
    slot.Watch(call.connection);
    int64_t rows = 0;
    if (auto insert = sql::ParseInsertFormat(update.query())) {
      // `INSERT INTO t FORMAT Arrow` takes its rows from the DoPut stream.
      if (!sql::EqualsIgnoreCase(insert->format, "Arrow")) {
        return arrow::Status::ExecutionError(
            "Invalid format, only 'Arrow' format is supported (got ", insert->format, ")");
      }
      ARROW_ASSIGN_OR_RAISE(auto schema, reader.GetSchema());
      engine::IngestTarget target{insert->table_path, insert->columns};
      ARROW_ASSIGN_OR_RAISE(rows, engine::Ingest(*call.connection, target,
                                                 std::make_shared<protocol::PutStreamReader>(reader, schema, config_.max_put_bytes)));
    } else {
      ARROW_ASSIGN_OR_RAISE(auto sql, sql::StripArrowFormat(update.query()));
      ARROW_ASSIGN_OR_RAISE(rows, call.connection->Execute(sql));
    }
    return WriteUpdateResult(writer, rows);
  }
  if (command.Is<proto::CommandStatementIngest>()) {
    ARROW_ASSIGN_OR_RAISE(auto ingest, Unpack<proto::CommandStatementIngest>(command));
    ARROW_ASSIGN_OR_RAISE(auto target, IngestTargetFor(ingest));
    ARROW_ASSIGN_OR_RAISE(
        auto call,
        ConnectionFor(context, TransactionId(ingest.has_transaction_id(), ingest.transaction_id())));
    slot.Watch(call.connection);
    if (target.temporary && !call.hold) {
      return arrow::Status::Invalid(
          "A temporary table only lives as long as its connection: ingest it inside a session "
          "or a transaction");
    }
    ARROW_ASSIGN_OR_RAISE(auto schema, reader.GetSchema());
    ARROW_ASSIGN_OR_RAISE(auto rows, engine::Ingest(*call.connection, target,
                                                    std::make_shared<protocol::PutStreamReader>(reader, schema, config_.max_put_bytes)));
    return WriteUpdateResult(writer, rows);
  }
  if (command.Is<proto::CommandPreparedStatementQuery>()) {
    ARROW_ASSIGN_OR_RAISE(auto bind, Unpack<proto::CommandPreparedStatementQuery>(command));
    ARROW_ASSIGN_OR_RAISE(auto entry, prepared_.Find(bind.prepared_statement_handle(), user));
    ARROW_ASSIGN_OR_RAISE(auto parameters, ReadParameterRows(reader));
    {
      std::lock_guard lock(entry->mutex);
      if (parameters && parameters->num_columns() != entry->query->parameter_count()) {
        return arrow::Status::Invalid("Prepared statement has ", entry->query->parameter_count(),
                                      " parameter(s) but ", parameters->num_columns(),
                                      " value(s) were bound");
      }
      entry->parameters = std::move(parameters);
    }
    proto::DoPutPreparedStatementResult result;
    result.set_prepared_statement_handle(bind.prepared_statement_handle());
    return writer.WriteMetadata(*arrow::Buffer::FromString(result.SerializeAsString()));
  }
  if (command.Is<proto::CommandPreparedStatementUpdate>()) {
    ARROW_ASSIGN_OR_RAISE(auto update, Unpack<proto::CommandPreparedStatementUpdate>(command));
    ARROW_ASSIGN_OR_RAISE(auto entry, prepared_.Find(update.prepared_statement_handle(), user));
    // Some clients (Go) send the parameters with the update itself, others bind them first.
    ARROW_ASSIGN_OR_RAISE(auto parameters, ReadParameterRows(reader));
    std::lock_guard lock(entry->mutex);
    if (parameters) entry->parameters = std::move(parameters);
    ARROW_ASSIGN_OR_RAISE(auto call, StatementConnection(*entry));
    slot.Watch(call.connection);
    int64_t rows = 0;
    ARROW_RETURN_NOT_OK(ForEachParameterRow(*entry, [&]() -> arrow::Status {
      ARROW_ASSIGN_OR_RAISE(auto changed, entry->query->Update());
      rows += changed;
      return arrow::Status::OK();
    }));
    return WriteUpdateResult(writer, rows);
  }
  if (command.Is<proto::CommandStatementSubstraitPlan>()) {
    return arrow::Status::NotImplemented("Substrait plans are not supported");
  }
  return Unsupported(command);
}

arrow::Result<std::optional<std::vector<std::string>>> FlightSqlService::DoAction(
    const flight::ServerCallContext& context, const flight::Action& action) {
  const std::string& user = auth::CallUser(context);
  const std::string body = action.body ? action.body->ToString() : "";
  std::vector<std::string> results;
  bool wrapped = true;

  if (action.type == kCreatePreparedStatement) {
    if (body.empty()) {
      return arrow::Status::Invalid("Invalid empty CreatePreparedStatement action.");
    }
    ARROW_ASSIGN_OR_RAISE(auto request,
                          DecodeActionBody<proto::ActionCreatePreparedStatementRequest>(body, &wrapped));
    if (request.query().empty()) {
      return arrow::Status::Invalid("CreatePreparedStatement: query must not be empty");
    }
    auto entry = std::make_shared<PreparedStatementEntry>();
    entry->user = user;
    ARROW_ASSIGN_OR_RAISE(entry->sql, sql::StripArrowFormat(request.query()));
    entry->transaction_id =
        TransactionId(request.has_transaction_id(), request.transaction_id());
    {
      // Prepared on the call's transaction or session connection (so it sees their temporary
      // objects and dies with them), else on a connection of its own.
      ARROW_ASSIGN_OR_RAISE(auto call, ConnectionFor(context, entry->transaction_id));
      if (!entry->transaction_id) entry->session = session::CallSession(context);
      ARROW_ASSIGN_OR_RAISE(entry->query,
                            engine::PreparedQuery::Prepare(call.connection, entry->sql));
    }
    proto::ActionCreatePreparedStatementResult result;
    result.set_is_update(entry->query->is_update());
    if (!entry->query->is_update() && entry->query->result_schema()) {
      ARROW_ASSIGN_OR_RAISE(auto dataset,
                            SerializeSchema(*WithColumnMetadata(*entry->query->result_schema())));
      result.set_dataset_schema(std::move(dataset));
    }
    ARROW_ASSIGN_OR_RAISE(auto parameters, SerializeSchema(*entry->query->parameter_schema()));
    result.set_parameter_schema(std::move(parameters));
    ARROW_ASSIGN_OR_RAISE(auto handle, prepared_.Add(std::move(entry)));
    result.set_prepared_statement_handle(handle);
    results.push_back(wrapped ? Pack(result) : result.SerializeAsString());
    return results;
  }
  if (action.type == kClosePreparedStatement) {
    if (body.empty()) {
      return arrow::Status::Invalid("Invalid empty ClosePreparedStatement action.");
    }
    ARROW_ASSIGN_OR_RAISE(auto request,
                          DecodeActionBody<proto::ActionClosePreparedStatementRequest>(body, &wrapped));
    auto current = session::CallSession(context);
    prepared_.Close(request.prepared_statement_handle(), user,
                    current ? std::optional<std::string>(current->id) : std::nullopt);
    return results;
  }
  if (action.type == kBeginTransaction) {
    ARROW_ASSIGN_OR_RAISE(auto id, transactions_.Begin(user));
    proto::ActionBeginTransactionResult result;
    result.set_transaction_id(id);
    results.push_back(Pack(result));
    return results;
  }
  if (action.type == kEndTransaction) {
    ARROW_ASSIGN_OR_RAISE(auto request,
                          DecodeActionBody<proto::ActionEndTransactionRequest>(body, &wrapped));
    using End = proto::ActionEndTransactionRequest;
    if (request.action() != End::END_TRANSACTION_COMMIT &&
        request.action() != End::END_TRANSACTION_ROLLBACK) {
      return arrow::Status::Invalid("EndTransaction: action must be COMMIT or ROLLBACK");
    }
    ARROW_RETURN_NOT_OK(transactions_.End(request.transaction_id(), user,
                                          request.action() == End::END_TRANSACTION_COMMIT));
    return results;
  }
  if (action.type == kBeginSavepoint || action.type == kEndSavepoint) {
    return arrow::Status::NotImplemented(action.type,
                                         " is not supported: DuckDB has no savepoints");
  }
  if (action.type == kCreatePreparedSubstraitPlan) {
    return arrow::Status::NotImplemented("Substrait plans are not supported");
  }
  if (action.type == kCancelQuery) {
    // The deprecated form of CancelFlightInfo: only polled queries run beyond their call.
    if (body.empty()) return arrow::Status::Invalid("Invalid empty CancelQuery action.");
    ARROW_ASSIGN_OR_RAISE(auto request,
                          DecodeActionBody<proto::ActionCancelQueryRequest>(body, &wrapped));
    ARROW_ASSIGN_OR_RAISE(auto info, flight::FlightInfo::Deserialize(request.info()));
    proto::ActionCancelQueryResult result;
    const bool cancelled =
        !info->app_metadata().empty() && polls_.Cancel(info->app_metadata(), user);
    result.set_result(cancelled ? proto::ActionCancelQueryResult::CANCEL_RESULT_CANCELLED
                                : proto::ActionCancelQueryResult::CANCEL_RESULT_NOT_CANCELLABLE);
    results.push_back(Pack(result));
    return results;
  }
  return std::nullopt;
}

}  // namespace quiver::flight_sql
