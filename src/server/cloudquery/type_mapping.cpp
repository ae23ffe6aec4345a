#include "server/cloudquery/type_mapping.h"

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/array/builder_time.h>
#include <arrow/compute/cast.h>
#include <arrow/extension_type.h>
#include <arrow/util/key_value_metadata.h>

#include "common/sql_text.h"

namespace quiver::cloudquery {
namespace {

using arrow::Type;

// What a CloudQuery extension stores, by name.
enum class Extension { kNone, kUuid, kJson, kText, kOther };

Extension ClassifyExtension(const arrow::Field& field) {
  const std::string name = ExtensionName(field);
  if (name.empty()) return Extension::kNone;
  if (name == "uuid" || name == "arrow.uuid") {
    if (field.type()->id() == Type::FIXED_SIZE_BINARY &&
        static_cast<const arrow::FixedSizeBinaryType&>(*field.type()).byte_width() == 16) {
      return Extension::kUuid;
    }
    return Extension::kOther;
  }
  if (name == "json" || name == "arrow.json") return Extension::kJson;
  // CloudQuery stores inet (`192.168.0.1/24`) and mac (`aa:bb:cc:dd:ee:ff`) as their text.
  if (name == "inet" || name == "mac") return Extension::kText;
  return Extension::kOther;
}

bool IsBinaryLike(const arrow::DataType& type) {
  return type.id() == Type::BINARY || type.id() == Type::STRING;
}
bool IsLargeBinaryLike(const arrow::DataType& type) {
  return type.id() == Type::LARGE_BINARY || type.id() == Type::LARGE_STRING;
}

std::shared_ptr<arrow::KeyValueMetadata> ExtensionMarker(const std::string& name) {
  return arrow::key_value_metadata({kExtensionName, kExtensionMetadata}, {name, ""});
}

// Same buffers, another type (the layouts are identical).
std::shared_ptr<arrow::ArrayData> Retype(const std::shared_ptr<arrow::ArrayData>& data,
                                         std::shared_ptr<arrow::DataType> type) {
  auto copy = data->Copy();
  copy->type = std::move(type);
  return copy;
}

arrow::Result<std::shared_ptr<arrow::ArrayData>> CastData(
    const std::shared_ptr<arrow::ArrayData>& data, const std::shared_ptr<arrow::DataType>& type) {
  ARROW_ASSIGN_OR_RAISE(auto cast, arrow::compute::Cast(*arrow::MakeArray(data), type));
  return cast->data();
}

arrow::Result<std::shared_ptr<arrow::DataType>> StorageType(const arrow::Field& field);

arrow::Result<std::shared_ptr<arrow::Field>> StorageFieldImpl(const arrow::Field& field) {
  ARROW_ASSIGN_OR_RAISE(auto type, StorageType(field));
  std::shared_ptr<arrow::KeyValueMetadata> metadata;
  switch (ClassifyExtension(field)) {
    case Extension::kUuid:
      metadata = ExtensionMarker("arrow.uuid");
      break;
    case Extension::kJson:
      metadata = ExtensionMarker("arrow.json");
      break;
    default:
      break;
  }
  return arrow::field(field.name(), std::move(type), field.nullable(), std::move(metadata));
}

arrow::Result<std::shared_ptr<arrow::DataType>> StorageType(const arrow::Field& field) {
  const auto& type = field.type();
  switch (ClassifyExtension(field)) {
    case Extension::kUuid:
      return type;
    case Extension::kJson:
    case Extension::kText:
      if (IsBinaryLike(*type)) return arrow::utf8();
      if (IsLargeBinaryLike(*type)) return arrow::large_utf8();
      return arrow::Status::NotImplemented("column '", field.name(), "': extension ",
                                           ExtensionName(field), " on ", type->ToString());
    default:
      break;
  }
  switch (type->id()) {
    case Type::HALF_FLOAT:
      return arrow::float32();  // DuckDB has no 16-bit float
    case Type::INTERVAL_DAY_TIME:
      return arrow::month_day_nano_interval();  // DuckDB 1.4 misreads Arrow day_time values
    case Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampType&>(*type);
      if (ts.unit() == arrow::TimeUnit::NANO && !ts.timezone().empty()) {
        return arrow::timestamp(arrow::TimeUnit::NANO);  // TIMESTAMP_NS, UTC implied
      }
      return type;
    }
    case Type::LIST: {
      ARROW_ASSIGN_OR_RAISE(auto child, StorageFieldImpl(*type->field(0)));
      return arrow::list(std::move(child));
    }
    case Type::LARGE_LIST: {
      ARROW_ASSIGN_OR_RAISE(auto child, StorageFieldImpl(*type->field(0)));
      return arrow::large_list(std::move(child));
    }
    case Type::FIXED_SIZE_LIST: {
      ARROW_ASSIGN_OR_RAISE(auto child, StorageFieldImpl(*type->field(0)));
      return arrow::fixed_size_list(
          std::move(child), static_cast<const arrow::FixedSizeListType&>(*type).list_size());
    }
    case Type::STRUCT: {
      arrow::FieldVector children;
      for (const auto& child : type->fields()) {
        ARROW_ASSIGN_OR_RAISE(auto storage, StorageFieldImpl(*child));
        children.push_back(std::move(storage));
      }
      return arrow::struct_(std::move(children));
    }
    case Type::MAP: {
      const auto& map = static_cast<const arrow::MapType&>(*type);
      ARROW_ASSIGN_OR_RAISE(auto key, StorageFieldImpl(*map.key_field()));
      ARROW_ASSIGN_OR_RAISE(auto item, StorageFieldImpl(*map.item_field()));
      return std::make_shared<arrow::MapType>(std::move(key), std::move(item), map.keys_sorted());
    }
    default:
      return type;
  }
}

arrow::Result<std::shared_ptr<arrow::ArrayData>> DayTimeToMonthDayNano(
    const std::shared_ptr<arrow::ArrayData>& data) {
  arrow::DayTimeIntervalArray source(data);
  arrow::MonthDayNanoIntervalBuilder builder;
  ARROW_RETURN_NOT_OK(builder.Reserve(source.length()));
  for (int64_t i = 0; i < source.length(); ++i) {
    if (source.IsNull(i)) {
      builder.UnsafeAppendNull();
    } else {
      const auto value = source.GetValue(i);
      builder.UnsafeAppend({0, value.days, static_cast<int64_t>(value.milliseconds) * 1'000'000});
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return array->data();
}

arrow::Result<std::shared_ptr<arrow::ArrayData>> ToStorageData(
    const std::shared_ptr<arrow::ArrayData>& data, const arrow::Field& field) {
  ARROW_ASSIGN_OR_RAISE(auto storage_type, StorageType(field));
  const auto& type = *field.type();
  switch (ClassifyExtension(field)) {
    case Extension::kUuid:
      return data;
    case Extension::kJson:
    case Extension::kText:
      return Retype(data, storage_type);
    default:
      break;
  }
  switch (type.id()) {
    case Type::HALF_FLOAT:
      return CastData(data, storage_type);
    case Type::INTERVAL_DAY_TIME:
      return DayTimeToMonthDayNano(data);
    case Type::TIMESTAMP:
      return Retype(data, storage_type);
    case Type::LIST:
    case Type::LARGE_LIST:
    case Type::FIXED_SIZE_LIST:
    case Type::MAP: {
      // Map values are a list of key/value structs: convert that struct like any child.
      const arrow::Field* child_field = type.field(0).get();
      std::shared_ptr<arrow::Field> entries;
      if (type.id() == Type::MAP) {
        const auto& map = static_cast<const arrow::MapType&>(type);
        entries =
            arrow::field("entries", arrow::struct_({map.key_field(), map.item_field()}), false);
        child_field = entries.get();
      }
      auto copy = Retype(data, storage_type);
      ARROW_ASSIGN_OR_RAISE(copy->child_data[0], ToStorageData(data->child_data[0], *child_field));
      if (type.id() == Type::MAP) copy->child_data[0]->type = storage_type->field(0)->type();
      return copy;
    }
    case Type::STRUCT: {
      auto copy = Retype(data, storage_type);
      for (int i = 0; i < type.num_fields(); ++i) {
        ARROW_ASSIGN_OR_RAISE(copy->child_data[i],
                              ToStorageData(data->child_data[i], *type.field(i)));
      }
      return copy;
    }
    default:
      return data;
  }
}

// DuckDB returns INTERVAL as month_day_nano; CloudQuery's durations and the two other interval
// types are rebuilt from it.
arrow::Result<std::shared_ptr<arrow::ArrayData>> FromMonthDayNano(
    const std::shared_ptr<arrow::ArrayData>& data, const std::shared_ptr<arrow::DataType>& target) {
  arrow::MonthDayNanoIntervalArray source(data);
  std::unique_ptr<arrow::ArrayBuilder> builder;
  ARROW_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), target, &builder));
  ARROW_RETURN_NOT_OK(builder->Reserve(source.length()));
  for (int64_t i = 0; i < source.length(); ++i) {
    if (source.IsNull(i)) {
      ARROW_RETURN_NOT_OK(builder->AppendNull());
      continue;
    }
    const auto value = source.Value(i);
    switch (target->id()) {
      case Type::DURATION: {
        if (value.months != 0) {
          return arrow::Status::Invalid("an interval with months is not a duration");
        }
        const int64_t nanos =
            static_cast<int64_t>(value.days) * 86'400'000'000'000LL + value.nanoseconds;
        int64_t per_unit = 1;
        switch (static_cast<const arrow::DurationType&>(*target).unit()) {
          case arrow::TimeUnit::SECOND:
            per_unit = 1'000'000'000;
            break;
          case arrow::TimeUnit::MILLI:
            per_unit = 1'000'000;
            break;
          case arrow::TimeUnit::MICRO:
            per_unit = 1'000;
            break;
          case arrow::TimeUnit::NANO:
            break;
        }
        ARROW_RETURN_NOT_OK(
            static_cast<arrow::DurationBuilder&>(*builder).Append(nanos / per_unit));
        break;
      }
      case Type::INTERVAL_MONTHS:
        ARROW_RETURN_NOT_OK(
            static_cast<arrow::MonthIntervalBuilder&>(*builder).Append(value.months));
        break;
      case Type::INTERVAL_DAY_TIME:
        ARROW_RETURN_NOT_OK(static_cast<arrow::DayTimeIntervalBuilder&>(*builder).Append(
            {value.days, static_cast<int32_t>(value.nanoseconds / 1'000'000)}));
        break;
      default:
        return arrow::Status::NotImplemented("interval to ", target->ToString());
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto array, builder->Finish());
  return array->data();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// DuckDB returns UUID as its text form; CloudQuery's uuid holds the 16 bytes.
arrow::Result<std::shared_ptr<arrow::ArrayData>> UuidFromText(
    const std::shared_ptr<arrow::ArrayData>& data, const std::shared_ptr<arrow::DataType>& target) {
  arrow::StringArray source(data);
  arrow::FixedSizeBinaryBuilder builder(target);
  ARROW_RETURN_NOT_OK(builder.Reserve(source.length()));
  for (int64_t i = 0; i < source.length(); ++i) {
    if (source.IsNull(i)) {
      ARROW_RETURN_NOT_OK(builder.AppendNull());
      continue;
    }
    auto text = source.GetView(i);
    uint8_t bytes[16];
    int count = 0;
    for (size_t j = 0; j < text.size() && count <= 32; ++j) {
      if (text[j] == '-') continue;
      const int value = HexValue(text[j]);
      if (value < 0 || count == 32) return arrow::Status::Invalid("not a UUID: ", text);
      if (count % 2 == 0) {
        bytes[count / 2] = static_cast<uint8_t>(value << 4);
      } else {
        bytes[count / 2] |= static_cast<uint8_t>(value);
      }
      ++count;
    }
    if (count != 32) return arrow::Status::Invalid("not a UUID: ", text);
    ARROW_RETURN_NOT_OK(builder.Append(bytes));
  }
  ARROW_ASSIGN_OR_RAISE(auto array, builder.Finish());
  return array->data();
}

arrow::Result<std::shared_ptr<arrow::ArrayData>> FromStorageData(
    std::shared_ptr<arrow::ArrayData> data, const arrow::Field& field) {
  // Extension arrays (DuckDB's arrow.uuid / arrow.json) are read through their storage.
  if (data->type->id() == Type::EXTENSION) {
    data = Retype(data, static_cast<const arrow::ExtensionType&>(*data->type).storage_type());
  }
  const auto& target = field.type();
  if (data->type->Equals(*target)) return data;
  switch (ClassifyExtension(field)) {
    case Extension::kUuid:
      if (data->type->id() == Type::STRING) return UuidFromText(data, target);
      break;
    case Extension::kJson:
    case Extension::kText:
      if ((IsBinaryLike(*data->type) && IsBinaryLike(*target)) ||
          (IsLargeBinaryLike(*data->type) && IsLargeBinaryLike(*target))) {
        return Retype(data, target);
      }
      break;
    default:
      break;
  }
  switch (target->id()) {
    case Type::TIMESTAMP:
      if (data->type->id() == Type::TIMESTAMP &&
          static_cast<const arrow::TimestampType&>(*data->type).unit() ==
              static_cast<const arrow::TimestampType&>(*target).unit()) {
        return Retype(data, target);  // only the time zone differs
      }
      return CastData(data, target);
    case Type::DURATION:
    case Type::INTERVAL_MONTHS:
    case Type::INTERVAL_DAY_TIME:
      if (data->type->id() == Type::INTERVAL_MONTH_DAY_NANO) return FromMonthDayNano(data, target);
      return CastData(data, target);
    case Type::FIXED_SIZE_BINARY: {
      // BLOB comes back as binary: check the widths and reuse the value bytes.
      const int32_t width = static_cast<const arrow::FixedSizeBinaryType&>(*target).byte_width();
      if (data->type->id() != Type::BINARY) return CastData(data, target);
      arrow::BinaryArray source(data);
      arrow::FixedSizeBinaryBuilder builder(target);
      ARROW_RETURN_NOT_OK(builder.Reserve(source.length()));
      for (int64_t i = 0; i < source.length(); ++i) {
        if (source.IsNull(i)) {
          ARROW_RETURN_NOT_OK(builder.AppendNull());
          continue;
        }
        auto value = source.GetView(i);
        if (static_cast<int32_t>(value.size()) != width) {
          return arrow::Status::Invalid("column '", field.name(), "': value of ", value.size(),
                                        " bytes in a fixed_size_binary(", width, ")");
        }
        ARROW_RETURN_NOT_OK(builder.Append(value));
      }
      ARROW_ASSIGN_OR_RAISE(auto array, builder.Finish());
      return array->data();
    }
    case Type::LIST:
    case Type::LARGE_LIST:
    case Type::FIXED_SIZE_LIST:
    case Type::MAP: {
      const bool is_list_like =
          data->type->id() == Type::LIST || data->type->id() == Type::LARGE_LIST ||
          data->type->id() == Type::FIXED_SIZE_LIST || data->type->id() == Type::MAP;
      if (!is_list_like) return CastData(data, target);
      std::shared_ptr<arrow::Field> child_field = target->field(0);
      if (target->id() == Type::MAP) {
        const auto& map = static_cast<const arrow::MapType&>(*target);
        child_field = arrow::field(map.value_field()->name(),
                                   arrow::struct_({map.key_field(), map.item_field()}), false);
      }
      auto copy = data->Copy();
      ARROW_ASSIGN_OR_RAISE(copy->child_data[0],
                            FromStorageData(data->child_data[0], *child_field));
      // Same list layout as DuckDB's: retype; otherwise (e.g. list -> large_list) cast.
      const bool same_layout = data->type->id() == target->id() ||
                               (data->type->id() == Type::MAP && target->id() == Type::LIST) ||
                               (data->type->id() == Type::LIST && target->id() == Type::MAP);
      if (same_layout) {
        copy->type = target;
        return copy;
      }
      std::shared_ptr<arrow::DataType> intermediate;
      switch (data->type->id()) {
        case Type::LARGE_LIST:
          intermediate = arrow::large_list(child_field);
          break;
        case Type::FIXED_SIZE_LIST:
          intermediate = arrow::fixed_size_list(
              child_field, static_cast<const arrow::FixedSizeListType&>(*data->type).list_size());
          break;
        default:
          intermediate = arrow::list(child_field);
      }
      copy->type = intermediate;
      return CastData(copy, target);
    }
    case Type::STRUCT: {
      if (data->type->id() != Type::STRUCT || data->type->num_fields() != target->num_fields()) {
        return arrow::Status::Invalid("column '", field.name(), "': stored as ",
                                      data->type->ToString(), ", expected ", target->ToString());
      }
      auto copy = Retype(data, target);
      for (int i = 0; i < target->num_fields(); ++i) {
        ARROW_ASSIGN_OR_RAISE(copy->child_data[i],
                              FromStorageData(data->child_data[i], *target->field(i)));
      }
      return copy;
    }
    default:
      return CastData(data, target);
  }
}

arrow::Result<std::string> DuckDbTypeImpl(const arrow::Field& field) {
  switch (ClassifyExtension(field)) {
    case Extension::kUuid:
      return "UUID";
    case Extension::kJson:
      return "JSON";
    case Extension::kText:
      return "VARCHAR";
    default:
      break;
  }
  const auto& type = *field.type();
  switch (type.id()) {
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
    case Type::HALF_FLOAT:
    case Type::FLOAT:
      return "FLOAT";
    case Type::DOUBLE:
      return "DOUBLE";
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
      const auto& ts = static_cast<const arrow::TimestampType&>(type);
      if (ts.unit() == arrow::TimeUnit::NANO) return "TIMESTAMP_NS";
      if (!ts.timezone().empty()) return "TIMESTAMPTZ";
      if (ts.unit() == arrow::TimeUnit::SECOND) return "TIMESTAMP_S";
      if (ts.unit() == arrow::TimeUnit::MILLI) return "TIMESTAMP_MS";
      return "TIMESTAMP";
    }
    case Type::DURATION:
    case Type::INTERVAL_MONTHS:
    case Type::INTERVAL_DAY_TIME:
    case Type::INTERVAL_MONTH_DAY_NANO:
      return "INTERVAL";
    case Type::DECIMAL128: {
      const auto& decimal = static_cast<const arrow::Decimal128Type&>(type);
      return "DECIMAL(" + std::to_string(decimal.precision()) + "," +
             std::to_string(decimal.scale()) + ")";
    }
    case Type::LIST:
    case Type::LARGE_LIST: {
      ARROW_ASSIGN_OR_RAISE(auto child, DuckDbTypeImpl(*type.field(0)));
      return child + "[]";
    }
    case Type::FIXED_SIZE_LIST: {
      ARROW_ASSIGN_OR_RAISE(auto child, DuckDbTypeImpl(*type.field(0)));
      return child + "[" +
             std::to_string(static_cast<const arrow::FixedSizeListType&>(type).list_size()) + "]";
    }
    case Type::STRUCT: {
      if (type.num_fields() == 0) break;
      std::string out = "STRUCT(";
      for (int i = 0; i < type.num_fields(); ++i) {
        ARROW_ASSIGN_OR_RAISE(auto child, DuckDbTypeImpl(*type.field(i)));
        out += (i ? ", " : "") + sql::QuoteIdentifier(type.field(i)->name()) + " " + child;
      }
      return out + ")";
    }
    case Type::MAP: {
      const auto& map = static_cast<const arrow::MapType&>(type);
      ARROW_ASSIGN_OR_RAISE(auto key, DuckDbTypeImpl(*map.key_field()));
      ARROW_ASSIGN_OR_RAISE(auto item, DuckDbTypeImpl(*map.item_field()));
      return "MAP(" + key + ", " + item + ")";
    }
    default:
      break;
  }
  return arrow::Status::NotImplemented("column '", field.name(), "': Arrow type ", type.ToString(),
                                       " cannot be stored");
}

}  // namespace

std::string ExtensionName(const arrow::Field& field) {
  if (field.type()->id() == Type::EXTENSION) {
    return static_cast<const arrow::ExtensionType&>(*field.type()).extension_name();
  }
  if (field.metadata() == nullptr) return "";
  auto name = field.metadata()->Get(kExtensionName);
  return name.ok() ? *name : "";
}

arrow::Result<std::string> DuckDbType(const arrow::Field& field) { return DuckDbTypeImpl(field); }

arrow::Result<std::shared_ptr<arrow::Field>> StorageField(const arrow::Field& field) {
  return StorageFieldImpl(field);
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> ToStorage(
    const std::shared_ptr<arrow::RecordBatch>& batch) {
  arrow::FieldVector fields;
  std::vector<std::shared_ptr<arrow::ArrayData>> columns;
  for (int i = 0; i < batch->num_columns(); ++i) {
    const auto& field = *batch->schema()->field(i);
    ARROW_ASSIGN_OR_RAISE(auto storage_field, StorageField(field));
    ARROW_ASSIGN_OR_RAISE(auto data, ToStorageData(batch->column_data(i), field));
    fields.push_back(std::move(storage_field));
    columns.push_back(std::move(data));
  }
  return arrow::RecordBatch::Make(arrow::schema(std::move(fields)), batch->num_rows(),
                                  std::move(columns));
}

arrow::Result<std::shared_ptr<arrow::Array>> FromStorage(const std::shared_ptr<arrow::Array>& array,
                                                         const arrow::Field& field) {
  auto converted = FromStorageData(array->data(), field);
  if (!converted.ok()) {
    return converted.status().WithMessage("column '", field.name(),
                                          "': ", converted.status().message());
  }
  return arrow::MakeArray(*converted);
}

}  // namespace quiver::cloudquery
