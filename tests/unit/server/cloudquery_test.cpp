// Quiver's CloudQuery target below Flight: type mapping, migration plans, and the actions on a
// real (in-memory) DuckDB.
#include <arrow/io/memory.h>
#include <arrow/ipc/writer.h>
#include <arrow/json/from_string.h>
#include <arrow/scalar.h>
#include <arrow/table.h>
#include <arrow/util/key_value_metadata.h>
#include <gtest/gtest.h>

#include "cloudquery/plugin/v3/plugin.pb.h"
#include "common/clock.h"
#include "engine/arrow_view.h"
#include "server/cloudquery/cloudquery_target.h"
#include "server/cloudquery/cq_schema.h"
#include "server/cloudquery/type_mapping.h"

namespace quiver::cloudquery {
namespace {

namespace pb = ::cloudquery::plugin::v3;

std::shared_ptr<arrow::KeyValueMetadata> Ext(const std::string& name) {
  return arrow::key_value_metadata({kExtensionName, kExtensionMetadata},
                                   {name, name + "-serialized"});
}

std::shared_ptr<arrow::Field> Pk(std::shared_ptr<arrow::Field> field) {
  return field->WithMetadata(arrow::key_value_metadata({kPrimaryKeyKey}, {"true"}));
}

std::shared_ptr<arrow::Schema> Table(const std::string& name, arrow::FieldVector fields) {
  return arrow::schema(std::move(fields), arrow::key_value_metadata({kTableNameKey}, {name}));
}

std::string Ipc(const std::shared_ptr<arrow::Schema>& schema,
                const std::shared_ptr<arrow::RecordBatch>& batch = nullptr) {
  auto sink = arrow::io::BufferOutputStream::Create().ValueOrDie();
  auto writer = arrow::ipc::MakeStreamWriter(sink, schema).ValueOrDie();
  if (batch) {
    EXPECT_TRUE(writer->WriteRecordBatch(*batch).ok());
  }
  EXPECT_TRUE(writer->Close().ok());
  return sink->Finish().ValueOrDie()->ToString();
}

std::shared_ptr<arrow::Array> Json(const std::shared_ptr<arrow::DataType>& type,
                                   const std::string& json) {
  auto array = arrow::json::ArrayFromJSONString(type, json);
  EXPECT_TRUE(array.ok()) << type->ToString() << ": " << array.status().ToString();
  return *array;
}

class CloudQueryTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = engine::Database::Open(":memory:").ValueOrDie();
    tickets_ = std::make_unique<results::TicketStore>(clock_, std::chrono::seconds(60));
    target_ = std::make_unique<CloudQueryTarget>(database_, config_, *tickets_);
    connection_ = database_->Connect().ValueOrDie();
  }

  arrow::Result<std::string> Migrate(const std::shared_ptr<arrow::Schema>& schema, bool force) {
    pb::Write::MessageMigrateTable message;
    message.set_table(Ipc(schema));
    message.set_migrate_force(force);
    return target_->MigrateTable(message.SerializeAsString());
  }

  // Inserts a CloudQuery batch the way DoPut stores it (storage form through an Arrow view).
  void Insert(const std::string& table, const std::shared_ptr<arrow::RecordBatch>& batch) {
    auto storage = ToStorage(batch).ValueOrDie();
    auto reader = arrow::RecordBatchReader::Make({storage}, storage->schema()).ValueOrDie();
    auto view = engine::ArrowView::Register(*connection_, reader).ValueOrDie();
    auto rows = connection_->Execute("INSERT INTO \"" + table + "\" SELECT * FROM " + view->name());
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  }

  int64_t Count(const std::string& sql) {
    auto reader = connection_->Query(sql, {}).ValueOrDie();
    auto table = reader->ToTable().ValueOrDie();
    return std::static_pointer_cast<arrow::Int64Scalar>(
               table->column(0)->GetScalar(0).ValueOrDie()->CastTo(arrow::int64()).ValueOrDie())
        ->value;
  }

  FakeClock clock_;
  ServerConfig config_;
  std::shared_ptr<engine::Database> database_;
  std::unique_ptr<results::TicketStore> tickets_;
  std::unique_ptr<CloudQueryTarget> target_;
  std::shared_ptr<engine::Connection> connection_;
};

TEST(CloudQueryTypesTest, DuckDbTypes) {
  auto type_of = [](std::shared_ptr<arrow::Field> field) { return *DuckDbType(*field); };
  EXPECT_EQ(type_of(arrow::field("u", arrow::fixed_size_binary(16), true, Ext("uuid"))), "UUID");
  EXPECT_EQ(type_of(arrow::field("j", arrow::binary(), true, Ext("json"))), "JSON");
  EXPECT_EQ(type_of(arrow::field("i", arrow::binary(), true, Ext("inet"))), "VARCHAR");
  EXPECT_EQ(type_of(arrow::field("m", arrow::binary(), true, Ext("mac"))), "VARCHAR");
  EXPECT_EQ(type_of(arrow::field("t", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"))),
            "TIMESTAMPTZ");
  EXPECT_EQ(type_of(arrow::field("t", arrow::timestamp(arrow::TimeUnit::NANO, "UTC"))),
            "TIMESTAMP_NS");
  EXPECT_EQ(type_of(arrow::field("d", arrow::duration(arrow::TimeUnit::SECOND))), "INTERVAL");
  EXPECT_EQ(type_of(arrow::field("d", arrow::decimal128(19, 10))), "DECIMAL(19,10)");
  EXPECT_EQ(type_of(arrow::field("l", arrow::list(arrow::field("item", arrow::fixed_size_binary(16),
                                                               true, Ext("uuid"))))),
            "UUID[]");
  EXPECT_EQ(type_of(arrow::field("s", arrow::struct_({arrow::field("a b", arrow::int32())}))),
            "STRUCT(\"a b\" INTEGER)");
  EXPECT_EQ(type_of(arrow::field("m", arrow::map(arrow::utf8(), arrow::int64()))),
            "MAP(VARCHAR, BIGINT)");
  EXPECT_TRUE(DuckDbType(*arrow::field("n", arrow::null())).status().IsNotImplemented());
}

TEST(CloudQuerySchemaTest, CreateTableWithKeyAndNotNull) {
  auto schema = Table(
      "t", {Pk(arrow::field("id", arrow::int64(), false)), arrow::field("name", arrow::utf8())});
  auto def = DesiredTable(*schema);
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(CreateTableSql("t", *def),
            "CREATE TABLE \"t\" (\"id\" BIGINT NOT NULL, \"name\" VARCHAR, PRIMARY KEY (\"id\"))");
}

TEST(CloudQuerySchemaTest, MigrationPlans) {
  TableDef existing{{{"id", "BIGINT", true}, {"old", "VARCHAR", true}, {"b", "BOOLEAN", false}},
                    {"id"}};
  // Added (nullable even if NOT NULL), removed (kept, NOT NULL dropped).
  TableDef added{{{"id", "BIGINT", true}, {"b", "BOOLEAN", false}, {"new", "INTEGER", true}},
                 {"ID"}};
  auto plan = PlanMigration("t", existing, added, false);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->kind, MigrationPlan::Kind::kAlter);
  EXPECT_EQ(plan->statements,
            (std::vector<std::string>{"ALTER TABLE \"t\" ADD COLUMN \"new\" INTEGER",
                                      "ALTER TABLE \"t\" ALTER COLUMN \"old\" DROP NOT NULL"}));
  // Same table: nothing to do.
  EXPECT_EQ(PlanMigration("t", existing, existing, false)->kind, MigrationPlan::Kind::kNone);
  // A type change needs force.
  TableDef changed = existing;
  changed.columns[2].type = "VARCHAR";
  auto refused = PlanMigration("t", existing, changed, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("column 'b' changes type from BOOLEAN to VARCHAR"),
            std::string::npos);
  EXPECT_EQ(PlanMigration("t", existing, changed, true)->kind, MigrationPlan::Kind::kRecreate);
  // A new primary key rebuilds and keeps the dropped column.
  TableDef rekeyed{{{"_cq_id", "UUID", true}, {"id", "BIGINT", true}}, {"_cq_id"}};
  auto rebuild = PlanMigration("t", existing, rekeyed, false);
  ASSERT_EQ(rebuild->kind, MigrationPlan::Kind::kRebuild);
  EXPECT_EQ(rebuild->rebuilt.primary_key, std::vector<std::string>{"_cq_id"});
  ASSERT_EQ(rebuild->rebuilt.columns.size(), 4u);
  EXPECT_EQ(rebuild->rebuilt.columns[2].name, "old");
  EXPECT_FALSE(rebuild->rebuilt.columns[2].not_null);
}

// Every CloudQuery type of the SDK's test table, stored in DuckDB and read back.
TEST_F(CloudQueryTargetTest, AllTypesRoundTrip) {
  const auto ts = [](arrow::TimeUnit::type unit) { return arrow::timestamp(unit, "UTC"); };
  auto uuid_field = arrow::field("uuid", arrow::fixed_size_binary(16), true, Ext("uuid"));
  auto json_field = arrow::field("json", arrow::binary(), true, Ext("json"));
  arrow::FieldVector fields = {
      Pk(arrow::field("id", arrow::int64(), false)),
      arrow::field("int8", arrow::int8()),
      arrow::field("uint64", arrow::uint64()),
      arrow::field("float32", arrow::float32()),
      arrow::field("boolean", arrow::boolean()),
      arrow::field("binary", arrow::binary()),
      arrow::field("string", arrow::utf8()),
      uuid_field,
      arrow::field("inet", arrow::binary(), true, Ext("inet")),
      arrow::field("mac", arrow::binary(), true, Ext("mac")),
      json_field,
      arrow::field("date32", arrow::date32()),
      arrow::field("date64", arrow::date64()),
      arrow::field("duration_s", arrow::duration(arrow::TimeUnit::SECOND)),
      arrow::field("duration_ns", arrow::duration(arrow::TimeUnit::NANO)),
      arrow::field("interval_month", arrow::month_interval()),
      arrow::field("interval_day_time", arrow::day_time_interval()),
      arrow::field("interval_month_day_nano", arrow::month_day_nano_interval()),
      arrow::field("large_binary", arrow::large_binary()),
      arrow::field("large_string", arrow::large_utf8()),
      arrow::field("time32_s", arrow::time32(arrow::TimeUnit::SECOND)),
      arrow::field("time64_us", arrow::time64(arrow::TimeUnit::MICRO)),
      arrow::field("timestamp_s", ts(arrow::TimeUnit::SECOND)),
      arrow::field("timestamp_us", ts(arrow::TimeUnit::MICRO)),
      arrow::field("timestamp_ns", ts(arrow::TimeUnit::NANO)),
      arrow::field("decimal", arrow::decimal128(19, 10)),
      arrow::field("struct", arrow::struct_({arrow::field("a", arrow::int32()), uuid_field})),
      arrow::field("uuid_list", arrow::list(uuid_field->WithName("item"))),
      arrow::field("string_json_map", arrow::map(arrow::utf8(), json_field->WithName("value"))),
  };
  auto schema = Table("all_types", fields);
  // Second row: all nulls except the key.
  std::vector<std::string> values = {"[1, 2]",
                                     "[-8, null]",
                                     "[18446744073709551615, null]",
                                     "[1.5, null]",
                                     "[true, null]",
                                     R"(["AAE=", null])",
                                     R"(["héllo", null])",
                                     R"(["0123456789abcdef", null])",
                                     R"(["192.168.0.1/24", null])",
                                     R"(["aa:bb:cc:dd:ee:ff", null])",
                                     R"(["{\"a\": [1]}", null])",
                                     "[19000, null]",
                                     "[1641600000000, null]",
                                     "[3600, null]",
                                     "[1500000, null]",
                                     "[14, null]",
                                     "[[3, 4000], null]",
                                     "[[1, 2, 3000], null]",
                                     R"(["AAE=", null])",
                                     R"(["big", null])",
                                     "[3723, null]",
                                     "[3723000001, null]",
                                     "[1700000000, null]",
                                     "[1700000000123456, null]",
                                     "[1700000000123456789, null]",
                                     R"(["12.3456789012", null])",
                                     R"([{"a": 7, "uuid": "fedcba9876543210"}, null])",
                                     R"([["0123456789abcdef", null], null])",
                                     R"([[["k", "[1,2]"]], null])"};
  arrow::ArrayVector columns;
  for (size_t i = 0; i < fields.size(); ++i) columns.push_back(Json(fields[i]->type(), values[i]));
  auto batch = arrow::RecordBatch::Make(schema, 2, columns);
  ASSERT_TRUE(batch->ValidateFull().ok());

  auto migrated = Migrate(schema, false);
  ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
  EXPECT_NE(migrated->find("\"created\""), std::string::npos);
  Insert("all_types", batch);

  // Column types as DuckDB sees them.
  auto types = connection_
                   ->Query(
                       "SELECT typeof(uuid), typeof(json), typeof(inet), typeof(timestamp_ns), "
                       "typeof(uuid_list), typeof(string_json_map) FROM all_types LIMIT 1",
                       {})
                   .ValueOrDie()
                   ->ToTable()
                   .ValueOrDie();
  std::vector<std::string> type_names;
  for (int i = 0; i < types->num_columns(); ++i) {
    type_names.push_back(types->column(i)->GetScalar(0).ValueOrDie()->ToString());
  }
  EXPECT_EQ(type_names, (std::vector<std::string>{"UUID", "JSON", "VARCHAR", "TIMESTAMP_NS",
                                                  "UUID[]", "MAP(VARCHAR, JSON)"}));

  // Read back as the server does for GetFlightInfo: DuckDB's batches in the stored schema.
  auto reader = connection_->Query("SELECT * FROM all_types ORDER BY id", {}).ValueOrDie();
  auto stored = reader->ToTable().ValueOrDie()->CombineChunksToBatch().ValueOrDie();
  arrow::ArrayVector back;
  for (int i = 0; i < schema->num_fields(); ++i) {
    auto column = FromStorage(stored->column(i), *schema->field(i));
    ASSERT_TRUE(column.ok()) << schema->field(i)->name() << ": " << column.status().ToString();
    back.push_back(*column);
  }
  auto round_tripped = arrow::RecordBatch::Make(schema, stored->num_rows(), back);
  ASSERT_TRUE(round_tripped->ValidateFull().ok());
  for (int i = 0; i < schema->num_fields(); ++i) {
    EXPECT_TRUE(round_tripped->column(i)->Equals(*batch->column(i)))
        << schema->field(i)->name() << ": " << round_tripped->column(i)->ToString() << " vs "
        << batch->column(i)->ToString();
  }
}

TEST_F(CloudQueryTargetTest, MigrationsKeepDataUnlessForced) {
  auto v1 = Table("m", {Pk(arrow::field("id", arrow::int64(), false)),
                        arrow::field("flag", arrow::boolean(), false)});
  ASSERT_TRUE(Migrate(v1, false).ok());
  Insert("m",
         arrow::RecordBatch::Make(
             v1, 2, {Json(arrow::int64(), "[1, 2]"), Json(arrow::boolean(), "[true, false]")}));
  // Safe: add a column, drop one (kept, nullable).
  auto v2 = Table("m", {Pk(arrow::field("id", arrow::int64(), false)),
                        arrow::field("extra", arrow::utf8(), false)});
  auto altered = Migrate(v2, false);
  ASSERT_TRUE(altered.ok()) << altered.status().ToString();
  EXPECT_NE(altered->find("altered"), std::string::npos);
  EXPECT_EQ(Count("SELECT count(*) FROM m WHERE flag IS NOT NULL"), 2);
  EXPECT_TRUE(connection_->Execute("INSERT INTO m (id, extra) VALUES (3, 'x')").ok());
  // Unsafe: a type change is refused, then forced (drop and recreate).
  auto v3 = Table(
      "m", {Pk(arrow::field("id", arrow::int64(), false)), arrow::field("extra", arrow::int32())});
  auto refused = Migrate(v3, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().IsInvalid());
  EXPECT_NE(refused.status().message().find("migrate_mode: forced"), std::string::npos);
  auto forced = Migrate(v3, true);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_NE(forced->find("recreated"), std::string::npos);
  EXPECT_EQ(Count("SELECT count(*) FROM m"), 0);
  // A new primary key rebuilds the table with its rows.
  ASSERT_TRUE(connection_->Execute("INSERT INTO m VALUES (1, 10), (2, 20)").ok());
  auto v4 = Table("m", {arrow::field("id", arrow::int64(), false),
                        Pk(arrow::field("extra", arrow::int32(), false))});
  auto rebuilt = Migrate(v4, false);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_NE(rebuilt->find("rebuilt"), std::string::npos);
  EXPECT_EQ(Count("SELECT count(*) FROM m"), 2);
  EXPECT_FALSE(connection_->Execute("INSERT INTO m VALUES (3, 10)").ok());  // key is `extra` now
}

TEST_F(CloudQueryTargetTest, DeleteStaleKeepsTheSyncAndOtherSources) {
  auto schema = Table(
      "s", {arrow::field("_cq_sync_time", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")),
            arrow::field("_cq_source_name", arrow::utf8()), arrow::field("id", arrow::int64())});
  ASSERT_TRUE(Migrate(schema, false).ok());
  Insert("s", arrow::RecordBatch::Make(
                  schema, 4,
                  {Json(schema->field(0)->type(), "[1000000, 2000000, 2000001, 1000000]"),
                   Json(arrow::utf8(), R"(["src", "src", "src", "other"])"),
                   Json(arrow::int64(), "[1, 2, 3, 4]")}));
  pb::Write::MessageDeleteStale message;
  message.set_table_name("s");
  message.set_source_name("src");
  message.mutable_sync_time()->set_seconds(2);
  message.mutable_sync_time()->set_nanos(500);  // rows at 2.000000 s are before it
  auto reply = target_->DeleteStale(message.SerializeAsString());
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(*reply, R"({"deleted":2,"table":"s"})");
  EXPECT_EQ(Count("SELECT count(*) FROM s"), 2);
  EXPECT_EQ(Count("SELECT sum(id)::BIGINT FROM s"), 7);
  // A table that does not exist has nothing stale.
  message.set_table_name("missing");
  EXPECT_TRUE(target_->DeleteStale(message.SerializeAsString()).ok());
  EXPECT_TRUE(target_->DeleteStale("\xff garbage").status().IsInvalid());
}

TEST_F(CloudQueryTargetTest, DeleteRecordWithPredicatesAndRelations) {
  auto uuid = arrow::field("_cq_id", arrow::fixed_size_binary(16), false, Ext("uuid"));
  auto parent = Table("parent", {uuid, arrow::field("id", arrow::int64())});
  auto child = Table("child", {uuid, uuid->WithName("_cq_parent_id")->WithNullable(true)});
  ASSERT_TRUE(Migrate(parent, false).ok());
  ASSERT_TRUE(Migrate(child, false).ok());
  auto ids = R"(["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc"])";
  Insert("parent", arrow::RecordBatch::Make(
                       parent, 3, {Json(uuid->type(), ids), Json(arrow::int64(), "[0, 1, 2]")}));
  Insert("child", arrow::RecordBatch::Make(
                      child, 2,
                      {Json(uuid->type(), R"(["xxxxxxxxxxxxxxxx", "yyyyyyyyyyyyyyyy"])"),
                       Json(uuid->type(), R"(["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"])")}));

  auto predicate_schema = arrow::schema({arrow::field("id", arrow::int64())});
  pb::Write::MessageDeleteRecord message;
  message.set_table_name("parent");
  auto* group = message.add_where_clause();
  group->set_grouping_type(pb::PredicatesGroup::OR);
  for (const char* value : {"[0]", "[5]"}) {
    auto* predicate = group->add_predicates();
    predicate->set_column("id");
    predicate->set_record(
        Ipc(predicate_schema,
            arrow::RecordBatch::Make(predicate_schema, 1, {Json(arrow::int64(), value)})));
  }
  auto* relation = message.add_table_relations();
  relation->set_table_name("child");
  relation->set_parent_table("parent");
  auto reply = target_->DeleteRecord(message.SerializeAsString());
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(*reply, R"({"deleted":1,"deleted_from_relations":1,"table":"parent"})");
  EXPECT_EQ(Count("SELECT count(*) FROM parent"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM child"), 1);

  // No where clause: every row goes.
  pb::Write::MessageDeleteRecord all;
  all.set_table_name("parent");
  ASSERT_TRUE(target_->DeleteRecord(all.SerializeAsString()).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM parent"), 0);
}

TEST(CloudQueryTargetStaticTest, RecognisesItsDescriptorsAndActions) {
  using arrow::flight::FlightDescriptor;
  EXPECT_EQ(CloudQueryTarget::TableOf(FlightDescriptor::Path({"cloudquery", "arrowflight", "t"})),
            "t");
  EXPECT_FALSE(CloudQueryTarget::TableOf(FlightDescriptor::Path({"t"})));
  EXPECT_FALSE(CloudQueryTarget::TableOf(FlightDescriptor::Path({"cloudquery", "x", "t"})));
  EXPECT_FALSE(CloudQueryTarget::TableOf(FlightDescriptor::Command("cloudquery")));
  EXPECT_TRUE(CloudQueryTarget::IsAction("MigrateTable"));
  EXPECT_TRUE(CloudQueryTarget::IsAction("DeleteStale"));
  EXPECT_TRUE(CloudQueryTarget::IsAction("DeleteRecord"));
  EXPECT_FALSE(CloudQueryTarget::IsAction("CancelFlightInfo"));
}

}  // namespace
}  // namespace quiver::cloudquery
