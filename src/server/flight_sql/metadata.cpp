#include "server/flight_sql/metadata.h"

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/ipc/writer.h>
#include <arrow/table.h>
#include <arrow/type.h>

#include "common/sql_text.h"
#include "server/flight_sql/column_metadata.h"

namespace quiver::flight_sql {
namespace {

using arrow::field;
using arrow::utf8;

// Flight SQL's UpdateDeleteRules: DuckDB refuses to delete or change a referenced key at once.
constexpr int kRuleRestrict = 1;

// " AND <column> LIKE '<pattern>' ESCAPE '\'" (the escape character SqlInfo reports).
std::string LikeFilter(const std::string& column, const std::string& pattern) {
  return " AND " + column + " LIKE " + sql::QuoteString(pattern) + " ESCAPE '\\'";
}
std::string EqualsFilter(const std::string& column, const std::string& value) {
  return " AND " + column + " = " + sql::QuoteString(value);
}

// Runs a catalog query and relabels its columns with the protocol schema (same types, in the
// same order; only names and nullability differ).
arrow::Result<Batch> QueryAs(engine::Connection& connection, const std::string& query,
                             const std::shared_ptr<arrow::Schema>& schema) {
  ARROW_ASSIGN_OR_RAISE(auto reader, connection.Query(query, engine::StreamOptions{}));
  ARROW_ASSIGN_OR_RAISE(auto table, reader->ToTable());
  ARROW_ASSIGN_OR_RAISE(auto batch, table->CombineChunksToBatch());
  if (batch->num_columns() != schema->num_fields()) {
    return arrow::Status::Invalid("catalog query returned ", batch->num_columns(),
                                  " columns, expected ", schema->num_fields());
  }
  for (int i = 0; i < schema->num_fields(); ++i) {
    if (!batch->column(i)->type()->Equals(*schema->field(i)->type())) {
      return arrow::Status::Invalid("catalog column ", schema->field(i)->name(), " has type ",
                                    batch->column(i)->type()->ToString());
    }
  }
  return arrow::RecordBatch::Make(schema, batch->num_rows(), batch->columns());
}

// The IPC-serialized schema of a table, with NOT NULL columns and Flight SQL column metadata.
arrow::Result<std::shared_ptr<arrow::Buffer>> SerializedTableSchema(
    engine::Connection& connection, const std::string& catalog, const std::string& db_schema,
    const std::string& table) {
  ARROW_ASSIGN_OR_RAISE(
      auto schema,
      connection.Describe("SELECT * FROM " + sql::QuoteQualifiedName({catalog, db_schema, table})));
  ARROW_ASSIGN_OR_RAISE(
      auto not_null,
      QueryAs(connection,
              "SELECT column_name FROM duckdb_columns() WHERE NOT is_nullable" +
                  EqualsFilter("database_name", catalog) + EqualsFilter("schema_name", db_schema) +
                  EqualsFilter("table_name", table),
              arrow::schema({field("column_name", utf8())})));
  const auto& names = static_cast<const arrow::StringArray&>(*not_null->column(0));
  arrow::FieldVector fields = schema->fields();
  for (auto& column : fields) {
    for (int64_t i = 0; i < names.length(); ++i) {
      if (names.GetView(i) == column->name()) column = column->WithNullable(false);
    }
  }
  return arrow::ipc::SerializeSchema(
      *WithTableColumnMetadata(arrow::Schema(fields), catalog, db_schema, table));
}

std::string ForeignKeysQuery(const std::string& filters, const std::string& order) {
  // referenced_table lives in the same catalog and schema as the referencing table in DuckDB.
  return "SELECT database_name, schema_name, referenced_table, "
         "unnest(referenced_column_names), database_name, schema_name, table_name, "
         "unnest(constraint_column_names), "
         "CAST(unnest(range(1, len(constraint_column_names) + 1)) AS INTEGER), "
         "constraint_name, CAST(NULL AS VARCHAR), CAST(" +
         std::to_string(kRuleRestrict) + " AS UTINYINT), CAST(" + std::to_string(kRuleRestrict) +
         " AS UTINYINT) FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY'" +
         filters + " ORDER BY " + order;
}

}  // namespace

std::shared_ptr<arrow::Schema> CatalogsSchema() {
  return arrow::schema({field("catalog_name", utf8(), false)});
}

std::shared_ptr<arrow::Schema> DbSchemasSchema() {
  return arrow::schema({field("catalog_name", utf8()), field("db_schema_name", utf8(), false)});
}

std::shared_ptr<arrow::Schema> TablesSchema(bool include_schema) {
  arrow::FieldVector fields = {field("catalog_name", utf8()), field("db_schema_name", utf8()),
                               field("table_name", utf8(), false),
                               field("table_type", utf8(), false)};
  if (include_schema) fields.push_back(field("table_schema", arrow::binary(), false));
  return arrow::schema(std::move(fields));
}

std::shared_ptr<arrow::Schema> TableTypesSchema() {
  return arrow::schema({field("table_type", utf8(), false)});
}

std::shared_ptr<arrow::Schema> PrimaryKeysSchema() {
  return arrow::schema({field("catalog_name", utf8()), field("db_schema_name", utf8()),
                        field("table_name", utf8(), false), field("column_name", utf8(), false),
                        field("key_sequence", arrow::int32(), false),
                        field("key_name", utf8())});
}

std::shared_ptr<arrow::Schema> ForeignKeysSchema() {
  return arrow::schema(
      {field("pk_catalog_name", utf8()), field("pk_db_schema_name", utf8()),
       field("pk_table_name", utf8(), false), field("pk_column_name", utf8(), false),
       field("fk_catalog_name", utf8()), field("fk_db_schema_name", utf8()),
       field("fk_table_name", utf8(), false), field("fk_column_name", utf8(), false),
       field("key_sequence", arrow::int32(), false), field("fk_key_name", utf8()),
       field("pk_key_name", utf8()), field("update_rule", arrow::uint8(), false),
       field("delete_rule", arrow::uint8(), false)});
}

arrow::Result<Batch> GetCatalogs(engine::Connection& connection) {
  return QueryAs(connection,
                 "SELECT database_name FROM duckdb_databases() WHERE NOT internal ORDER BY 1",
                 CatalogsSchema());
}

arrow::Result<Batch> GetDbSchemas(engine::Connection& connection,
                                  const proto::CommandGetDbSchemas& command) {
  std::string query =
      "SELECT database_name, schema_name FROM duckdb_schemas() "
      "WHERE database_name NOT IN ('system', 'temp')";
  if (command.has_catalog()) query += EqualsFilter("database_name", command.catalog());
  if (command.has_db_schema_filter_pattern()) {
    query += LikeFilter("schema_name", command.db_schema_filter_pattern());
  }
  return QueryAs(connection, query + " ORDER BY 1, 2", DbSchemasSchema());
}

arrow::Result<Batch> GetTables(engine::Connection& connection,
                               const proto::CommandGetTables& command) {
  std::string query =
      "SELECT * FROM (SELECT table_catalog, table_schema, table_name, CASE table_type WHEN 'BASE "
      "TABLE' THEN 'TABLE' ELSE table_type END AS table_type FROM information_schema.tables) "
      "WHERE true";
  if (command.has_catalog()) query += EqualsFilter("table_catalog", command.catalog());
  if (command.has_db_schema_filter_pattern()) {
    query += LikeFilter("table_schema", command.db_schema_filter_pattern());
  }
  if (command.has_table_name_filter_pattern()) {
    query += LikeFilter("table_name", command.table_name_filter_pattern());
  }
  if (command.table_types_size() > 0) {
    query += " AND table_type IN (";
    for (int i = 0; i < command.table_types_size(); ++i) {
      query += (i ? ", " : "") + sql::QuoteString(command.table_types(i));
    }
    query += ")";
  }
  ARROW_ASSIGN_OR_RAISE(auto tables,
                        QueryAs(connection, query + " ORDER BY 1, 2, 3, 4", TablesSchema(false)));
  if (!command.include_schema()) return tables;

  const auto& catalogs = static_cast<const arrow::StringArray&>(*tables->column(0));
  const auto& schemas = static_cast<const arrow::StringArray&>(*tables->column(1));
  const auto& names = static_cast<const arrow::StringArray&>(*tables->column(2));
  arrow::BinaryBuilder builder;
  for (int64_t i = 0; i < tables->num_rows(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto serialized,
                          SerializedTableSchema(connection, catalogs.GetString(i),
                                                schemas.GetString(i), names.GetString(i)));
    ARROW_RETURN_NOT_OK(builder.Append(serialized->data(), serialized->size()));
  }
  ARROW_ASSIGN_OR_RAISE(auto table_schemas, builder.Finish());
  auto columns = tables->columns();
  columns.push_back(std::move(table_schemas));
  return arrow::RecordBatch::Make(TablesSchema(true), tables->num_rows(), std::move(columns));
}

arrow::Result<Batch> GetTableTypes() {
  arrow::StringBuilder builder;
  ARROW_RETURN_NOT_OK(builder.AppendValues({"LOCAL TEMPORARY", "TABLE", "VIEW"}));
  ARROW_ASSIGN_OR_RAISE(auto types, builder.Finish());
  return arrow::RecordBatch::Make(TableTypesSchema(), types->length(), {types});
}

arrow::Result<Batch> GetPrimaryKeys(engine::Connection& connection,
                                    const proto::CommandGetPrimaryKeys& command) {
  std::string filters = EqualsFilter("table_name", command.table());
  if (command.has_catalog()) filters += EqualsFilter("database_name", command.catalog());
  if (command.has_db_schema()) filters += EqualsFilter("schema_name", command.db_schema());
  return QueryAs(connection,
                 "SELECT database_name, schema_name, table_name, unnest(constraint_column_names), "
                 "CAST(unnest(range(1, len(constraint_column_names) + 1)) AS INTEGER), "
                 "constraint_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'" +
                     filters + " ORDER BY 1, 2, 3, 5",
                 PrimaryKeysSchema());
}

arrow::Result<Batch> GetExportedKeys(engine::Connection& connection,
                                     const proto::CommandGetExportedKeys& command) {
  std::string filters = EqualsFilter("referenced_table", command.table());
  if (command.has_catalog()) filters += EqualsFilter("database_name", command.catalog());
  if (command.has_db_schema()) filters += EqualsFilter("schema_name", command.db_schema());
  return QueryAs(connection, ForeignKeysQuery(filters, "5, 6, 7, 9"), ForeignKeysSchema());
}

arrow::Result<Batch> GetImportedKeys(engine::Connection& connection,
                                     const proto::CommandGetImportedKeys& command) {
  std::string filters = EqualsFilter("table_name", command.table());
  if (command.has_catalog()) filters += EqualsFilter("database_name", command.catalog());
  if (command.has_db_schema()) filters += EqualsFilter("schema_name", command.db_schema());
  return QueryAs(connection, ForeignKeysQuery(filters, "1, 2, 3, 9"), ForeignKeysSchema());
}

arrow::Result<Batch> GetCrossReference(engine::Connection& connection,
                                       const proto::CommandGetCrossReference& command) {
  std::string filters = EqualsFilter("referenced_table", command.pk_table()) +
                        EqualsFilter("table_name", command.fk_table());
  // Both sides share the constraint's catalog and schema in DuckDB.
  if (command.has_fk_catalog()) filters += EqualsFilter("database_name", command.fk_catalog());
  if (command.has_fk_db_schema()) filters += EqualsFilter("schema_name", command.fk_db_schema());
  if (command.has_pk_catalog()) filters += EqualsFilter("database_name", command.pk_catalog());
  if (command.has_pk_db_schema()) filters += EqualsFilter("schema_name", command.pk_db_schema());
  return QueryAs(connection, ForeignKeysQuery(filters, "5, 6, 7, 9"), ForeignKeysSchema());
}

}  // namespace quiver::flight_sql
