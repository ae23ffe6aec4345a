// GetSqlInfo, GetXdbcTypeInfo and Flight SQL column metadata: exact schemas, union slots, row
// selection and the agreement between column metadata type names and the XDBC table.
#include <arrow/array.h>
#include <arrow/extension/uuid.h>
#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/flight_sql/column_metadata.h"
#include "server/flight_sql/sql_info.h"
#include "server/flight_sql/xdbc_type_info.h"

namespace quiver::flight_sql {
namespace {

using arrow::field;

SqlInfoContext Context() {
  SqlInfoContext context;
  context.server_version = "0.1.0";
  context.arrow_version = "26.0.1";
  context.duckdb_version = "v1.4.4";
  context.keywords = {"SELECT", "FROM"};
  context.numeric_functions = {"ABS"};
  return context;
}

std::vector<std::string> Strings(const arrow::Array& array) {
  const auto& strings = static_cast<const arrow::StringArray&>(array);
  std::vector<std::string> out;
  for (int64_t i = 0; i < strings.length(); ++i) out.push_back(strings.GetString(i));
  return out;
}

std::shared_ptr<arrow::RecordBatch> Info(const std::vector<uint32_t>& ids) {
  auto batch = SqlInfoBatch(ids, Context());
  EXPECT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_TRUE((*batch)->ValidateFull().ok());
  return *batch;
}

std::vector<uint32_t> Names(const arrow::RecordBatch& batch) {
  const auto& names = static_cast<const arrow::UInt32Array&>(*batch.column(0));
  return {names.raw_values(), names.raw_values() + names.length()};
}

const arrow::DenseUnionArray& Values(const arrow::RecordBatch& batch) {
  return static_cast<const arrow::DenseUnionArray&>(*batch.column(1));
}

// The value of row `row` in union child `code`, which must be the row's slot.
template <typename ArrayType>
const ArrayType& Slot(const arrow::RecordBatch& batch, int row, int8_t code, int64_t* index) {
  const auto& values = Values(batch);
  EXPECT_EQ(values.type_code(row), code) << "row " << row;
  *index = values.value_offset(row);
  return static_cast<const ArrayType&>(*values.field(code));
}

TEST(SqlInfoTest, SchemaIsExact) {
  auto expected = arrow::schema({
      field("info_name", arrow::uint32(), false),
      field("value",
            arrow::dense_union({
                field("string_value", arrow::utf8(), false),
                field("bool_value", arrow::boolean(), false),
                field("bigint_value", arrow::int64(), false),
                field("int32_bitmask", arrow::int32(), false),
                field("string_list", arrow::list(field("item", arrow::utf8(), true)), false),
                field("int32_to_int32_list_map",
                      arrow::map(arrow::int32(), arrow::list(arrow::int32())), false),
            }),
            false),
  });
  EXPECT_TRUE(SqlInfoSchema()->Equals(*expected, /*check_metadata=*/true))
      << SqlInfoSchema()->ToString();
  const auto schema = SqlInfoSchema();  // keeps the union type alive for the reference below
  const auto& union_type = static_cast<const arrow::UnionType&>(*schema->field(1)->type());
  EXPECT_EQ(union_type.type_codes(), (std::vector<int8_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(SqlInfoSchema()->metadata(), nullptr);
  EXPECT_TRUE(Info({})->schema()->Equals(*expected, true));
}

TEST(SqlInfoTest, SlotsThatClientsRead) {
  auto batch = Info({FLIGHT_SQL_SERVER_NAME, FLIGHT_SQL_SERVER_VERSION, FLIGHT_SQL_SERVER_READ_ONLY,
                     FLIGHT_SQL_SERVER_TRANSACTION, SQL_IDENTIFIER_QUOTE_CHAR, SQL_KEYWORDS,
                     SQL_SUPPORTS_CONVERT, SQL_MAX_BINARY_LITERAL_LENGTH});
  ASSERT_EQ(Names(*batch), (std::vector<uint32_t>{0, 1, 3, 8, 504, 508, 517, 541}));
  int64_t i = 0;
  EXPECT_EQ(Slot<arrow::StringArray>(*batch, 0, 0, &i).GetString(i), "Quiver");
  EXPECT_EQ(Slot<arrow::StringArray>(*batch, 1, 0, &i).GetString(i), "0.1.0 (DuckDB v1.4.4)");
  EXPECT_FALSE(Slot<arrow::BooleanArray>(*batch, 2, 1, &i).Value(i));
  // ADBC reads SqlInfo 8 from the int32 slot: 1 = SQL_SUPPORTED_TRANSACTION_TRANSACTION.
  EXPECT_EQ(Slot<arrow::Int32Array>(*batch, 3, 3, &i).Value(i), 1);
  EXPECT_EQ(Slot<arrow::StringArray>(*batch, 4, 0, &i).GetString(i), "\"");
  const auto& keywords = Slot<arrow::ListArray>(*batch, 5, 4, &i);
  EXPECT_EQ(Strings(*keywords.value_slice(i)), (std::vector<std::string>{"SELECT", "FROM"}));
  const auto& convert = Slot<arrow::MapArray>(*batch, 6, 5, &i);
  const auto& keys = static_cast<const arrow::Int32Array&>(*convert.keys());
  const auto& lists = static_cast<const arrow::ListArray&>(*convert.items());
  std::map<int32_t, std::set<int32_t>> conversions;
  for (int64_t entry = convert.value_offset(i); entry < convert.value_offset(i + 1); ++entry) {
    const auto slice = lists.value_slice(entry);  // the reference below must not outlive it
    const auto& targets = static_cast<const arrow::Int32Array&>(*slice);
    for (int64_t t = 0; t < targets.length(); ++t)
      conversions[keys.Value(entry)].insert(targets.Value(t));
  }
  EXPECT_EQ(conversions.size(), 20u);     // every SqlSupportsConvert category converts somewhere
  EXPECT_TRUE(conversions[19].count(7));  // VARCHAR -> INTEGER
  EXPECT_TRUE(conversions[7].count(19));  // INTEGER -> VARCHAR
  EXPECT_FALSE(conversions[7].count(4));  // INTEGER -> DATE: no such cast in DuckDB
  EXPECT_EQ(Slot<arrow::Int64Array>(*batch, 7, 2, &i).Value(i), 0);  // SQL_MAX_*: no limit
}

TEST(SqlInfoTest, ValueTypesFollowTheJdbcDriver) {
  // The JDBC driver casts each id to one Java type; a wrong slot is a ClassCastException.
  auto batch = Info({});
  std::map<uint32_t, int8_t> slot;
  for (int64_t row = 0; row < batch->num_rows(); ++row) {
    slot[Names(*batch)[row]] = Values(*batch).type_code(row);
  }
  const int8_t kString = 0, kBool = 1, kLong = 2, kInt = 3, kList = 4, kMap = 5;
  for (uint32_t id : {0, 1, 2, 6, 7, 504, 513, 514, 529, 530, 531})
    EXPECT_EQ(slot[id], kString) << id;
  for (uint32_t id :
       {3,   4,   5,   9,   10,  11,  500, 501, 502, 506, 515, 516, 518, 519, 520, 521,
        523, 524, 527, 532, 536, 537, 539, 556, 563, 565, 566, 572, 573, 574, 575, 576}) {
    EXPECT_EQ(slot[id], kBool) << id;
  }
  for (uint32_t id = 541; id <= 561; ++id) {
    if (id != SQL_MAX_ROW_SIZE_INCLUDES_BLOBS) {
      EXPECT_EQ(slot[id], kLong) << id;
    }
  }
  for (uint32_t id : {503, 505, 507, 562}) EXPECT_EQ(slot[id], kLong) << id;
  for (uint32_t id :
       {8, 100, 101, 522, 525, 526, 528, 533, 534, 535, 538, 540, 564, 567, 568, 569, 570, 571}) {
    EXPECT_EQ(slot[id], kInt) << id;
  }
  for (uint32_t id = 508; id <= 512; ++id) EXPECT_EQ(slot[id], kList) << id;
  EXPECT_EQ(slot[517], kMap);
  // Every id of the ranges JDBC reads is registered (older drivers throw on a missing one).
  for (uint32_t id = 500; id <= 576; ++id) EXPECT_TRUE(slot.count(id)) << id;
  EXPECT_EQ(slot.size(), 14u + 77u);
}

TEST(SqlInfoTest, AllIdsAscendWhenNoneAreRequested) {
  auto names = Names(*Info({}));
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(names.front(), 0u);
  EXPECT_EQ(names.back(), 576u);
}

TEST(SqlInfoTest, RequestOrderAndUnknownIds) {
  auto batch = Info({SQL_KEYWORDS, 999999, FLIGHT_SQL_SERVER_NAME, 12345, SQL_KEYWORDS});
  EXPECT_EQ(Names(*batch), (std::vector<uint32_t>{508, 0, 508}));
  const auto& values = Values(*batch);
  EXPECT_EQ(values.type_code(0), 4);  // string_list
  EXPECT_EQ(values.type_code(1), 0);  // string_value
  EXPECT_EQ(values.type_code(2), 4);
}

std::shared_ptr<arrow::Schema> ExpectedXdbcSchema() {
  using arrow::boolean;
  using arrow::int32;
  using arrow::utf8;
  return arrow::schema({
      field("type_name", utf8(), false),
      field("data_type", int32(), false),
      field("column_size", int32(), true),
      field("literal_prefix", utf8(), true),
      field("literal_suffix", utf8(), true),
      field("create_params", arrow::list(field("item", utf8(), false)), true),
      field("nullable", int32(), false),
      field("case_sensitive", boolean(), false),
      field("searchable", int32(), false),
      field("unsigned_attribute", boolean(), true),
      field("fixed_prec_scale", boolean(), false),
      field("auto_increment", boolean(), true),
      field("local_type_name", utf8(), true),
      field("minimum_scale", int32(), true),
      field("maximum_scale", int32(), true),
      field("sql_data_type", int32(), false),
      field("datetime_subcode", int32(), true),
      field("num_prec_radix", int32(), true),
      field("interval_precision", int32(), true),
  });
}

std::shared_ptr<arrow::RecordBatch> Xdbc(std::optional<int32_t> data_type) {
  auto batch = XdbcTypeInfoBatch(data_type);
  EXPECT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_TRUE((*batch)->ValidateFull().ok());
  return *batch;
}

std::vector<std::string> TypeNames(const arrow::RecordBatch& batch) {
  return Strings(*batch.column(0));
}

TEST(XdbcTypeInfoTest, SchemaIsExact) {
  EXPECT_TRUE(XdbcTypeInfoSchema()->Equals(*ExpectedXdbcSchema(), /*check_metadata=*/true))
      << XdbcTypeInfoSchema()->ToString();
  EXPECT_TRUE(Xdbc(std::nullopt)->schema()->Equals(*ExpectedXdbcSchema(), true));
}

TEST(XdbcTypeInfoTest, OrderedByDataTypeThenName) {
  auto batch = Xdbc(std::nullopt);
  const auto& codes = static_cast<const arrow::Int32Array&>(*batch->column(1));
  const auto names = TypeNames(*batch);
  for (int64_t i = 1; i < batch->num_rows(); ++i) {
    EXPECT_TRUE(std::make_pair(codes.Value(i - 1), names[i - 1]) <
                std::make_pair(codes.Value(i), names[i]))
        << names[i - 1] << " / " << names[i];
  }
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
}

TEST(XdbcTypeInfoTest, FiltersByDataType) {
  EXPECT_EQ(TypeNames(*Xdbc(4)), (std::vector<std::string>{"INTEGER", "UINTEGER"}));
  EXPECT_EQ(TypeNames(*Xdbc(93)),
            (std::vector<std::string>{"TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_MS",
                                      "TIMESTAMP_NS", "TIMESTAMP_S"}));
  auto none = Xdbc(999);
  EXPECT_EQ(none->num_rows(), 0);
  EXPECT_TRUE(none->schema()->Equals(*ExpectedXdbcSchema(), true));
}

TEST(XdbcTypeInfoTest, ConfirmedColumnRules) {
  auto batch = Xdbc(std::nullopt);
  const auto names = TypeNames(*batch);
  auto row = [&](const std::string& name) {
    return static_cast<int64_t>(std::find(names.begin(), names.end(), name) - names.begin());
  };
  auto column = [&](const char* name) { return batch->GetColumnByName(name); };
  const auto& sql_data_type = static_cast<const arrow::Int32Array&>(*column("sql_data_type"));
  const auto& subcode = static_cast<const arrow::Int32Array&>(*column("datetime_subcode"));
  const auto& is_unsigned = static_cast<const arrow::BooleanArray&>(*column("unsigned_attribute"));
  const auto& radix = static_cast<const arrow::Int32Array&>(*column("num_prec_radix"));
  const auto& params = static_cast<const arrow::ListArray&>(*column("create_params"));

  EXPECT_EQ(sql_data_type.Value(row("DATE")), 9);  // SQL_DATETIME with a subcode
  EXPECT_EQ(subcode.Value(row("DATE")), 1);
  EXPECT_EQ(subcode.Value(row("TIMESTAMP WITH TIME ZONE")), 5);
  EXPECT_EQ(sql_data_type.Value(row("INTEGER")), 4);
  EXPECT_TRUE(subcode.IsNull(row("INTEGER")));
  EXPECT_FALSE(is_unsigned.Value(row("INTEGER")));
  EXPECT_TRUE(is_unsigned.Value(row("UINTEGER")));
  EXPECT_TRUE(is_unsigned.IsNull(row("VARCHAR")));
  EXPECT_TRUE(column("auto_increment")->IsNull(row("VARCHAR")));
  EXPECT_FALSE(
      static_cast<const arrow::BooleanArray&>(*column("auto_increment")).Value(row("BIGINT")));
  EXPECT_EQ(radix.Value(row("BIGINT")), 10);
  EXPECT_EQ(radix.Value(row("DOUBLE")), 2);
  EXPECT_TRUE(radix.IsNull(row("VARCHAR")));
  EXPECT_TRUE(params.IsNull(row("VARCHAR")));
  EXPECT_EQ(Strings(*params.value_slice(row("DECIMAL"))),
            (std::vector<std::string>{"precision", "scale"}));
  EXPECT_EQ(static_cast<const arrow::Int32Array&>(*column("data_type")).Value(row("UUID")), -11);
  EXPECT_EQ(static_cast<const arrow::Int32Array&>(*column("data_type")).Value(row("BOOLEAN")), 16);
}

const std::string kTypeName = "ARROW:FLIGHT:SQL:TYPE_NAME";

std::string Meta(const arrow::Schema& schema, int i, const std::string& key) {
  const auto& metadata = schema.field(i)->metadata();
  if (!metadata) return "<none>";
  return metadata->Get(key).ValueOr("<none>");
}

TEST(ColumnMetadataTest, NamesPrecisionAndScale) {
  auto schema = WithColumnMetadata(*arrow::schema({
      field("i", arrow::int32()),
      field("d", arrow::decimal128(18, 3)),
      field("s", arrow::utf8()),
      field("ts", arrow::timestamp(arrow::TimeUnit::MICRO)),
      field("tz", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")),
      field("f", arrow::float32()),
      field("l", arrow::list(arrow::int32())),
      field("u", arrow::extension::uuid()),
  }));
  EXPECT_EQ(Meta(*schema, 0, kTypeName), "INTEGER");
  EXPECT_EQ(Meta(*schema, 0, "ARROW:FLIGHT:SQL:PRECISION"), "10");
  EXPECT_EQ(Meta(*schema, 0, "ARROW:FLIGHT:SQL:IS_CASE_SENSITIVE"), "0");
  EXPECT_EQ(Meta(*schema, 1, kTypeName), "DECIMAL");
  EXPECT_EQ(Meta(*schema, 1, "ARROW:FLIGHT:SQL:PRECISION"), "18");
  EXPECT_EQ(Meta(*schema, 1, "ARROW:FLIGHT:SQL:SCALE"), "3");
  EXPECT_EQ(Meta(*schema, 2, kTypeName), "VARCHAR");
  EXPECT_EQ(Meta(*schema, 2, "ARROW:FLIGHT:SQL:PRECISION"), "<none>");
  EXPECT_EQ(Meta(*schema, 2, "ARROW:FLIGHT:SQL:IS_CASE_SENSITIVE"), "1");
  EXPECT_EQ(Meta(*schema, 3, kTypeName), "TIMESTAMP");
  EXPECT_EQ(Meta(*schema, 3, "ARROW:FLIGHT:SQL:PRECISION"), "26");
  EXPECT_EQ(Meta(*schema, 3, "ARROW:FLIGHT:SQL:SCALE"), "6");
  EXPECT_EQ(Meta(*schema, 4, kTypeName), "TIMESTAMP WITH TIME ZONE");
  EXPECT_EQ(Meta(*schema, 5, "ARROW:FLIGHT:SQL:PRECISION"), "24");
  EXPECT_EQ(DuckDbTypeName(*schema->field(6)), "INTEGER[]");
  EXPECT_EQ(Meta(*schema, 6, kTypeName), "<none>");  // nested types have no XDBC row
  EXPECT_EQ(Meta(*schema, 6, "ARROW:FLIGHT:SQL:IS_SEARCHABLE"), "1");
  EXPECT_EQ(Meta(*schema, 7, kTypeName), "UUID");
  EXPECT_EQ(Meta(*schema, 7, "ARROW:FLIGHT:SQL:PRECISION"), "36");
  for (int i = 0; i < schema->num_fields(); ++i) {
    EXPECT_EQ(Meta(*schema, i, "ARROW:FLIGHT:SQL:IS_READ_ONLY"), "0");
    EXPECT_EQ(Meta(*schema, i, "ARROW:FLIGHT:SQL:IS_AUTO_INCREMENT"), "0");
  }
}

TEST(ColumnMetadataTest, EveryEmittedTypeNameHasExactlyOneXdbcRow) {
  const auto uuid_by_metadata = arrow::key_value_metadata(
      {"ARROW:extension:name", "ARROW:extension:metadata"}, {"arrow.uuid", ""});
  const auto hugeint_by_metadata = arrow::key_value_metadata(
      {"ARROW:extension:name", "ARROW:extension:metadata"},
      {"arrow.opaque", R"({"type_name":"hugeint","vendor_name":"DuckDB"})"});
  using arrow::TimeUnit;
  auto schema = WithColumnMetadata(*arrow::schema({
      field("a", arrow::boolean()),
      field("b", arrow::int8()),
      field("c", arrow::int16()),
      field("d", arrow::int32()),
      field("e", arrow::int64()),
      field("f", arrow::uint8()),
      field("g", arrow::uint16()),
      field("h", arrow::uint32()),
      field("i", arrow::uint64()),
      field("j", arrow::float32()),
      field("k", arrow::float64()),
      field("l", arrow::utf8()),
      field("m", arrow::large_utf8()),
      field("n", arrow::utf8_view()),
      field("o", arrow::binary()),
      field("p", arrow::large_binary()),
      field("q", arrow::fixed_size_binary(4)),
      field("r", arrow::date32()),
      field("s", arrow::date64()),
      field("t", arrow::time32(TimeUnit::SECOND)),
      field("u", arrow::time64(TimeUnit::MICRO)),
      field("v", arrow::timestamp(TimeUnit::SECOND)),
      field("w", arrow::timestamp(TimeUnit::MILLI)),
      field("x", arrow::timestamp(TimeUnit::MICRO)),
      field("y", arrow::timestamp(TimeUnit::NANO)),
      field("z", arrow::timestamp(TimeUnit::MICRO, "Etc/UTC")),
      field("A", arrow::decimal128(38, 0)),
      field("B", arrow::month_day_nano_interval()),
      field("C", arrow::duration(TimeUnit::MICRO)),
      field("D", arrow::extension::uuid()),
      field("E", arrow::fixed_size_binary(16), true, uuid_by_metadata),
      field("F", arrow::fixed_size_binary(16), true, hugeint_by_metadata),
      field("G", arrow::dictionary(arrow::uint8(), arrow::utf8())),
      field("H", arrow::list(arrow::int32())),
      field("I", arrow::large_list(arrow::utf8())),
      field("J", arrow::struct_({field("a", arrow::int32())})),
      field("K", arrow::map(arrow::utf8(), arrow::int32())),
      field("L", arrow::null()),
  }));
  std::set<std::string> emitted;
  for (int i = 0; i < schema->num_fields(); ++i) {
    const std::string name = Meta(*schema, i, kTypeName);
    if (name == "<none>") continue;
    emitted.insert(name);
    const auto rows = TypeNames(*Xdbc(std::nullopt));
    EXPECT_EQ(std::count(rows.begin(), rows.end(), name), 1) << name;
  }
  EXPECT_EQ(
      emitted,
      (std::set<std::string>{
          "BIGINT",       "BLOB",         "BOOLEAN",     "DATE",      "DECIMAL",
          "DOUBLE",       "ENUM",         "FLOAT",       "HUGEINT",   "INTEGER",
          "INTERVAL",     "SMALLINT",     "TIME",        "TIMESTAMP", "TIMESTAMP WITH TIME ZONE",
          "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP_S", "TINYINT",   "UBIGINT",
          "UINTEGER",     "USMALLINT",    "UTINYINT",    "UUID",      "VARCHAR"}));
  EXPECT_EQ(Meta(*schema, schema->GetFieldIndex("E"), kTypeName), "UUID");
  EXPECT_EQ(Meta(*schema, schema->GetFieldIndex("F"), kTypeName), "HUGEINT");
  EXPECT_EQ(Meta(*schema, schema->GetFieldIndex("F"), "ARROW:FLIGHT:SQL:PRECISION"), "39");
  EXPECT_EQ(Meta(*schema, schema->GetFieldIndex("q"), "ARROW:FLIGHT:SQL:PRECISION"), "4");
  EXPECT_EQ(Meta(*schema, schema->GetFieldIndex("v"), "ARROW:FLIGHT:SQL:PRECISION"), "19");
  EXPECT_EQ(Meta(*schema, schema->GetFieldIndex("y"), "ARROW:FLIGHT:SQL:SCALE"), "9");
  EXPECT_EQ(Meta(*schema, schema->GetFieldIndex("t"), "ARROW:FLIGHT:SQL:PRECISION"), "8");
  for (const char* nested : {"H", "I", "J", "K", "L"}) {
    EXPECT_EQ(Meta(*schema, schema->GetFieldIndex(nested), kTypeName), "<none>") << nested;
  }
  EXPECT_EQ(DuckDbTypeName(*schema->GetFieldByName("J")), "STRUCT(a INTEGER)");
  EXPECT_EQ(DuckDbTypeName(*schema->GetFieldByName("K")), "MAP(VARCHAR, INTEGER)");
  EXPECT_EQ(DuckDbTypeName(*schema->GetFieldByName("L")), "NULL");
}

TEST(ColumnMetadataTest, MergeKeepsExistingKeysAndSchemaMetadata) {
  auto existing = arrow::key_value_metadata({"ARROW:extension:name", "ARROW:FLIGHT:SQL:TYPE_NAME"},
                                            {"arrow.uuid", "stale"});
  auto input = arrow::schema({field("id", arrow::fixed_size_binary(16), false, existing)},
                             arrow::key_value_metadata({"origin"}, {"test"}));
  auto once = WithColumnMetadata(*input);
  EXPECT_EQ(Meta(*once, 0, "ARROW:extension:name"), "arrow.uuid");
  EXPECT_EQ(Meta(*once, 0, kTypeName), "UUID");  // our keys replace stale values
  EXPECT_FALSE(once->field(0)->nullable());
  EXPECT_EQ(once->metadata()->Get("origin").ValueOr(""), "test");
  // Idempotent: annotating twice changes nothing.
  EXPECT_TRUE(WithColumnMetadata(*once)->Equals(*once, /*check_metadata=*/true));
}

TEST(ColumnMetadataTest, TableColumnsNameTheirTable) {
  auto schema =
      WithTableColumnMetadata(*arrow::schema({field("x", arrow::int64())}), "memory", "main", "t");
  EXPECT_EQ(Meta(*schema, 0, "ARROW:FLIGHT:SQL:CATALOG_NAME"), "memory");
  EXPECT_EQ(Meta(*schema, 0, "ARROW:FLIGHT:SQL:DB_SCHEMA_NAME"), "main");
  EXPECT_EQ(Meta(*schema, 0, "ARROW:FLIGHT:SQL:SCHEMA_NAME"), "main");
  EXPECT_EQ(Meta(*schema, 0, "ARROW:FLIGHT:SQL:TABLE_NAME"), "t");
  EXPECT_EQ(Meta(*schema, 0, kTypeName), "BIGINT");
  EXPECT_EQ(Meta(*WithColumnMetadata(*arrow::schema({field("x", arrow::int64())})), 0,
                 "ARROW:FLIGHT:SQL:TABLE_NAME"),
            "<none>");
}

}  // namespace
}  // namespace quiver::flight_sql
