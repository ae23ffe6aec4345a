#include "server/flight_sql/xdbc_type_info.h"

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/table_builder.h>
#include <arrow/type.h>

#include <algorithm>
#include <limits>
#include <string>
#include <tuple>
#include <utility>

namespace quiver::flight_sql {
namespace {

// JDBC (java.sql.Types) / ODBC type codes.
constexpr int32_t kGuid = -11;  // ODBC SQL_GUID
constexpr int32_t kBit = -7;
constexpr int32_t kTinyint = -6;
constexpr int32_t kBigint = -5;
constexpr int32_t kVarbinary = -3;
constexpr int32_t kNumeric = 2;
constexpr int32_t kDecimal = 3;
constexpr int32_t kInteger = 4;
constexpr int32_t kSmallint = 5;
constexpr int32_t kReal = 7;
constexpr int32_t kDouble = 8;
constexpr int32_t kVarchar = 12;
constexpr int32_t kBoolean = 16;
constexpr int32_t kDate = 91;
constexpr int32_t kTime = 92;
constexpr int32_t kTimestamp = 93;
constexpr int32_t kIntervalDayToSecond = 110;  // ODBC SQL_INTERVAL_DAY_TO_SECOND

// sql_data_type for date/time and interval rows (XdbcDataType), with their subcodes.
constexpr int32_t kSqlDatetime = 9;
constexpr int32_t kSqlInterval = 10;
constexpr int32_t kSubcodeDate = 1, kSubcodeTime = 2, kSubcodeTimestamp = 3,
                  kSubcodeTimeWithTimezone = 4, kSubcodeTimestampWithTimezone = 5,
                  kSubcodeDayToSecond = 10;

[[maybe_unused]] constexpr int32_t kSearchableBasic = 2;  // comparisons, no LIKE (the default)
constexpr int32_t kSearchableFull = 3;   // LIKE as well
constexpr int32_t kNullable = 1;         // every DuckDB type accepts NULL

// DuckDB strings and blobs have no declared length limit; the column is an int32.
constexpr int32_t kUnbounded = std::numeric_limits<int32_t>::max();

// A row with data_type = sql_data_type = `code` and every optional column NULL.
XdbcType Row(std::string name, int32_t code) {
  XdbcType type;
  type.type_name = std::move(name);
  type.data_type = code;
  type.sql_data_type = code;
  return type;
}

XdbcType Integer(std::string name, int32_t code, int32_t digits, bool is_unsigned) {
  XdbcType type = Row(std::move(name), code);
  type.column_size = digits;
  type.numeric = true;
  type.unsigned_attribute = is_unsigned;
  type.num_prec_radix = 10;
  return type;
}

// column_size counts mantissa bits, hence radix 2.
XdbcType Floating(std::string name, int32_t code, int32_t bits) {
  XdbcType type = Row(std::move(name), code);
  type.column_size = bits;
  type.numeric = true;
  type.num_prec_radix = 2;
  return type;
}

// Everything written as a quoted string literal ('...' casts implicitly in DuckDB).
XdbcType Quoted(std::string name, int32_t code, std::optional<int32_t> column_size) {
  XdbcType type = Row(std::move(name), code);
  type.column_size = column_size;
  type.literal_prefix = "'";
  type.literal_suffix = "'";
  return type;
}

XdbcType Text(std::string name, std::optional<int32_t> column_size) {
  XdbcType type = Quoted(std::move(name), kVarchar, column_size);
  type.case_sensitive = true;  // 'a' = 'A' is false in DuckDB's default collation
  type.searchable = kSearchableFull;
  return type;
}

// Date/time rows: column_size is the length of the text form, scale the fractional digits.
XdbcType DateTime(std::string name, int32_t code, int32_t subcode, int32_t length,
                  std::optional<int32_t> fraction_digits) {
  XdbcType type = Quoted(std::move(name), code, length);
  type.sql_data_type = kSqlDatetime;
  type.datetime_subcode = subcode;
  type.minimum_scale = fraction_digits;
  type.maximum_scale = fraction_digits;
  return type;
}

std::vector<XdbcType> BuildTypes() {
  std::vector<XdbcType> types;
  types.push_back(Quoted("UUID", kGuid, 36));
  // DuckDB's BIT is a bit string: SQL BIT(n), which JDBC's BIT code was named after.
  types.push_back(Quoted("BIT", kBit, std::nullopt));
  types.push_back(Integer("TINYINT", kTinyint, 3, false));
  types.push_back(Integer("UTINYINT", kTinyint, 3, true));
  types.push_back(Integer("BIGINT", kBigint, 19, false));
  types.push_back(Integer("UBIGINT", kBigint, 20, true));
  types.push_back(Quoted("BLOB", kVarbinary, kUnbounded));
  types.push_back(Integer("HUGEINT", kNumeric, 39, false));
  types.push_back(Integer("UHUGEINT", kNumeric, 39, true));
  XdbcType decimal = Integer("DECIMAL", kDecimal, 38, false);  // DuckDB's widest DECIMAL
  decimal.create_params = {"precision", "scale"};
  decimal.minimum_scale = 0;
  decimal.maximum_scale = 38;
  types.push_back(std::move(decimal));
  types.push_back(Integer("INTEGER", kInteger, 10, false));
  types.push_back(Integer("UINTEGER", kInteger, 10, true));
  types.push_back(Integer("SMALLINT", kSmallint, 5, false));
  types.push_back(Integer("USMALLINT", kSmallint, 5, true));
  types.push_back(Floating("FLOAT", kReal, 24));
  types.push_back(Floating("DOUBLE", kDouble, 53));
  // DuckDB ENUM columns reach Arrow as dictionary-encoded strings.
  types.push_back(Text("ENUM", std::nullopt));
  types.push_back(Text("VARCHAR", kUnbounded));
  XdbcType boolean = Row("BOOLEAN", kBoolean);
  boolean.column_size = 1;
  types.push_back(std::move(boolean));
  types.push_back(DateTime("DATE", kDate, kSubcodeDate, 10, std::nullopt));
  // DuckDB keeps TIME, TIMESTAMP and TIMESTAMPTZ in microseconds; the unit variants of
  // TIMESTAMP are types of their own.
  types.push_back(DateTime("TIME", kTime, kSubcodeTime, 15, 6));
  types.push_back(DateTime("TIME WITH TIME ZONE", kTime, kSubcodeTimeWithTimezone, 15, 6));
  types.push_back(DateTime("TIMESTAMP", kTimestamp, kSubcodeTimestamp, 26, 6));
  types.push_back(
      DateTime("TIMESTAMP WITH TIME ZONE", kTimestamp, kSubcodeTimestampWithTimezone, 26, 6));
  types.push_back(DateTime("TIMESTAMP_MS", kTimestamp, kSubcodeTimestamp, 23, 3));
  types.push_back(DateTime("TIMESTAMP_NS", kTimestamp, kSubcodeTimestamp, 29, 9));
  types.push_back(DateTime("TIMESTAMP_S", kTimestamp, kSubcodeTimestamp, 19, 0));
  // DuckDB's INTERVAL holds months, days and microseconds; DAY TO SECOND is the closest
  // interval kind, led by the day count (an int32: 10 digits).
  XdbcType interval = Quoted("INTERVAL", kIntervalDayToSecond, std::nullopt);
  interval.sql_data_type = kSqlInterval;
  interval.datetime_subcode = kSubcodeDayToSecond;
  interval.interval_precision = 10;
  types.push_back(std::move(interval));

  std::sort(types.begin(), types.end(), [](const XdbcType& a, const XdbcType& b) {
    return std::tie(a.data_type, a.type_name) < std::tie(b.data_type, b.type_name);
  });
  return types;
}

template <typename Builder, typename T>
arrow::Status AppendOptional(arrow::ArrayBuilder* builder, const std::optional<T>& value) {
  auto* typed = static_cast<Builder*>(builder);
  return value ? typed->Append(*value) : typed->AppendNull();
}

}  // namespace

const std::vector<XdbcType>& XdbcTypes() {
  static const std::vector<XdbcType> kTypes = BuildTypes();
  return kTypes;
}

const XdbcType* FindXdbcType(std::string_view type_name) {
  for (const auto& type : XdbcTypes()) {
    if (type.type_name == type_name) return &type;
  }
  return nullptr;
}

std::shared_ptr<arrow::Schema> XdbcTypeInfoSchema() {
  using arrow::boolean;
  using arrow::field;
  using arrow::int32;
  using arrow::utf8;
  return arrow::schema({
      field("type_name", utf8(), false),
      field("data_type", int32(), false),
      field("column_size", int32()),
      field("literal_prefix", utf8()),
      field("literal_suffix", utf8()),
      field("create_params", arrow::list(field("item", utf8(), false))),
      field("nullable", int32(), false),
      field("case_sensitive", boolean(), false),
      field("searchable", int32(), false),
      field("unsigned_attribute", boolean()),
      field("fixed_prec_scale", boolean(), false),
      field("auto_increment", boolean()),
      field("local_type_name", utf8()),
      field("minimum_scale", int32()),
      field("maximum_scale", int32()),
      field("sql_data_type", int32(), false),
      field("datetime_subcode", int32()),
      field("num_prec_radix", int32()),
      field("interval_precision", int32()),
  });
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> XdbcTypeInfoBatch(
    std::optional<int32_t> data_type) {
  const auto schema = XdbcTypeInfoSchema();
  std::unique_ptr<arrow::RecordBatchBuilder> batch;
  ARROW_ASSIGN_OR_RAISE(batch,
                        arrow::RecordBatchBuilder::Make(schema, arrow::default_memory_pool()));
  auto* type_name = batch->GetFieldAs<arrow::StringBuilder>(0);
  auto* code = batch->GetFieldAs<arrow::Int32Builder>(1);
  auto* create_params = batch->GetFieldAs<arrow::ListBuilder>(5);
  auto* create_param = static_cast<arrow::StringBuilder*>(create_params->value_builder());
  auto* nullable = batch->GetFieldAs<arrow::Int32Builder>(6);
  auto* case_sensitive = batch->GetFieldAs<arrow::BooleanBuilder>(7);
  auto* searchable = batch->GetFieldAs<arrow::Int32Builder>(8);
  auto* fixed_prec_scale = batch->GetFieldAs<arrow::BooleanBuilder>(10);
  auto* sql_data_type = batch->GetFieldAs<arrow::Int32Builder>(15);

  for (const auto& type : XdbcTypes()) {
    if (data_type && type.data_type != *data_type) continue;
    // Unsigned and auto-increment only mean something for numbers; NULL elsewhere.
    const std::optional<bool> numeric_flag =
        type.numeric ? std::optional<bool>(type.unsigned_attribute) : std::nullopt;
    const std::optional<bool> auto_increment =
        type.numeric ? std::optional<bool>(false) : std::nullopt;
    ARROW_RETURN_NOT_OK(type_name->Append(type.type_name));
    ARROW_RETURN_NOT_OK(code->Append(type.data_type));
    ARROW_RETURN_NOT_OK(AppendOptional<arrow::Int32Builder>(batch->GetField(2), type.column_size));
    ARROW_RETURN_NOT_OK(
        AppendOptional<arrow::StringBuilder>(batch->GetField(3), type.literal_prefix));
    ARROW_RETURN_NOT_OK(
        AppendOptional<arrow::StringBuilder>(batch->GetField(4), type.literal_suffix));
    if (type.create_params.empty()) {
      ARROW_RETURN_NOT_OK(create_params->AppendNull());
    } else {
      ARROW_RETURN_NOT_OK(create_params->Append());
      ARROW_RETURN_NOT_OK(create_param->AppendValues(type.create_params));
    }
    ARROW_RETURN_NOT_OK(nullable->Append(kNullable));
    ARROW_RETURN_NOT_OK(case_sensitive->Append(type.case_sensitive));
    ARROW_RETURN_NOT_OK(searchable->Append(type.searchable));
    ARROW_RETURN_NOT_OK(AppendOptional<arrow::BooleanBuilder>(batch->GetField(9), numeric_flag));
    ARROW_RETURN_NOT_OK(fixed_prec_scale->Append(false));
    ARROW_RETURN_NOT_OK(AppendOptional<arrow::BooleanBuilder>(batch->GetField(11), auto_increment));
    ARROW_RETURN_NOT_OK(batch->GetField(12)->AppendNull());  // no localized names
    ARROW_RETURN_NOT_OK(
        AppendOptional<arrow::Int32Builder>(batch->GetField(13), type.minimum_scale));
    ARROW_RETURN_NOT_OK(
        AppendOptional<arrow::Int32Builder>(batch->GetField(14), type.maximum_scale));
    ARROW_RETURN_NOT_OK(sql_data_type->Append(type.sql_data_type));
    ARROW_RETURN_NOT_OK(
        AppendOptional<arrow::Int32Builder>(batch->GetField(16), type.datetime_subcode));
    ARROW_RETURN_NOT_OK(
        AppendOptional<arrow::Int32Builder>(batch->GetField(17), type.num_prec_radix));
    ARROW_RETURN_NOT_OK(
        AppendOptional<arrow::Int32Builder>(batch->GetField(18), type.interval_precision));
  }
  return batch->Flush();
}

}  // namespace quiver::flight_sql
