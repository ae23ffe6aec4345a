// Flight SQL column metadata (ARROW:FLIGHT:SQL:*) for statement, prepared-statement and
// GetTables table_schema fields, derived from the Arrow types DuckDB produces.
#pragma once

#include <arrow/type_fwd.h>

#include <memory>
#include <string>

namespace quiver::flight_sql {

// The DuckDB type name a field of this Arrow type stands for ("INTEGER", "TIMESTAMP WITH TIME
// ZONE", "INTEGER[]", "STRUCT(a INTEGER)", ...), or "" when DuckDB has no such type.
std::string DuckDbTypeName(const arrow::Field& field);

// `schema` with TYPE_NAME (only for names that have a GetXdbcTypeInfo row), PRECISION and SCALE
// (where they apply), IS_CASE_SENSITIVE, IS_READ_ONLY, IS_AUTO_INCREMENT and IS_SEARCHABLE set
// on every top-level field. Other field metadata (e.g. extension keys) and the schema's own
// metadata are kept.
std::shared_ptr<arrow::Schema> WithColumnMetadata(const arrow::Schema& schema);

// The same, plus the columns' table: CATALOG_NAME, DB_SCHEMA_NAME and TABLE_NAME (for the
// table_schema of GetTables).
std::shared_ptr<arrow::Schema> WithTableColumnMetadata(const arrow::Schema& schema,
                                                       const std::string& catalog,
                                                       const std::string& db_schema,
                                                       const std::string& table);

}  // namespace quiver::flight_sql
