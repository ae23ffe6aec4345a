#include "engine/catalog.h"

#include <arrow/array.h>
#include <arrow/scalar.h>
#include <arrow/table.h>

#include "common/sql_text.h"

namespace quiver::engine {
namespace {

arrow::Result<std::shared_ptr<arrow::Table>> QueryTable(Connection& connection,
                                                        const std::string& sql) {
  ARROW_ASSIGN_OR_RAISE(auto reader, connection.Query(sql, StreamOptions{}));
  return reader->ToTable();
}

}  // namespace

arrow::Result<std::vector<TableInfo>> ListTables(Connection& connection,
                                                 const std::string& pattern) {
  std::string sql =
      "SELECT schema_name, table_name FROM duckdb_tables() "
      "WHERE database_name = current_database() AND schema_name = current_schema()";
  if (!pattern.empty()) sql += " AND table_name LIKE " + sql::QuoteString(pattern);
  sql += " ORDER BY table_name";
  ARROW_ASSIGN_OR_RAISE(auto names, QueryTable(connection, sql));
  ARROW_ASSIGN_OR_RAISE(names, names->CombineChunks());

  std::vector<TableInfo> tables;
  if (names->num_rows() == 0) return tables;
  auto schemas = std::static_pointer_cast<arrow::StringArray>(names->column(0)->chunk(0));
  auto tables_column = std::static_pointer_cast<arrow::StringArray>(names->column(1)->chunk(0));
  for (int64_t i = 0; i < names->num_rows(); ++i) {
    TableInfo info;
    info.schema_name = schemas->GetString(i);
    info.table_name = tables_column->GetString(i);
    const std::string qualified = sql::QuoteQualifiedName({info.schema_name, info.table_name});
    ARROW_ASSIGN_OR_RAISE(info.schema, connection.Describe("SELECT * FROM " + qualified));
    ARROW_ASSIGN_OR_RAISE(auto count, QueryTable(connection, "SELECT count(*) FROM " + qualified));
    ARROW_ASSIGN_OR_RAISE(auto scalar, count->column(0)->GetScalar(0));
    info.row_count = std::static_pointer_cast<arrow::Int64Scalar>(scalar)->value;
    tables.push_back(std::move(info));
  }
  return tables;
}

arrow::Result<bool> TableExists(Connection& connection, const std::vector<std::string>& parts) {
  if (parts.empty() || parts.size() > 3) {
    return arrow::Status::Invalid("a table name has 1 to 3 parts");
  }
  const size_t n = parts.size();
  const std::string table = sql::QuoteString(parts[n - 1]);
  const std::string schema = n >= 2 ? sql::QuoteString(parts[n - 2]) : "current_schema()";
  const std::string catalog = n == 3 ? sql::QuoteString(parts[0]) : "current_database()";
  const std::string sql = "SELECT count(*) FROM duckdb_tables() WHERE lower(table_name) = lower(" +
                          table + ") AND lower(schema_name) = lower(" + schema +
                          ") AND lower(database_name) = lower(" + catalog + ")";
  ARROW_ASSIGN_OR_RAISE(auto result, QueryTable(connection, sql));
  ARROW_ASSIGN_OR_RAISE(auto scalar, result->column(0)->GetScalar(0));
  return std::static_pointer_cast<arrow::Int64Scalar>(scalar)->value > 0;
}

}  // namespace quiver::engine
