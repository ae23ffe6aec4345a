#include "server/flight_sql/column_metadata.h"

#include <arrow/extension_type.h>
#include <arrow/type.h>
#include <arrow/util/checked_cast.h>
#include <arrow/util/key_value_metadata.h>

#include <limits>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "server/flight_sql/xdbc_type_info.h"

namespace quiver::flight_sql {
namespace {

using arrow::internal::checked_cast;
using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr char kTypeName[] = "ARROW:FLIGHT:SQL:TYPE_NAME";
constexpr char kPrecision[] = "ARROW:FLIGHT:SQL:PRECISION";
constexpr char kScale[] = "ARROW:FLIGHT:SQL:SCALE";
constexpr char kIsAutoIncrement[] = "ARROW:FLIGHT:SQL:IS_AUTO_INCREMENT";
constexpr char kIsCaseSensitive[] = "ARROW:FLIGHT:SQL:IS_CASE_SENSITIVE";
constexpr char kIsReadOnly[] = "ARROW:FLIGHT:SQL:IS_READ_ONLY";
constexpr char kIsSearchable[] = "ARROW:FLIGHT:SQL:IS_SEARCHABLE";
constexpr char kCatalogName[] = "ARROW:FLIGHT:SQL:CATALOG_NAME";
constexpr char kTableName[] = "ARROW:FLIGHT:SQL:TABLE_NAME";
constexpr char kDbSchemaName[] = "ARROW:FLIGHT:SQL:DB_SCHEMA_NAME";
// FlightSql.proto documents DB_SCHEMA_NAME, but the Arrow C++, Java and Go ColumnMetadata
// helpers read SCHEMA_NAME; table columns carry both.
constexpr char kSchemaName[] = "ARROW:FLIGHT:SQL:SCHEMA_NAME";

// An extension type, whether Arrow C++ knows it (ExtensionType) or only the field metadata
// names it (an unregistered extension arrives as its storage type plus these keys).
struct Extension {
  std::string name;
  std::string metadata;
  std::shared_ptr<arrow::DataType> storage;
};

std::optional<Extension> ExtensionOf(const std::shared_ptr<arrow::DataType>& type,
                                     const arrow::KeyValueMetadata* metadata) {
  if (type->id() == arrow::Type::EXTENSION) {
    const auto& extension = checked_cast<const arrow::ExtensionType&>(*type);
    return Extension{extension.extension_name(), extension.Serialize(), extension.storage_type()};
  }
  if (metadata == nullptr) return std::nullopt;
  auto name = metadata->Get("ARROW:extension:name");
  if (!name.ok()) return std::nullopt;
  return Extension{*name, metadata->Get("ARROW:extension:metadata").ValueOr(""), type};
}

// The string value of "key" in the flat JSON object of arrow.opaque's metadata
// ({"type_name":"hugeint","vendor_name":"DuckDB"}); "" when absent.
std::string JsonStringMember(std::string_view json, std::string_view key) {
  const std::string quoted = "\"" + std::string(key) + "\"";
  auto at = json.find(quoted);
  if (at == std::string_view::npos) return "";
  at = json.find(':', at + quoted.size());
  if (at == std::string_view::npos) return "";
  auto open = json.find('"', at + 1);
  if (open == std::string_view::npos) return "";
  auto close = json.find('"', open + 1);
  if (close == std::string_view::npos) return "";
  return std::string(json.substr(open + 1, close - open - 1));
}

std::string ToUpper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

std::string TypeName(const std::shared_ptr<arrow::DataType>& type,
                     const arrow::KeyValueMetadata* metadata);

// A struct/union member as DuckDB prints it: plain names bare, others double-quoted.
std::string Member(const arrow::Field& field) {
  bool plain = !field.name().empty() && !(field.name()[0] >= '0' && field.name()[0] <= '9');
  for (char c : field.name()) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  std::string name = plain ? field.name() : "\"" + field.name() + "\"";
  return name + " " + TypeName(field.type(), field.metadata().get());
}

std::string Members(const std::string& kind, const arrow::DataType& type) {
  std::string text = kind + "(";
  for (int i = 0; i < type.num_fields(); ++i) {
    const std::string member = Member(*type.field(i));
    if (member.back() == ' ') return "";  // a member DuckDB cannot represent
    text += (i > 0 ? ", " : "") + member;
  }
  return text + ")";
}

std::string TypeName(const std::shared_ptr<arrow::DataType>& type,
                     const arrow::KeyValueMetadata* metadata) {
  if (auto extension = ExtensionOf(type, metadata)) {
    if (extension->name == "arrow.uuid") return "UUID";
    // DuckDB's lossless Arrow export wraps the types Arrow lacks in arrow.opaque.
    if (extension->name == "arrow.opaque" &&
        JsonStringMember(extension->metadata, "vendor_name") == "DuckDB") {
      const std::string name = JsonStringMember(extension->metadata, "type_name");
      if (name == "time_tz") return "TIME WITH TIME ZONE";
      if (!name.empty()) return ToUpper(name);  // hugeint, uhugeint, bit, bignum
    }
    if (type->id() == arrow::Type::EXTENSION) return TypeName(extension->storage, nullptr);
  }
  using arrow::Type;
  switch (type->id()) {
    case Type::NA:
      return "NULL";
    case Type::BOOL:
      return "BOOLEAN";
    case Type::INT8:
      return "TINYINT";
    case Type::INT16:
      return "SMALLINT";
    case Type::INT32:
      return "INTEGER";
    case Type::INT64:
      return "BIGINT";
    case Type::UINT8:
      return "UTINYINT";
    case Type::UINT16:
      return "USMALLINT";
    case Type::UINT32:
      return "UINTEGER";
    case Type::UINT64:
      return "UBIGINT";
    case Type::FLOAT:
      return "FLOAT";
    case Type::DOUBLE:
      return "DOUBLE";
    case Type::DECIMAL32:
    case Type::DECIMAL64:
    case Type::DECIMAL128:
    case Type::DECIMAL256:
      return "DECIMAL";  // precision and scale travel in PRECISION / SCALE
    case Type::STRING:
    case Type::LARGE_STRING:
    case Type::STRING_VIEW:
      return "VARCHAR";
    case Type::BINARY:
    case Type::LARGE_BINARY:
    case Type::BINARY_VIEW:
    case Type::FIXED_SIZE_BINARY:
      return "BLOB";
    case Type::DATE32:
    case Type::DATE64:
      return "DATE";
    case Type::TIME32:
    case Type::TIME64:
      return "TIME";
    case Type::TIMESTAMP: {
      // The names DuckDB gives each unit when it reads such a column.
      const auto& timestamp = checked_cast<const arrow::TimestampType&>(*type);
      if (!timestamp.timezone().empty()) return "TIMESTAMP WITH TIME ZONE";
      switch (timestamp.unit()) {
        case arrow::TimeUnit::SECOND:
          return "TIMESTAMP_S";
        case arrow::TimeUnit::MILLI:
          return "TIMESTAMP_MS";
        case arrow::TimeUnit::MICRO:
          return "TIMESTAMP";
        case arrow::TimeUnit::NANO:
          return "TIMESTAMP_NS";
      }
      return "";
    }
    case Type::INTERVAL_MONTHS:
    case Type::INTERVAL_DAY_TIME:
    case Type::INTERVAL_MONTH_DAY_NANO:
    case Type::DURATION:
      return "INTERVAL";
    case Type::DICTIONARY: {
      // DuckDB exports ENUM columns as dictionary-encoded strings.
      const auto& values = checked_cast<const arrow::DictionaryType&>(*type).value_type();
      if (values->id() == arrow::Type::STRING || values->id() == arrow::Type::LARGE_STRING ||
          values->id() == arrow::Type::STRING_VIEW) {
        return "ENUM";
      }
      return TypeName(values, nullptr);
    }
    case Type::LIST:
    case Type::LARGE_LIST:
    case Type::LIST_VIEW:
    case Type::LARGE_LIST_VIEW: {
      const auto& item = *type->field(0);
      const std::string name = TypeName(item.type(), item.metadata().get());
      return name.empty() ? "" : name + "[]";
    }
    case Type::FIXED_SIZE_LIST: {
      const auto& list = checked_cast<const arrow::FixedSizeListType&>(*type);
      const std::string name = TypeName(list.value_type(), list.value_field()->metadata().get());
      return name.empty() ? "" : name + "[" + std::to_string(list.list_size()) + "]";
    }
    case Type::STRUCT:
      return Members("STRUCT", *type);
    case Type::SPARSE_UNION:
    case Type::DENSE_UNION:
      return Members("UNION", *type);
    case Type::MAP: {
      const auto& map = checked_cast<const arrow::MapType&>(*type);
      const std::string key = TypeName(map.key_type(), map.key_field()->metadata().get());
      const std::string item = TypeName(map.item_type(), map.item_field()->metadata().get());
      return key.empty() || item.empty() ? "" : "MAP(" + key + ", " + item + ")";
    }
    default:
      return "";  // e.g. halffloat: DuckDB cannot read it
  }
}

// Length of the text form and fractional digits of a time or timestamp in `unit`.
std::pair<int32_t, int32_t> TimeDigits(arrow::TimeUnit::type unit, int32_t whole_length) {
  switch (unit) {
    case arrow::TimeUnit::SECOND:
      return {whole_length, 0};
    case arrow::TimeUnit::MILLI:
      return {whole_length + 4, 3};
    case arrow::TimeUnit::MICRO:
      return {whole_length + 7, 6};
    case arrow::TimeUnit::NANO:
      return {whole_length + 10, 9};
  }
  return {whole_length, 0};
}

// PRECISION and SCALE of a field whose type has the XDBC row `row`.
void AddPrecisionAndScale(const arrow::DataType& type, const XdbcType& row, Pairs* pairs) {
  std::optional<int32_t> precision, scale;
  switch (type.id()) {
    case arrow::Type::DECIMAL32:
    case arrow::Type::DECIMAL64:
    case arrow::Type::DECIMAL128:
    case arrow::Type::DECIMAL256: {
      const auto& decimal = checked_cast<const arrow::DecimalType&>(type);
      precision = decimal.precision();
      scale = decimal.scale();
      break;
    }
    case arrow::Type::TIMESTAMP:  // "YYYY-MM-DD HH:MM:SS" plus the fraction
      std::tie(precision, scale) =
          TimeDigits(checked_cast<const arrow::TimestampType&>(type).unit(), 19);
      break;
    case arrow::Type::TIME32:
    case arrow::Type::TIME64:  // "HH:MM:SS" plus the fraction
      std::tie(precision, scale) = TimeDigits(checked_cast<const arrow::TimeType&>(type).unit(), 8);
      break;
    case arrow::Type::FIXED_SIZE_BINARY:
      if (row.type_name == "BLOB") {
        precision = checked_cast<const arrow::FixedSizeBinaryType&>(type).byte_width();
        break;
      }
      [[fallthrough]];
    default:
      // Numbers, BOOLEAN, DATE, UUID, ...: the type's XDBC column_size. Strings and blobs are
      // unbounded and get none.
      if (row.column_size && *row.column_size != std::numeric_limits<int32_t>::max()) {
        precision = row.column_size;
        scale = row.minimum_scale == row.maximum_scale ? row.minimum_scale : std::nullopt;
      }
  }
  if (precision) pairs->emplace_back(kPrecision, std::to_string(*precision));
  if (scale) pairs->emplace_back(kScale, std::to_string(*scale));
}

std::shared_ptr<arrow::Field> WithPairs(const arrow::Field& field, const Pairs& pairs) {
  std::vector<std::string> keys, values;
  if (const auto& existing = field.metadata()) {
    for (int64_t i = 0; i < existing->size(); ++i) {
      bool replaced = false;
      for (const auto& [key, value] : pairs) replaced = replaced || key == existing->key(i);
      if (replaced) continue;
      keys.push_back(existing->key(i));
      values.push_back(existing->value(i));
    }
  }
  for (const auto& [key, value] : pairs) {
    keys.push_back(key);
    values.push_back(value);
  }
  return field.WithMetadata(arrow::key_value_metadata(std::move(keys), std::move(values)));
}

std::shared_ptr<arrow::Schema> Annotate(const arrow::Schema& schema, const Pairs& table_pairs) {
  arrow::FieldVector fields;
  for (const auto& field : schema.fields()) {
    Pairs pairs = table_pairs;
    const XdbcType* row = FindXdbcType(DuckDbTypeName(*field));
    if (row != nullptr) {
      pairs.emplace_back(kTypeName, row->type_name);
      const auto extension = ExtensionOf(field->type(), field->metadata().get());
      AddPrecisionAndScale(extension ? *extension->storage : *field->type(), *row, &pairs);
    }
    pairs.emplace_back(kIsAutoIncrement, "0");
    pairs.emplace_back(kIsCaseSensitive, row != nullptr && row->case_sensitive ? "1" : "0");
    pairs.emplace_back(kIsReadOnly, "0");
    pairs.emplace_back(kIsSearchable, "1");
    fields.push_back(WithPairs(*field, pairs));
  }
  return arrow::schema(std::move(fields), schema.metadata());
}

}  // namespace

std::string DuckDbTypeName(const arrow::Field& field) {
  return TypeName(field.type(), field.metadata().get());
}

std::shared_ptr<arrow::Schema> WithColumnMetadata(const arrow::Schema& schema) {
  return Annotate(schema, {});
}

std::shared_ptr<arrow::Schema> WithTableColumnMetadata(const arrow::Schema& schema,
                                                       const std::string& catalog,
                                                       const std::string& db_schema,
                                                       const std::string& table) {
  return Annotate(schema, {{kCatalogName, catalog},
                           {kDbSchemaName, db_schema},
                           {kSchemaName, db_schema},
                           {kTableName, table}});
}

}  // namespace quiver::flight_sql
