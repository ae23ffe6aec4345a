#include "server/cloudquery/cloudquery_target.h"

#include <arrow/array/builder_primitive.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <arrow/table.h>
#include <arrow/util/byte_size.h>
#include <arrow/util/key_value_metadata.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "cloudquery/plugin/v3/plugin.pb.h"
#include "common/sql_text.h"
#include "engine/arrow_view.h"
#include "engine/catalog.h"
#include "server/auth/auth_middleware.h"
#include "server/cloudquery/cq_schema.h"
#include "server/cloudquery/type_mapping.h"
#include "server/protocol/put_stream.h"
#include "server/results/flight_info_builder.h"

namespace quiver::cloudquery {
namespace flight = arrow::flight;
namespace pb = ::cloudquery::plugin::v3;

namespace {

constexpr const char* kMigrateTable = "MigrateTable";
constexpr const char* kDeleteStale = "DeleteStale";
constexpr const char* kDeleteRecord = "DeleteRecord";
// Where the CloudQuery schema of every table is kept (schema-qualified, out of ListFlights).
constexpr const char* kMetaTable = "quiver_cloudquery.tables";
// Row order inside a batch, so that the last of several rows with one primary key wins.
constexpr const char* kOrdinalColumn = "__quiver_cq_ordinal";

using sql::QuoteIdentifier;
using sql::QuoteString;

std::string Json(const std::map<std::string, std::string>& fields) {
  std::string out = "{";
  for (const auto& [key, value] : fields) {
    out += (out.size() > 1 ? "," : "") + std::string("\"") + key + "\":" + value;
  }
  return out + "}";
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

// BEGIN ... COMMIT, rolled back unless committed.
class Transaction {
 public:
  static arrow::Result<std::unique_ptr<Transaction>> Begin(engine::Connection& connection) {
    ARROW_RETURN_NOT_OK(connection.Execute("BEGIN TRANSACTION").status());
    return std::unique_ptr<Transaction>(new Transaction(connection));
  }
  ~Transaction() {
    if (open_) (void)connection_.Execute("ROLLBACK");
  }
  arrow::Status Commit() {
    open_ = false;
    return connection_.Execute("COMMIT").status();
  }

 private:
  explicit Transaction(engine::Connection& connection) : connection_(connection) {}
  engine::Connection& connection_;
  bool open_ = true;
};

arrow::Result<std::shared_ptr<arrow::Table>> QueryTable(engine::Connection& connection,
                                                        const std::string& sql) {
  ARROW_ASSIGN_OR_RAISE(auto reader, connection.Query(sql, engine::StreamOptions{}));
  ARROW_ASSIGN_OR_RAISE(auto table, reader->ToTable());
  return table->CombineChunks();
}

arrow::Result<std::shared_ptr<arrow::Schema>> ReadSchemaIpc(const std::string& bytes) {
  auto input = std::make_shared<arrow::io::BufferReader>(arrow::Buffer::FromString(bytes));
  auto reader = arrow::ipc::RecordBatchStreamReader::Open(input);
  if (!reader.ok()) {
    return arrow::Status::Invalid("cannot read the Arrow schema: ", reader.status().message());
  }
  return (*reader)->schema();
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> ReadRecordIpc(const std::string& bytes) {
  auto input = std::make_shared<arrow::io::BufferReader>(arrow::Buffer::FromString(bytes));
  auto reader = arrow::ipc::RecordBatchStreamReader::Open(input);
  if (!reader.ok()) {
    return arrow::Status::Invalid("cannot read the Arrow record: ", reader.status().message());
  }
  std::shared_ptr<arrow::RecordBatch> batch;
  ARROW_RETURN_NOT_OK((*reader)->ReadNext(&batch));
  if (batch == nullptr) return arrow::Status::Invalid("the Arrow record holds no record batch");
  ARROW_RETURN_NOT_OK(engine::ValidateReceivedBatch(*batch));
  return batch;
}

std::string Hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
  return out;
}

const ColumnDef* FindColumn(const TableDef& table, const std::string& name) {
  for (const auto& column : table.columns) {
    if (sql::EqualsIgnoreCase(column.name, name)) return &column;
  }
  return nullptr;
}

// The table as DuckDB has it (canonical types, primary key), or nullopt when it does not exist.
arrow::Result<std::optional<TableDef>> ExistingTable(engine::Connection& connection,
                                                     const std::string& table) {
  const std::string where =
      "database_name = current_database() AND schema_name = current_schema() AND "
      "lower(table_name) = lower(" +
      QuoteString(table) + ")";
  ARROW_ASSIGN_OR_RAISE(auto columns,
                        QueryTable(connection,
                                   "SELECT column_name, data_type, NOT is_nullable FROM "
                                   "duckdb_columns() WHERE " +
                                       where + " ORDER BY column_index"));
  if (columns->num_rows() == 0) return std::nullopt;
  TableDef def;
  auto names = std::static_pointer_cast<arrow::StringArray>(columns->column(0)->chunk(0));
  auto types = std::static_pointer_cast<arrow::StringArray>(columns->column(1)->chunk(0));
  auto not_null = std::static_pointer_cast<arrow::BooleanArray>(columns->column(2)->chunk(0));
  for (int64_t i = 0; i < columns->num_rows(); ++i) {
    def.columns.push_back({names->GetString(i), types->GetString(i), not_null->Value(i)});
  }
  ARROW_ASSIGN_OR_RAISE(auto keys, QueryTable(connection,
                                              "SELECT unnest(constraint_column_names) FROM "
                                              "duckdb_constraints() WHERE constraint_type = "
                                              "'PRIMARY KEY' AND " +
                                                  where));
  if (keys->num_rows() > 0) {
    auto key_names = std::static_pointer_cast<arrow::StringArray>(keys->column(0)->chunk(0));
    for (int64_t i = 0; i < keys->num_rows(); ++i)
      def.primary_key.push_back(key_names->GetString(i));
  }
  return def;
}

// Replaces the types of `def` by DuckDB's own spelling of them, to compare with ExistingTable.
arrow::Status Canonicalize(engine::Connection& connection, TableDef* def) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < def->columns.size(); ++i) {
    sql += (i ? ", " : "") + std::string("typeof(CAST(NULL AS ") + def->columns[i].type + "))";
  }
  ARROW_ASSIGN_OR_RAISE(auto types, QueryTable(connection, sql));
  for (size_t i = 0; i < def->columns.size(); ++i) {
    auto column = std::static_pointer_cast<arrow::StringArray>(types->column(i)->chunk(0));
    def->columns[i].type = column->GetString(0);
  }
  return arrow::Status::OK();
}

arrow::Status StoreSchema(engine::Connection& connection, const std::string& table,
                          const arrow::Schema& schema) {
  ARROW_RETURN_NOT_OK(connection
                          .Execute("CREATE SCHEMA IF NOT EXISTS quiver_cloudquery; "
                                   "CREATE TABLE IF NOT EXISTS " +
                                   std::string(kMetaTable) +
                                   " (table_name VARCHAR PRIMARY KEY, arrow_schema BLOB NOT "
                                   "NULL, migrated_at TIMESTAMPTZ NOT NULL)")
                          .status());
  ARROW_ASSIGN_OR_RAISE(auto sink, arrow::io::BufferOutputStream::Create());
  ARROW_ASSIGN_OR_RAISE(
      auto writer, arrow::ipc::MakeStreamWriter(sink, std::make_shared<arrow::Schema>(schema)));
  ARROW_RETURN_NOT_OK(writer->Close());
  ARROW_ASSIGN_OR_RAISE(auto bytes, sink->Finish());
  return connection
      .Execute("INSERT OR REPLACE INTO " + std::string(kMetaTable) + " VALUES (" +
               QuoteString(table) + ", from_hex('" + Hex(bytes->ToString()) + "'), now())")
      .status();
}

// The CloudQuery schema a table was migrated with, or null when there is none.
arrow::Result<std::shared_ptr<arrow::Schema>> LoadSchema(engine::Connection& connection,
                                                         const std::string& table) {
  ARROW_ASSIGN_OR_RAISE(bool exists,
                        engine::TableExists(connection, {"quiver_cloudquery", "tables"}));
  if (!exists) return nullptr;
  ARROW_ASSIGN_OR_RAISE(
      auto result,
      QueryTable(connection, "SELECT arrow_schema FROM " + std::string(kMetaTable) +
                                 " WHERE lower(table_name) = lower(" + QuoteString(table) + ")"));
  if (result->num_rows() == 0) return nullptr;
  auto blob = std::static_pointer_cast<arrow::BinaryArray>(result->column(0)->chunk(0));
  return ReadSchemaIpc(blob->GetString(0));
}

std::shared_ptr<arrow::Schema> WithTableName(const std::shared_ptr<arrow::Schema>& schema,
                                             const std::string& table) {
  auto metadata =
      schema->metadata() ? schema->metadata()->Copy() : std::make_shared<arrow::KeyValueMetadata>();
  if (metadata->Contains(kTableNameKey)) return schema;
  metadata->Append(kTableNameKey, table);
  return schema->WithMetadata(metadata);
}

// Creates or migrates `table` to the CloudQuery `schema`; returns what was done.
arrow::Result<std::string> Migrate(engine::Connection& connection, const std::string& table,
                                   const arrow::Schema& schema, bool force) {
  ARROW_ASSIGN_OR_RAISE(auto desired, DesiredTable(schema));
  ARROW_RETURN_NOT_OK(Canonicalize(connection, &desired));
  auto apply = [&](bool allow_recreate) -> arrow::Result<std::string> {
    ARROW_ASSIGN_OR_RAISE(auto transaction, Transaction::Begin(connection));
    ARROW_ASSIGN_OR_RAISE(auto existing, ExistingTable(connection, table));
    std::string outcome;
    if (!existing) {
      ARROW_RETURN_NOT_OK(connection.Execute(CreateTableSql(table, desired)).status());
      outcome = "created";
    } else {
      ARROW_ASSIGN_OR_RAISE(auto plan, PlanMigration(table, *existing, desired, force));
      if (plan.kind == MigrationPlan::Kind::kRebuild && allow_recreate) {
        plan.kind = MigrationPlan::Kind::kRecreate;
        plan.rebuilt = desired;
      }
      switch (plan.kind) {
        case MigrationPlan::Kind::kNone:
          outcome = "unchanged";
          break;
        case MigrationPlan::Kind::kAlter:
          for (const auto& statement : plan.statements) {
            ARROW_RETURN_NOT_OK(connection.Execute(statement).status());
          }
          outcome = "altered";
          break;
        case MigrationPlan::Kind::kRebuild: {
          // Copy into a table with the new key, then swap: DuckDB cannot change a primary key.
          const std::string staging = table + "__quiver_migrate";
          ARROW_RETURN_NOT_OK(connection.Execute(CreateTableSql(staging, plan.rebuilt)).status());
          std::string columns;
          for (const auto& column : plan.rebuilt.columns) {
            if (FindColumn(*existing, column.name) == nullptr) continue;
            columns += (columns.empty() ? "" : ", ") + QuoteIdentifier(column.name);
          }
          ARROW_RETURN_NOT_OK(connection
                                  .Execute("INSERT INTO " + QuoteIdentifier(staging) + " (" +
                                           columns + ") SELECT " + columns + " FROM " +
                                           QuoteIdentifier(table))
                                  .status());
          ARROW_RETURN_NOT_OK(connection.Execute("DROP TABLE " + QuoteIdentifier(table)).status());
          ARROW_RETURN_NOT_OK(connection
                                  .Execute("ALTER TABLE " + QuoteIdentifier(staging) +
                                           " RENAME TO " + QuoteIdentifier(table))
                                  .status());
          outcome = "rebuilt";
          break;
        }
        case MigrationPlan::Kind::kRecreate:
          ARROW_RETURN_NOT_OK(connection.Execute("DROP TABLE " + QuoteIdentifier(table)).status());
          ARROW_RETURN_NOT_OK(connection.Execute(CreateTableSql(table, plan.rebuilt)).status());
          outcome = "recreated";
          break;
      }
    }
    ARROW_RETURN_NOT_OK(StoreSchema(
        connection, table, *WithTableName(std::make_shared<arrow::Schema>(schema), table)));
    ARROW_RETURN_NOT_OK(transaction->Commit());
    return outcome;
  };
  auto outcome = apply(/*allow_recreate=*/false);
  if (!outcome.ok() && force && !outcome.status().IsInvalid()) {
    // A new key the data does not satisfy (duplicates, nulls): forced, so start afresh.
    spdlog::warn("MigrateTable {}: {}; recreating the table (forced)", table,
                 outcome.status().message());
    outcome = apply(/*allow_recreate=*/true);
  }
  return outcome;
}

// Inserts (or, with a primary key, upserts) CloudQuery batches of one stream in one statement.
arrow::Status InsertBatches(engine::Connection& connection, const std::string& insert_columns,
                            const std::string& select_columns, const std::string& table,
                            const std::vector<std::string>& primary_key,
                            const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
  arrow::RecordBatchVector storage;
  int64_t ordinal = 0;
  for (const auto& batch : batches) {
    if (batch->num_rows() == 0) continue;
    ARROW_ASSIGN_OR_RAISE(auto converted, ToStorage(batch));
    if (!primary_key.empty()) {
      // Row order across the group, so that the last of several rows with one key wins.
      arrow::Int64Builder ordinals;
      ARROW_RETURN_NOT_OK(ordinals.Reserve(converted->num_rows()));
      for (int64_t i = 0; i < converted->num_rows(); ++i) ordinals.UnsafeAppend(ordinal++);
      ARROW_ASSIGN_OR_RAISE(auto ordinal_array, ordinals.Finish());
      ARROW_ASSIGN_OR_RAISE(
          converted,
          converted->AddColumn(converted->num_columns(),
                               arrow::field(kOrdinalColumn, arrow::int64()), ordinal_array));
    }
    storage.push_back(std::move(converted));
  }
  if (storage.empty()) return arrow::Status::OK();
  std::string sql;
  if (primary_key.empty()) {
    sql = "INSERT INTO " + QuoteIdentifier(table) + " (" + insert_columns + ") SELECT " +
          select_columns + " FROM ";
  } else {
    std::string partition;
    for (const auto& key : primary_key) {
      partition += (partition.empty() ? "" : ", ") + QuoteIdentifier(key);
    }
    // DuckDB keeps the first of several rows with one key in a statement; CloudQuery wants the
    // last, so duplicates are removed before the upsert.
    sql = "INSERT OR REPLACE INTO " + QuoteIdentifier(table) + " (" + insert_columns + ") SELECT " +
          select_columns + " FROM {view} QUALIFY row_number() OVER (PARTITION BY " + partition +
          " ORDER BY " + kOrdinalColumn + " DESC) = 1";
  }
  auto schema = storage.front()->schema();
  ARROW_ASSIGN_OR_RAISE(auto reader, arrow::RecordBatchReader::Make(std::move(storage), schema));
  ARROW_ASSIGN_OR_RAISE(auto view, engine::ArrowView::Register(connection, std::move(reader)));
  if (primary_key.empty()) {
    sql += view->name();
  } else {
    sql.replace(sql.find("{view}"), 6, view->name());
  }
  return connection.Execute(sql).status();
}

// The batches of a DoPut stream, read on their own thread. While one group is being inserted the
// next batches queue up and are inserted together: one statement (and commit) per group rather
// than per batch, which is what small CloudQuery records need.
class BatchQueue {
 public:
  // Blocks while the queue holds more than the limit, so memory stays bounded.
  void Push(std::shared_ptr<arrow::RecordBatch> batch) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return bytes_ < kMaxQueuedBytes || abandoned_; });
    if (abandoned_) return;  // after a failed insert the rest of the stream is dropped
    bytes_ += arrow::util::TotalBufferSize(*batch);
    batches_.push_back(std::move(batch));
    changed_.notify_all();
  }
  void Finish(arrow::Status status) {
    std::lock_guard lock(mutex_);
    finished_ = true;
    reader_status_ = std::move(status);
    changed_.notify_all();
  }
  void Abandon() {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
    batches_.clear();
    bytes_ = 0;
    changed_.notify_all();
  }
  // The queued batches (at least one), or false at the end of the stream.
  bool Take(std::vector<std::shared_ptr<arrow::RecordBatch>>* group) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !batches_.empty() || finished_; });
    if (batches_.empty()) return false;
    group->assign(batches_.begin(), batches_.end());
    batches_.clear();
    bytes_ = 0;
    changed_.notify_all();
    return true;
  }
  arrow::Status reader_status() {
    std::lock_guard lock(mutex_);
    return reader_status_;
  }

 private:
  static constexpr int64_t kMaxQueuedBytes = 64LL * 1024 * 1024;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<arrow::RecordBatch>> batches_;
  int64_t bytes_ = 0;
  bool finished_ = false;
  bool abandoned_ = false;
  arrow::Status reader_status_;
};

// Converts DuckDB's result batches to the CloudQuery schema the table was migrated with.
class CloudQueryReader : public arrow::RecordBatchReader {
 public:
  CloudQueryReader(std::shared_ptr<arrow::RecordBatchReader> source,
                   std::shared_ptr<arrow::Schema> schema)
      : source_(std::move(source)), schema_(std::move(schema)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    std::shared_ptr<arrow::RecordBatch> stored;
    ARROW_RETURN_NOT_OK(source_->ReadNext(&stored));
    if (stored == nullptr) {
      *batch = nullptr;
      return arrow::Status::OK();
    }
    arrow::ArrayVector columns;
    for (int i = 0; i < schema_->num_fields(); ++i) {
      ARROW_ASSIGN_OR_RAISE(auto column, FromStorage(stored->column(i), *schema_->field(i)));
      columns.push_back(std::move(column));
    }
    *batch = arrow::RecordBatch::Make(schema_, stored->num_rows(), std::move(columns));
    return arrow::Status::OK();
  }

 private:
  std::shared_ptr<arrow::RecordBatchReader> source_;
  std::shared_ptr<arrow::Schema> schema_;
};

// Predicate values of DeleteRecord, kept in temporary tables for the statements that use them
// (an Arrow view can be scanned only once); dropped when done.
class PredicateTables {
 public:
  explicit PredicateTables(engine::Connection& connection) : connection_(connection) {}
  ~PredicateTables() {
    for (const auto& name : names_) (void)connection_.Execute("DROP TABLE IF EXISTS " + name);
  }
  arrow::Result<std::string> Add(const std::shared_ptr<arrow::RecordBatch>& batch) {
    static std::atomic<uint64_t> counter{0};
    ARROW_ASSIGN_OR_RAISE(auto storage, ToStorage(batch));
    ARROW_ASSIGN_OR_RAISE(auto reader,
                          arrow::RecordBatchReader::Make({storage}, storage->schema()));
    ARROW_ASSIGN_OR_RAISE(auto view, engine::ArrowView::Register(connection_, std::move(reader)));
    std::string name = "__quiver_cq_predicate_" + std::to_string(++counter);
    ARROW_RETURN_NOT_OK(
        connection_.Execute("CREATE TEMP TABLE " + name + " AS SELECT * FROM " + view->name())
            .status());
    names_.push_back(name);
    return name;
  }

 private:
  engine::Connection& connection_;
  std::vector<std::string> names_;
};

arrow::Result<std::string> WhereClause(
    const google::protobuf::RepeatedPtrField<pb::PredicatesGroup>& groups,
    PredicateTables* tables) {
  std::string where;
  for (const auto& group : groups) {
    const char* joiner = group.grouping_type() == pb::PredicatesGroup::OR ? " OR " : " AND ";
    std::string clause;
    for (const auto& predicate : group.predicates()) {
      if (predicate.operator_() != pb::Predicate::EQ) {
        return arrow::Status::NotImplemented("DeleteRecord: only EQ predicates are supported");
      }
      ARROW_ASSIGN_OR_RAISE(auto record, ReadRecordIpc(predicate.record()));
      const int index = record->schema()->GetFieldIndex(predicate.column());
      if (index < 0) {
        return arrow::Status::Invalid("DeleteRecord: the predicate record has no column '",
                                      predicate.column(), "'");
      }
      ARROW_ASSIGN_OR_RAISE(auto values, record->SelectColumns({index}));
      ARROW_ASSIGN_OR_RAISE(auto name, tables->Add(values));
      const std::string column = QuoteIdentifier(predicate.column());
      clause +=
          (clause.empty() ? "" : joiner) + column + " IN (SELECT " + column + " FROM " + name + ")";
    }
    if (clause.empty()) continue;
    where += (where.empty() ? "" : " AND ") + ("(" + clause + ")");
  }
  return where.empty() ? "TRUE" : where;
}

}  // namespace

bool CloudQueryTarget::IsAction(const std::string& type) {
  return type == kMigrateTable || type == kDeleteStale || type == kDeleteRecord;
}

std::vector<flight::ActionType> CloudQueryTarget::ActionTypes() {
  return {{kMigrateTable, "CloudQuery: create or migrate a table (Write.MessageMigrateTable)"},
          {kDeleteStale,
           "CloudQuery: delete a source's rows older than a sync (Write.MessageDeleteStale)"},
          {kDeleteRecord, "CloudQuery: delete matching rows (Write.MessageDeleteRecord)"}};
}

std::optional<std::string> CloudQueryTarget::TableOf(const flight::FlightDescriptor& descriptor) {
  if (descriptor.type != flight::FlightDescriptor::PATH || descriptor.path.size() != 3 ||
      descriptor.path[0] != "cloudquery" || descriptor.path[1] != "arrowflight") {
    return std::nullopt;
  }
  return descriptor.path[2];
}

arrow::Result<std::vector<std::string>> CloudQueryTarget::DoAction(
    const flight::ServerCallContext& context, const std::string& type, const std::string& body) {
  arrow::Result<std::string> reply;
  if (type == kMigrateTable) {
    reply = MigrateTable(body);
  } else if (type == kDeleteStale) {
    reply = DeleteStale(body);
  } else {
    reply = DeleteRecord(body);
  }
  if (!reply.ok()) {
    spdlog::warn("{} by '{}' failed: {}", type, auth::CallUser(context), reply.status().message());
    return reply.status();
  }
  spdlog::debug("{} by '{}': {}", type, auth::CallUser(context), *reply);
  return std::vector<std::string>{*reply};
}

arrow::Result<std::string> CloudQueryTarget::MigrateTable(const std::string& body) {
  pb::Write::MessageMigrateTable message;
  if (!message.ParseFromString(body)) {
    return arrow::Status::Invalid(
        "MigrateTable: the body is not a CloudQuery Write.MessageMigrateTable");
  }
  ARROW_ASSIGN_OR_RAISE(auto schema, ReadSchemaIpc(message.table()));
  ARROW_ASSIGN_OR_RAISE(auto table, TableName(*schema));
  ARROW_ASSIGN_OR_RAISE(auto connection, database_->Connect());
  ARROW_ASSIGN_OR_RAISE(auto outcome,
                        Migrate(*connection, table, *schema, message.migrate_force()));
  return Json({{"table", JsonString(table)}, {"migration", JsonString(outcome)}});
}

arrow::Result<std::string> CloudQueryTarget::DeleteStale(const std::string& body) {
  pb::Write::MessageDeleteStale message;
  if (!message.ParseFromString(body)) {
    return arrow::Status::Invalid(
        "DeleteStale: the body is not a CloudQuery Write.MessageDeleteStale");
  }
  std::string table = message.table_name();
  if (table.empty() && !message.table().empty()) {
    ARROW_ASSIGN_OR_RAISE(auto schema, ReadSchemaIpc(message.table()));
    ARROW_ASSIGN_OR_RAISE(table, TableName(*schema));
  }
  if (table.empty()) return arrow::Status::Invalid("DeleteStale: no table_name");
  ARROW_ASSIGN_OR_RAISE(auto connection, database_->Connect());
  ARROW_ASSIGN_OR_RAISE(auto existing, ExistingTable(*connection, table));
  if (!existing) {
    return Json({{"table", JsonString(table)}, {"deleted", "0"}});
  }
  for (const char* column : {kSourceNameColumn, kSyncTimeColumn}) {
    if (FindColumn(*existing, column) == nullptr) {
      return arrow::Status::Invalid("DeleteStale: table ", table, " has no column ", column);
    }
  }
  const auto& sync_time = message.sync_time();
  const int64_t sync_ns = sync_time.seconds() * 1'000'000'000LL + sync_time.nanos();
  // Rows of this source from before the sync go; rows of the sync itself (>=) stay.
  ARROW_ASSIGN_OR_RAISE(
      int64_t deleted,
      connection->Execute("DELETE FROM " + QuoteIdentifier(table) + " WHERE " +
                          QuoteIdentifier(kSourceNameColumn) + " = " +
                          QuoteString(message.source_name()) + " AND epoch_ns(" +
                          QuoteIdentifier(kSyncTimeColumn) + ") < " + std::to_string(sync_ns)));
  return Json({{"table", JsonString(table)}, {"deleted", std::to_string(deleted)}});
}

arrow::Result<std::string> CloudQueryTarget::DeleteRecord(const std::string& body) {
  pb::Write::MessageDeleteRecord message;
  if (!message.ParseFromString(body)) {
    return arrow::Status::Invalid(
        "DeleteRecord: the body is not a CloudQuery Write.MessageDeleteRecord");
  }
  const std::string& table = message.table_name();
  if (table.empty()) return arrow::Status::Invalid("DeleteRecord: no table_name");
  ARROW_ASSIGN_OR_RAISE(auto connection, database_->Connect());
  ARROW_ASSIGN_OR_RAISE(auto existing, ExistingTable(*connection, table));
  if (!existing) return Json({{"table", JsonString(table)}, {"deleted", "0"}});
  PredicateTables predicates(*connection);
  ARROW_ASSIGN_OR_RAISE(auto where, WhereClause(message.where_clause(), &predicates));

  // Child tables lose the rows whose parent row goes: _cq_parent_id -> the parent's _cq_id,
  // deepest tables first so that each subquery still sees the rows it needs.
  std::map<std::string, std::string> parent_of;
  for (const auto& relation : message.table_relations()) {
    parent_of[relation.table_name()] = relation.parent_table();
  }
  std::function<arrow::Result<std::string>(const std::string&, int)> doomed_ids =
      [&](const std::string& name, int depth) -> arrow::Result<std::string> {
    if (depth > 64) return arrow::Status::Invalid("DeleteRecord: table relations form a cycle");
    if (name == table) {
      return "SELECT " + QuoteIdentifier(kIdColumn) + " FROM " + QuoteIdentifier(table) +
             " WHERE " + where;
    }
    auto parent = parent_of.find(name);
    if (parent == parent_of.end()) {
      return arrow::Status::Invalid("DeleteRecord: table ", name, " has no parent relation");
    }
    ARROW_ASSIGN_OR_RAISE(auto parent_ids, doomed_ids(parent->second, depth + 1));
    return "SELECT " + QuoteIdentifier(kIdColumn) + " FROM " + QuoteIdentifier(name) + " WHERE " +
           QuoteIdentifier(kParentIdColumn) + " IN (" + parent_ids + ")";
  };
  std::vector<std::pair<int, std::string>> children;
  for (const auto& [child, parent] : parent_of) {
    int depth = 0;
    for (std::string at = child; at != table && parent_of.count(at) && depth <= 64; ++depth) {
      at = parent_of[at];
    }
    children.emplace_back(depth, child);
  }
  std::sort(children.rbegin(), children.rend());

  ARROW_ASSIGN_OR_RAISE(auto transaction, Transaction::Begin(*connection));
  int64_t child_rows = 0;
  for (const auto& [depth, child] : children) {
    ARROW_ASSIGN_OR_RAISE(auto child_table, ExistingTable(*connection, child));
    if (!child_table) continue;
    ARROW_ASSIGN_OR_RAISE(auto parent_ids, doomed_ids(parent_of[child], 0));
    ARROW_ASSIGN_OR_RAISE(
        int64_t rows,
        connection->Execute("DELETE FROM " + QuoteIdentifier(child) + " WHERE " +
                            QuoteIdentifier(kParentIdColumn) + " IN (" + parent_ids + ")"));
    child_rows += rows;
  }
  ARROW_ASSIGN_OR_RAISE(
      int64_t deleted,
      connection->Execute("DELETE FROM " + QuoteIdentifier(table) + " WHERE " + where));
  ARROW_RETURN_NOT_OK(transaction->Commit());
  return Json({{"table", JsonString(table)},
               {"deleted", std::to_string(deleted)},
               {"deleted_from_relations", std::to_string(child_rows)}});
}

arrow::Status CloudQueryTarget::DoPut(const flight::ServerCallContext& context,
                                      const std::string& table, flight::FlightMessageReader& reader,
                                      flight::FlightMetadataWriter& writer) {
  if (table.empty()) return arrow::Status::Invalid("CloudQuery DoPut: empty table name");
  ARROW_ASSIGN_OR_RAISE(auto schema, reader.GetSchema());
  ARROW_ASSIGN_OR_RAISE(auto connection, database_->Connect());
  ARROW_ASSIGN_OR_RAISE(auto existing, ExistingTable(*connection, table));
  if (!existing) {
    // No MigrateTable first (allowed by the Go plugin): create the table from the records.
    ARROW_RETURN_NOT_OK(Migrate(*connection, table, *schema, /*force=*/false).status());
    ARROW_ASSIGN_OR_RAISE(existing, ExistingTable(*connection, table));
    if (!existing) return arrow::Status::ExecutionError("table ", table, " was not created");
  }
  std::string insert_columns;
  std::string select_columns;
  std::string missing;
  for (const auto& field : schema->fields()) {
    const ColumnDef* column = FindColumn(*existing, field->name());
    if (column == nullptr) {
      missing += (missing.empty() ? "" : ", ") + field->name();
      continue;
    }
    insert_columns += (insert_columns.empty() ? "" : ", ") + QuoteIdentifier(column->name);
    select_columns += (select_columns.empty() ? "" : ", ") + QuoteIdentifier(field->name());
  }
  if (!missing.empty()) {
    return arrow::Status::Invalid("table ", table, " has no column(s) ", missing,
                                  " (send MigrateTable with the new schema first)");
  }
  // Acknowledgements: the plugin may wait for them instead of closing the stream.
  ARROW_RETURN_NOT_OK(
      writer.WriteMetadata(*arrow::Buffer::FromString("{\"cloudquery_acks\":true}")));
  BatchQueue queue;
  // Batches are committed as they arrive: past max_put_bytes the stream stops, and what was
  // acknowledged stays.
  protocol::PutByteBudget budget(config_.max_put_bytes);
  std::thread reading([&] {
    while (true) {
      auto chunk = reader.Next();
      if (!chunk.ok()) return queue.Finish(chunk.status());
      if (chunk->data == nullptr) {
        if (chunk->app_metadata != nullptr) continue;
        return queue.Finish(arrow::Status::OK());
      }
      // Client data: fully validated before anything (ToStorage, DuckDB) reads its arrays.
      if (auto valid = engine::ValidateReceivedBatch(*chunk->data); !valid.ok()) {
        return queue.Finish(valid);
      }
      if (auto within = budget.Add(*chunk->data); !within.ok()) return queue.Finish(within);
      queue.Push(std::move(chunk->data));
    }
  });
  int64_t batches = 0;
  int64_t rows = 0;
  arrow::Status status;
  std::vector<std::shared_ptr<arrow::RecordBatch>> group;
  while (queue.Take(&group)) {
    status = InsertBatches(*connection, insert_columns, select_columns, table,
                           existing->primary_key, group);
    if (status.ok()) {
      batches += static_cast<int64_t>(group.size());
      for (const auto& batch : group) rows += batch->num_rows();
      status = writer.WriteMetadata(*arrow::Buffer::FromString(
          Json({{"acked_batches", std::to_string(batches)}, {"rows", std::to_string(rows)}})));
    } else {
      // The reading thread waits for the client's next message; announcing the error lets a
      // client that understands it (our plugin) end the stream now instead of at its close.
      (void)writer.WriteMetadata(
          *arrow::Buffer::FromString(Json({{"error", JsonString(status.message())}})));
    }
    if (!status.ok()) {
      queue.Abandon();
      break;
    }
  }
  // The stream must be read to its end before the call may return (the reader is the caller's).
  while (queue.Take(&group)) {
  }
  reading.join();
  if (!status.ok()) return status;
  ARROW_RETURN_NOT_OK(queue.reader_status());
  spdlog::debug("CloudQuery DoPut by '{}': table {}, {} batches, {} rows", auth::CallUser(context),
                table, batches, rows);
  return arrow::Status::OK();
}

arrow::Result<std::unique_ptr<flight::FlightInfo>> CloudQueryTarget::GetFlightInfo(
    const flight::ServerCallContext& context, const std::string& table,
    const flight::FlightDescriptor& descriptor) {
  ARROW_ASSIGN_OR_RAISE(auto connection, database_->Connect());
  ARROW_ASSIGN_OR_RAISE(auto existing, ExistingTable(*connection, table));
  if (!existing) return arrow::Status::KeyError("Table '", table, "' not found");
  ARROW_ASSIGN_OR_RAISE(auto stored, LoadSchema(*connection, table));
  std::string select;
  if (stored != nullptr) {
    for (const auto& field : stored->fields()) {
      std::string column = QuoteIdentifier(field->name());
      if (FindColumn(*existing, field->name()) == nullptr) {
        ARROW_ASSIGN_OR_RAISE(auto type, DuckDbType(*field));
        column = "CAST(NULL AS " + type + ") AS " + column;
      }
      select += (select.empty() ? "" : ", ") + column;
    }
  } else {
    select = "*";
  }
  ARROW_ASSIGN_OR_RAISE(auto reader,
                        connection->Query("SELECT " + select + " FROM " + QuoteIdentifier(table),
                                          {.max_batch_bytes = config_.max_batch_bytes}));
  std::shared_ptr<arrow::RecordBatchReader> result;
  if (stored != nullptr) {
    result = std::make_shared<CloudQueryReader>(std::move(reader), stored);
  } else {
    // A table Quiver did not migrate: DuckDB's own types, named as CloudQuery expects.
    auto schema = WithTableName(reader->schema(), table);
    result = std::make_shared<CloudQueryReader>(std::move(reader), schema);
  }
  return results::StoreAsFlightInfo(tickets_, auth::CallUser(context), *result, result->schema(),
                                    descriptor,
                                    [&context] { return context.is_cancelled(); });
}

arrow::Result<std::shared_ptr<arrow::Schema>> CloudQueryTarget::GetSchema(
    const std::string& table) {
  ARROW_ASSIGN_OR_RAISE(auto connection, database_->Connect());
  ARROW_ASSIGN_OR_RAISE(auto existing, ExistingTable(*connection, table));
  if (!existing) return arrow::Status::KeyError("Table '", table, "' not found");
  ARROW_ASSIGN_OR_RAISE(auto stored, LoadSchema(*connection, table));
  if (stored != nullptr) return stored;
  ARROW_ASSIGN_OR_RAISE(auto schema,
                        connection->Describe("SELECT * FROM " + QuoteIdentifier(table)));
  return WithTableName(schema, table);
}

}  // namespace quiver::cloudquery
