#include "server/flight_sql/sql_info.h"

#include <arrow/array.h>
#include <arrow/buffer_builder.h>
#include <arrow/builder.h>
#include <arrow/type.h>

#include <algorithm>
#include <initializer_list>
#include <map>
#include <type_traits>
#include <utility>
#include <variant>

namespace quiver::flight_sql {
namespace {

using Int32ListMap = std::vector<std::pair<int32_t, std::vector<int32_t>>>;
// The alternatives are in union type-code order, so a value's index() is its type code.
using SqlInfoValue =
    std::variant<std::string, bool, int64_t, int32_t, std::vector<std::string>, Int32ListMap>;

// Enum values of FlightSql.proto used below; bitmask ids carry `1 << value` per supported value.
// SqlSupportedTransaction: transactions, but no savepoints (DuckDB has none).
constexpr int32_t kSupportedTransactionTransaction = 1;
constexpr int64_t kCaseInsensitive = 1;                // SqlSupportedCaseSensitivity
constexpr int64_t kNullsSortedAtEnd = 3;               // SqlNullOrdering
constexpr int kGroupByUnrelated = 0, kGroupByBeyondSelect = 1;
constexpr int kMinimumGrammar = 0, kCoreGrammar = 1, kExtendedGrammar = 2;
constexpr int kAnsi92Entry = 0, kAnsi92Intermediate = 1;
constexpr int kLimitedOuterJoins = 1, kFullOuterJoins = 2;  // SqlOuterJoinsSupportLevel
constexpr int kElementInIndexDefinitions = 1;               // SqlSupportedElementActions
constexpr int kSubqueriesInComparisons = 0, kSubqueriesInExists = 1, kSubqueriesInIns = 2,
              kSubqueriesInQuantifieds = 3;
constexpr int kUnion = 0, kUnionAll = 1;
constexpr int kTransactionSerializable = 4;  // SqlTransactionIsolationLevel
constexpr int kResultSetTypeForwardOnly = 1;
constexpr int kConcurrencyReadOnly = 1;

constexpr int32_t Bits(std::initializer_list<int> values) {
  int32_t mask = 0;
  for (int value : values) mask |= int32_t{1} << value;
  return mask;
}

// SqlSupportsConvert categories, and the DuckDB type each one stands for.
enum Convert : int32_t {
  kBigint = 0,             // BIGINT
  kBinary = 1,             // BLOB
  kBit = 2,                // BOOLEAN (ODBC/JDBC BIT is the one-bit boolean)
  kChar = 3,               // VARCHAR
  kDate = 4,               // DATE
  kDecimal = 5,            // DECIMAL
  kFloat = 6,              // DOUBLE (ODBC FLOAT is double precision)
  kInteger = 7,            // INTEGER
  kIntervalDayTime = 8,    // INTERVAL
  kIntervalYearMonth = 9,  // INTERVAL
  kLongVarbinary = 10,     // BLOB
  kLongVarchar = 11,       // VARCHAR
  kNumeric = 12,           // DECIMAL
  kReal = 13,              // FLOAT
  kSmallint = 14,          // SMALLINT
  kTime = 15,              // TIME
  kTimestamp = 16,         // TIMESTAMP
  kTinyint = 17,           // TINYINT
  kVarbinary = 18,         // BLOB
  kVarchar = 19,           // VARCHAR
};

// Which CASTs DuckDB 1.4 implements between those types (checked against DuckDB: a pair is
// missing when DuckDB answers "Unimplemented type for cast"). Keys and list items are the
// SqlSupportsConvert values, as the JDBC driver's supportsConvert(from, to) looks them up.
Int32ListMap SupportedConversions() {
  const std::vector<int32_t> numeric = {kBigint, kBit,      kChar,        kDecimal,
                                        kFloat,  kInteger,  kLongVarchar, kNumeric,
                                        kReal,   kSmallint, kTinyint,     kVarchar};
  const std::vector<int32_t> binary = {kBinary,      kChar,      kLongVarbinary,
                                       kLongVarchar, kVarbinary, kVarchar};
  const std::vector<int32_t> interval = {kChar, kIntervalDayTime, kIntervalYearMonth, kLongVarchar,
                                         kVarchar};
  std::vector<int32_t> everything;
  for (int32_t to = kBigint; to <= kVarchar; ++to) everything.push_back(to);

  Int32ListMap map;
  for (int32_t from :
       {kBigint, kBit, kDecimal, kFloat, kInteger, kNumeric, kReal, kSmallint, kTinyint}) {
    map.emplace_back(from, numeric);
  }
  for (int32_t from : {kBinary, kLongVarbinary, kVarbinary}) map.emplace_back(from, binary);
  for (int32_t from : {kChar, kLongVarchar, kVarchar}) map.emplace_back(from, everything);
  for (int32_t from : {kIntervalDayTime, kIntervalYearMonth}) map.emplace_back(from, interval);
  map.emplace_back(kDate, std::vector<int32_t>{kChar, kDate, kLongVarchar, kTimestamp, kVarchar});
  map.emplace_back(kTime, std::vector<int32_t>{kChar, kLongVarchar, kTime, kVarchar});
  map.emplace_back(kTimestamp,
                   std::vector<int32_t>{kChar, kDate, kLongVarchar, kTime, kTimestamp, kVarchar});
  std::sort(map.begin(), map.end());
  return map;
}

// The registered ids. The slot of each value is what the clients cast it to: the JDBC driver
// (ArrowDatabaseMetadata) casts to String / Boolean / Integer / Long / List / Map and throws
// ClassCastException on a mismatch; the ODBC driver reinterprets the child scalar without a
// check. Both read 503, 505, 507 and 562 as int64 (the .proto calls them int32 ordinals) and
// 528 as a bitmask of SqlOuterJoinsSupportLevel values, so those follow the clients.
std::map<uint32_t, SqlInfoValue> Registry(const SqlInfoContext& context) {
  std::string version = context.server_version;
  if (!context.duckdb_version.empty()) version += " (DuckDB " + context.duckdb_version + ")";

  std::map<uint32_t, SqlInfoValue> info;
  info[FLIGHT_SQL_SERVER_NAME] = std::string("Quiver");
  info[FLIGHT_SQL_SERVER_VERSION] = version;
  info[FLIGHT_SQL_SERVER_ARROW_VERSION] = context.arrow_version;
  info[FLIGHT_SQL_SERVER_READ_ONLY] = context.read_only;
  info[FLIGHT_SQL_SERVER_SQL] = true;
  info[FLIGHT_SQL_SERVER_SUBSTRAIT] = false;
  info[FLIGHT_SQL_SERVER_SUBSTRAIT_MIN_VERSION] = std::string();
  info[FLIGHT_SQL_SERVER_SUBSTRAIT_MAX_VERSION] = std::string();
  // ADBC reads this from the int32 slot to decide whether autocommit can be turned off.
  info[FLIGHT_SQL_SERVER_TRANSACTION] = kSupportedTransactionTransaction;
  info[FLIGHT_SQL_SERVER_CANCEL] = true;
  info[FLIGHT_SQL_SERVER_BULK_INGESTION] = true;
  info[FLIGHT_SQL_SERVER_INGEST_TRANSACTIONS_SUPPORTED] = true;
  // 0 = no timeout: handles and transactions live until closed (or the configured lifetime).
  info[FLIGHT_SQL_SERVER_STATEMENT_TIMEOUT] = int32_t{0};
  info[FLIGHT_SQL_SERVER_TRANSACTION_TIMEOUT] = int32_t{0};

  // Catalogs are attached databases (ATTACH / DETACH); there is no CREATE/DROP DATABASE.
  info[SQL_DDL_CATALOG] = false;
  info[SQL_DDL_SCHEMA] = true;
  info[SQL_DDL_TABLE] = true;
  // DuckDB matches identifiers case-insensitively, quoted or not, and keeps their spelling.
  info[SQL_IDENTIFIER_CASE] = kCaseInsensitive;
  info[SQL_IDENTIFIER_QUOTE_CHAR] = std::string("\"");
  info[SQL_QUOTED_IDENTIFIER_CASE] = kCaseInsensitive;
  info[SQL_ALL_TABLES_ARE_SELECTABLE] = true;  // DuckDB has no privileges
  // DuckDB's default_null_order is NULLS LAST for both ASC and DESC.
  info[SQL_NULL_ORDERING] = kNullsSortedAtEnd;
  info[SQL_KEYWORDS] = context.keywords;
  info[SQL_NUMERIC_FUNCTIONS] = context.numeric_functions;
  info[SQL_STRING_FUNCTIONS] = context.string_functions;
  info[SQL_SYSTEM_FUNCTIONS] = context.system_functions;
  info[SQL_DATETIME_FUNCTIONS] = context.datetime_functions;
  // The catalog commands' LIKE filters use ESCAPE '\'.
  info[SQL_SEARCH_STRING_ESCAPE] = std::string("\\");
  info[SQL_EXTRA_NAME_CHARACTERS] = std::string();
  info[SQL_SUPPORTS_COLUMN_ALIASING] = true;
  info[SQL_NULL_PLUS_NULL_IS_NULL] = true;  // NULL || 'a' is NULL
  info[SQL_SUPPORTS_CONVERT] = SupportedConversions();
  info[SQL_SUPPORTS_TABLE_CORRELATION_NAMES] = true;
  // A correlation name may equal the table's own name (FROM t AS t).
  info[SQL_SUPPORTS_DIFFERENT_TABLE_CORRELATION_NAMES] = false;
  info[SQL_SUPPORTS_EXPRESSIONS_IN_ORDER_BY] = true;
  info[SQL_SUPPORTS_ORDER_BY_UNRELATED] = true;
  info[SQL_SUPPORTED_GROUP_BY] = Bits({kGroupByUnrelated, kGroupByBeyondSelect});
  info[SQL_SUPPORTS_LIKE_ESCAPE_CLAUSE] = true;
  info[SQL_SUPPORTS_NON_NULLABLE_COLUMNS] = true;
  info[SQL_SUPPORTED_GRAMMAR] = Bits({kMinimumGrammar, kCoreGrammar, kExtendedGrammar});
  // No domains, assertions or character sets, so not ANSI-92 full.
  info[SQL_ANSI92_SUPPORTED_LEVEL] = Bits({kAnsi92Entry, kAnsi92Intermediate});
  info[SQL_SUPPORTS_INTEGRITY_ENHANCEMENT_FACILITY] = true;  // PRIMARY/FOREIGN KEY, CHECK
  info[SQL_OUTER_JOINS_SUPPORT_LEVEL] = Bits({kLimitedOuterJoins, kFullOuterJoins});
  info[SQL_SCHEMA_TERM] = std::string("schema");
  info[SQL_PROCEDURE_TERM] = std::string();  // DuckDB has no stored procedures
  // A non-empty term tells ODBC that catalogs exist; DuckDB calls them databases.
  info[SQL_CATALOG_TERM] = std::string("database");
  info[SQL_CATALOG_AT_START] = true;
  // CREATE INDEX accepts catalog- and schema-qualified tables; no procedures or privileges.
  info[SQL_SCHEMAS_SUPPORTED_ACTIONS] = Bits({kElementInIndexDefinitions});
  info[SQL_CATALOGS_SUPPORTED_ACTIONS] = Bits({kElementInIndexDefinitions});
  info[SQL_SUPPORTED_POSITIONED_COMMANDS] = int32_t{0};  // no cursors
  info[SQL_SELECT_FOR_UPDATE_SUPPORTED] = false;         // "SELECT locking clause is not supported"
  info[SQL_STORED_PROCEDURES_SUPPORTED] = false;
  info[SQL_SUPPORTED_SUBQUERIES] = Bits(
      {kSubqueriesInComparisons, kSubqueriesInExists, kSubqueriesInIns, kSubqueriesInQuantifieds});
  info[SQL_CORRELATED_SUBQUERIES_SUPPORTED] = true;
  info[SQL_SUPPORTED_UNIONS] = Bits({kUnion, kUnionAll});
  // DuckDB sets none of these limits; 0 means "no limit or unknown".
  for (uint32_t id = SQL_MAX_BINARY_LITERAL_LENGTH; id <= SQL_MAX_USERNAME_LENGTH; ++id) {
    info[id] = int64_t{0};
  }
  info[SQL_MAX_ROW_SIZE_INCLUDES_BLOBS] = false;  // the one boolean inside the 541-561 range
  // DuckDB runs every transaction under its one MVCC snapshot level. The JDBC driver hands this
  // number to getDefaultTransactionIsolation() unchanged, where 4 reads as REPEATABLE_READ.
  info[SQL_DEFAULT_TRANSACTION_ISOLATION] = int64_t{kTransactionSerializable};
  info[SQL_TRANSACTIONS_SUPPORTED] = true;
  info[SQL_SUPPORTED_TRANSACTIONS_ISOLATION_LEVELS] = Bits({kTransactionSerializable});
  info[SQL_DATA_DEFINITION_CAUSES_TRANSACTION_COMMIT] = false;  // DuckDB DDL is transactional
  info[SQL_DATA_DEFINITIONS_IN_TRANSACTIONS_IGNORED] = false;
  // Results are streams read once, front to back.
  info[SQL_SUPPORTED_RESULT_SET_TYPES] = Bits({kResultSetTypeForwardOnly});
  info[SQL_SUPPORTED_CONCURRENCIES_FOR_RESULT_SET_UNSPECIFIED] = int32_t{0};
  info[SQL_SUPPORTED_CONCURRENCIES_FOR_RESULT_SET_FORWARD_ONLY] = Bits({kConcurrencyReadOnly});
  info[SQL_SUPPORTED_CONCURRENCIES_FOR_RESULT_SET_SCROLL_SENSITIVE] = int32_t{0};
  info[SQL_SUPPORTED_CONCURRENCIES_FOR_RESULT_SET_SCROLL_INSENSITIVE] = int32_t{0};
  // A prepared update runs once per bound parameter row.
  info[SQL_BATCH_UPDATES_SUPPORTED] = true;
  // Agrees with FLIGHT_SQL_SERVER_TRANSACTION: savepoints come from the Flight SQL actions.
  info[SQL_SAVEPOINTS_SUPPORTED] = false;
  info[SQL_NAMED_PARAMETERS_SUPPORTED] = false;  // no callable statements
  info[SQL_LOCATORS_UPDATE_COPY] = false;        // no LOB locators
  info[SQL_STORED_FUNCTIONS_USING_CALL_SYNTAX_SUPPORTED] = false;
  return info;
}

template <typename Builder, typename Value>
arrow::Status AppendTo(arrow::ArrayBuilder& builder, const Value& value) {
  return static_cast<Builder&>(builder).Append(value);
}

arrow::Status AppendStringList(arrow::ArrayBuilder& builder,
                               const std::vector<std::string>& values) {
  auto& list = static_cast<arrow::ListBuilder&>(builder);
  ARROW_RETURN_NOT_OK(list.Append());
  return static_cast<arrow::StringBuilder&>(*list.value_builder()).AppendValues(values);
}

arrow::Status AppendInt32ListMap(arrow::ArrayBuilder& builder, const Int32ListMap& entries) {
  auto& map = static_cast<arrow::MapBuilder&>(builder);
  auto& keys = static_cast<arrow::Int32Builder&>(*map.key_builder());
  auto& lists = static_cast<arrow::ListBuilder&>(*map.item_builder());
  auto& items = static_cast<arrow::Int32Builder&>(*lists.value_builder());
  ARROW_RETURN_NOT_OK(map.Append());
  for (const auto& [key, values] : entries) {
    ARROW_RETURN_NOT_OK(keys.Append(key));
    ARROW_RETURN_NOT_OK(lists.Append());
    ARROW_RETURN_NOT_OK(items.AppendValues(values));
  }
  return arrow::Status::OK();
}

std::shared_ptr<arrow::DataType> ValueType() {
  using arrow::field;
  return arrow::dense_union({
      field("string_value", arrow::utf8(), false),
      field("bool_value", arrow::boolean(), false),
      field("bigint_value", arrow::int64(), false),
      field("int32_bitmask", arrow::int32(), false),
      field("string_list", arrow::list(arrow::utf8()), false),
      field("int32_to_int32_list_map", arrow::map(arrow::int32(), arrow::list(arrow::int32())),
            false),
  });
}

}  // namespace

std::shared_ptr<arrow::Schema> SqlInfoSchema() {
  return arrow::schema({arrow::field("info_name", arrow::uint32(), false),
                        arrow::field("value", ValueType(), false)});
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> SqlInfoBatch(const std::vector<uint32_t>& ids,
                                                                const SqlInfoContext& context) {
  const auto registry = Registry(context);
  std::vector<const std::pair<const uint32_t, SqlInfoValue>*> rows;
  if (ids.empty()) {
    for (const auto& entry : registry) rows.push_back(&entry);
  } else {
    for (uint32_t id : ids) {
      auto found = registry.find(id);
      if (found != registry.end()) rows.push_back(&*found);
    }
  }

  auto* pool = arrow::default_memory_pool();
  std::vector<std::unique_ptr<arrow::ArrayBuilder>> children;
  children.push_back(std::make_unique<arrow::StringBuilder>(pool));
  children.push_back(std::make_unique<arrow::BooleanBuilder>(pool));
  children.push_back(std::make_unique<arrow::Int64Builder>(pool));
  children.push_back(std::make_unique<arrow::Int32Builder>(pool));
  children.push_back(
      std::make_unique<arrow::ListBuilder>(pool, std::make_shared<arrow::StringBuilder>(pool)));
  children.push_back(std::make_unique<arrow::MapBuilder>(
      pool, std::make_shared<arrow::Int32Builder>(pool),
      std::make_shared<arrow::ListBuilder>(pool, std::make_shared<arrow::Int32Builder>(pool))));

  arrow::UInt32Builder names(pool);
  arrow::TypedBufferBuilder<int8_t> type_codes(pool);
  arrow::TypedBufferBuilder<int32_t> offsets(pool);
  for (const auto* row : rows) {
    const auto& [id, value] = *row;
    const auto code = static_cast<int8_t>(value.index());
    auto& child = *children[value.index()];
    ARROW_RETURN_NOT_OK(names.Append(id));
    ARROW_RETURN_NOT_OK(type_codes.Append(code));
    ARROW_RETURN_NOT_OK(offsets.Append(static_cast<int32_t>(child.length())));
    ARROW_RETURN_NOT_OK(std::visit(
        [&](const auto& v) -> arrow::Status {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            return AppendTo<arrow::StringBuilder>(child, v);
          } else if constexpr (std::is_same_v<T, bool>) {
            return AppendTo<arrow::BooleanBuilder>(child, v);
          } else if constexpr (std::is_same_v<T, int64_t>) {
            return AppendTo<arrow::Int64Builder>(child, v);
          } else if constexpr (std::is_same_v<T, int32_t>) {
            return AppendTo<arrow::Int32Builder>(child, v);
          } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            return AppendStringList(child, v);
          } else {
            return AppendInt32ListMap(child, v);
          }
        },
        value));
  }

  const auto type = ValueType();
  arrow::ArrayVector child_arrays;
  for (int i = 0; i < type->num_fields(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto array, children[i]->Finish());
    // The builders' types must be exactly the declared children, or clients reject the union.
    if (!array->type()->Equals(*type->field(i)->type())) {
      return arrow::Status::Invalid("SqlInfo child ", i, " built as ", array->type()->ToString(),
                                    ", declared ", type->field(i)->type()->ToString());
    }
    child_arrays.push_back(std::move(array));
  }
  const auto length = static_cast<int64_t>(rows.size());
  ARROW_ASSIGN_OR_RAISE(auto type_code_buffer, type_codes.Finish());
  ARROW_ASSIGN_OR_RAISE(auto offset_buffer, offsets.Finish());
  auto values = std::make_shared<arrow::DenseUnionArray>(
      type, length, std::move(child_arrays), std::move(type_code_buffer), std::move(offset_buffer));
  ARROW_ASSIGN_OR_RAISE(auto info_names, names.Finish());
  return arrow::RecordBatch::Make(SqlInfoSchema(), length, {info_names, values});
}

}  // namespace quiver::flight_sql
