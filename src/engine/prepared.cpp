#include "engine/prepared.h"

#include <arrow/array.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/decimal.h>
#include <arrow/util/float16.h>

#include "engine/arrow_view.h"
#include "engine/query_stream.h"

namespace quiver::engine {

// The DuckDB handle, shared with the streams that run it.
struct PreparedStatementHandle : PreparedStatement {
  explicit PreparedStatementHandle(PreparedStatement&& other)
      : PreparedStatement(std::move(other)) {}
};

namespace {

bool IsUpdateStatement(duckdb_statement_type type) {
  switch (type) {
    case DUCKDB_STATEMENT_TYPE_SELECT:
    case DUCKDB_STATEMENT_TYPE_EXPLAIN:
    case DUCKDB_STATEMENT_TYPE_PRAGMA:
    case DUCKDB_STATEMENT_TYPE_CALL:
    case DUCKDB_STATEMENT_TYPE_RELATION:
      return false;
    default:
      return true;
  }
}

int64_t ToMicros(int64_t value, arrow::TimeUnit::type unit) {
  switch (unit) {
    case arrow::TimeUnit::SECOND:
      return value * 1000000;
    case arrow::TimeUnit::MILLI:
      return value * 1000;
    case arrow::TimeUnit::MICRO:
      return value;
    case arrow::TimeUnit::NANO:
      return value / 1000;
  }
  return value;
}

// Binds one Arrow value to DuckDB parameter `index` (1-based), keeping its type where DuckDB has
// an equivalent; other types (nested, intervals ...) are bound as their text and cast by DuckDB.
arrow::Status BindValue(duckdb_prepared_statement statement, idx_t index, const arrow::Array& array,
                        int64_t row) {
  if (array.IsNull(row))
    return duckdb_bind_null(statement, index) == DuckDBSuccess
               ? arrow::Status::OK()
               : arrow::Status::Invalid("cannot bind NULL");
  duckdb_state state = DuckDBError;
  switch (array.type_id()) {
    case arrow::Type::BOOL:
      state = duckdb_bind_boolean(statement, index,
                                  static_cast<const arrow::BooleanArray&>(array).Value(row));
      break;
    case arrow::Type::INT8:
      state = duckdb_bind_int8(statement, index,
                               static_cast<const arrow::Int8Array&>(array).Value(row));
      break;
    case arrow::Type::INT16:
      state = duckdb_bind_int16(statement, index,
                                static_cast<const arrow::Int16Array&>(array).Value(row));
      break;
    case arrow::Type::INT32:
      state = duckdb_bind_int32(statement, index,
                                static_cast<const arrow::Int32Array&>(array).Value(row));
      break;
    case arrow::Type::INT64:
      state = duckdb_bind_int64(statement, index,
                                static_cast<const arrow::Int64Array&>(array).Value(row));
      break;
    case arrow::Type::UINT8:
      state = duckdb_bind_uint8(statement, index,
                                static_cast<const arrow::UInt8Array&>(array).Value(row));
      break;
    case arrow::Type::UINT16:
      state = duckdb_bind_uint16(statement, index,
                                 static_cast<const arrow::UInt16Array&>(array).Value(row));
      break;
    case arrow::Type::UINT32:
      state = duckdb_bind_uint32(statement, index,
                                 static_cast<const arrow::UInt32Array&>(array).Value(row));
      break;
    case arrow::Type::UINT64:
      state = duckdb_bind_uint64(statement, index,
                                 static_cast<const arrow::UInt64Array&>(array).Value(row));
      break;
    case arrow::Type::HALF_FLOAT:
      state = duckdb_bind_float(statement, index,
                                arrow::util::Float16::FromBits(
                                    static_cast<const arrow::HalfFloatArray&>(array).Value(row))
                                    .ToFloat());
      break;
    case arrow::Type::FLOAT:
      state = duckdb_bind_float(statement, index,
                                static_cast<const arrow::FloatArray&>(array).Value(row));
      break;
    case arrow::Type::DOUBLE:
      state = duckdb_bind_double(statement, index,
                                 static_cast<const arrow::DoubleArray&>(array).Value(row));
      break;
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::STRING_VIEW: {
      ARROW_ASSIGN_OR_RAISE(auto scalar, array.GetScalar(row));
      const auto& text = *static_cast<const arrow::BaseBinaryScalar&>(*scalar).value;
      state = duckdb_bind_varchar_length(statement, index,
                                         reinterpret_cast<const char*>(text.data()), text.size());
      break;
    }
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY:
    case arrow::Type::BINARY_VIEW:
    case arrow::Type::FIXED_SIZE_BINARY: {
      ARROW_ASSIGN_OR_RAISE(auto scalar, array.GetScalar(row));
      const auto& bytes = *static_cast<const arrow::BaseBinaryScalar&>(*scalar).value;
      state = duckdb_bind_blob(statement, index, bytes.data(), bytes.size());
      break;
    }
    case arrow::Type::DATE32:
      state = duckdb_bind_date(
          statement, index, duckdb_date{static_cast<const arrow::Date32Array&>(array).Value(row)});
      break;
    case arrow::Type::DATE64: {
      const int64_t millis = static_cast<const arrow::Date64Array&>(array).Value(row);
      state =
          duckdb_bind_date(statement, index, duckdb_date{static_cast<int32_t>(millis / 86400000)});
      break;
    }
    case arrow::Type::TIMESTAMP: {
      const auto& type = static_cast<const arrow::TimestampType&>(*array.type());
      const duckdb_timestamp value{
          ToMicros(static_cast<const arrow::TimestampArray&>(array).Value(row), type.unit())};
      state = type.timezone().empty() ? duckdb_bind_timestamp(statement, index, value)
                                      : duckdb_bind_timestamp_tz(statement, index, value);
      break;
    }
    case arrow::Type::TIME32: {
      const auto& type = static_cast<const arrow::Time32Type&>(*array.type());
      const int64_t value = static_cast<const arrow::Time32Array&>(array).Value(row);
      state = duckdb_bind_time(statement, index, duckdb_time{ToMicros(value, type.unit())});
      break;
    }
    case arrow::Type::TIME64: {
      const auto& type = static_cast<const arrow::Time64Type&>(*array.type());
      const int64_t value = static_cast<const arrow::Time64Array&>(array).Value(row);
      state = duckdb_bind_time(statement, index, duckdb_time{ToMicros(value, type.unit())});
      break;
    }
    case arrow::Type::DECIMAL128: {
      const auto& type = static_cast<const arrow::Decimal128Type&>(*array.type());
      if (type.precision() > 38) break;
      const arrow::Decimal128 value(
          static_cast<const arrow::Decimal128Array&>(array).GetValue(row));
      duckdb_decimal decimal{static_cast<uint8_t>(type.precision()),
                             static_cast<uint8_t>(type.scale()),
                             duckdb_hugeint{value.low_bits(), value.high_bits()}};
      state = duckdb_bind_decimal(statement, index, decimal);
      break;
    }
    default: {
      ARROW_ASSIGN_OR_RAISE(auto scalar, array.GetScalar(row));
      const std::string text = scalar->ToString();
      state = duckdb_bind_varchar_length(statement, index, text.data(), text.size());
      break;
    }
  }
  if (state == DuckDBError) {
    return arrow::Status::Invalid("Cannot bind parameter ", index, " of type ",
                                  array.type()->ToString());
  }
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<arrow::Schema>> ParameterSchema(duckdb_connection connection,
                                                              duckdb_prepared_statement statement,
                                                              idx_t count) {
  ArrowOptions arrow_options;
  duckdb_connection_get_arrow_options(connection, arrow_options.out());
  arrow::FieldVector fields;
  for (idx_t i = 1; i <= count; ++i) {
    const std::string name = "parameter_" + std::to_string(i);
    LogicalType type(duckdb_param_logical_type(statement, i));
    const duckdb_type id = type ? duckdb_get_type_id(type.get()) : DUCKDB_TYPE_INVALID;
    std::shared_ptr<arrow::DataType> arrow_type = arrow::null();
    if (id != DUCKDB_TYPE_INVALID && id != DUCKDB_TYPE_ANY && id != DUCKDB_TYPE_SQLNULL) {
      duckdb_logical_type raw = type.get();
      const char* raw_name = name.c_str();
      auto converted = ToArrowSchema(arrow_options.get(), &raw, &raw_name, 1);
      if (converted.ok()) arrow_type = (*converted)->field(0)->type();
    }
    fields.push_back(arrow::field(name, arrow_type, /*nullable=*/true));
  }
  return arrow::schema(std::move(fields));
}

}  // namespace

PreparedQuery::~PreparedQuery() = default;

arrow::Result<std::unique_ptr<PreparedQuery>> PreparedQuery::Prepare(
    std::shared_ptr<Connection> connection, const std::string& sql) {
  ARROW_ASSIGN_OR_RAISE(auto statements, SqlStatements::Parse(connection->handle(), sql));
  if (statements.size() != 1) {
    return arrow::Status::Invalid("A prepared statement must hold exactly one SQL statement (got ",
                                  statements.size(), ")");
  }
  ARROW_ASSIGN_OR_RAISE(auto prepared, statements.Prepare(0));
  auto query = std::unique_ptr<PreparedQuery>(new PreparedQuery());
  query->statement_ = std::make_shared<PreparedStatementHandle>(std::move(prepared));
  duckdb_prepared_statement handle = query->statement_->get();
  query->connection_ = std::move(connection);
  query->parameter_count_ = static_cast<int64_t>(duckdb_nparams(handle));
  query->is_update_ = IsUpdateStatement(duckdb_prepared_statement_type(handle));
  ARROW_ASSIGN_OR_RAISE(query->parameter_schema_,
                        ParameterSchema(query->connection_->handle(), handle,
                                        static_cast<idx_t>(query->parameter_count_)));
  if (query->is_update_) {
    query->result_schema_ = arrow::schema({});
  } else {
    // Unknown while it depends on parameter types (`SELECT ? * 2`): left null until then.
    auto schema = PreparedResultSchema(query->connection_->handle(), handle);
    if (schema.ok()) query->result_schema_ = *schema;
  }
  return query;
}

arrow::Status PreparedQuery::Bind(const arrow::RecordBatch& parameters, int64_t row) {
  if (parameters.num_columns() != parameter_count_) {
    return arrow::Status::Invalid("Prepared statement has ", parameter_count_, " parameter(s) but ",
                                  parameters.num_columns(), " value(s) were bound");
  }
  if (row < 0 || row >= parameters.num_rows()) {
    return arrow::Status::Invalid("No parameter row ", row);
  }
  // Parameters are client data: the row's values are validated before they are read.
  ARROW_RETURN_NOT_OK(ValidateReceivedBatch(*parameters.Slice(row, 1)));
  duckdb_prepared_statement handle = statement_->get();
  duckdb_clear_bindings(handle);
  for (int i = 0; i < parameters.num_columns(); ++i) {
    ARROW_RETURN_NOT_OK(BindValue(handle, static_cast<idx_t>(i + 1), *parameters.column(i), row));
  }
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> PreparedQuery::Query(
    const StreamOptions& options) {
  return QueryStream::Run(connection_, statement_, options);
}

arrow::Result<int64_t> PreparedQuery::Update() { return RunToCompletion(*statement_); }

}  // namespace quiver::engine
