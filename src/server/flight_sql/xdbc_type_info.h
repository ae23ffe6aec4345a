// CommandGetXdbcTypeInfo: one row per DuckDB type that Quiver's column metadata can name, with
// JDBC/ODBC type codes (read by the Flight SQL ODBC driver's SQLGetTypeInfo).
#pragma once

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/type_fwd.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace quiver::flight_sql {

// One row of the table; unset optionals are NULL in the result.
struct XdbcType {
  std::string type_name;  // DuckDB's name, as ARROW:FLIGHT:SQL:TYPE_NAME carries it
  int32_t data_type = 0;  // JDBC/ODBC type code
  std::optional<int32_t> column_size;
  std::optional<std::string> literal_prefix, literal_suffix;
  std::vector<std::string> create_params;  // empty = NULL
  bool case_sensitive = false;
  int32_t searchable = 2;  // Searchable: 2 BASIC (no LIKE), 3 FULL
  bool numeric = false;    // unsigned_attribute / auto_increment / radix are non-NULL
  bool unsigned_attribute = false;
  std::optional<int32_t> minimum_scale, maximum_scale;
  int32_t sql_data_type = 0;  // data_type, or 9 (datetime) / 10 (interval) with a subcode
  std::optional<int32_t> datetime_subcode, num_prec_radix, interval_precision;
};

// All rows, ordered by (data_type, type_name).
const std::vector<XdbcType>& XdbcTypes();
// The row named `type_name`, or nullptr when there is none.
const XdbcType* FindXdbcType(std::string_view type_name);

// The 19-column schema of the Flight SQL reference servers (names, types, nullability).
std::shared_ptr<arrow::Schema> XdbcTypeInfoSchema();

// The rows whose data_type equals `data_type` (all rows when unset); an unknown code gives an
// empty batch with the full schema.
arrow::Result<std::shared_ptr<arrow::RecordBatch>> XdbcTypeInfoBatch(
    std::optional<int32_t> data_type);

}  // namespace quiver::flight_sql
