#include "server/cloudquery/cq_schema.h"

#include <arrow/util/key_value_metadata.h>

#include <algorithm>
#include <set>

#include "common/sql_text.h"
#include "server/cloudquery/type_mapping.h"

namespace quiver::cloudquery {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

const ColumnDef* FindColumn(const TableDef& table, const std::string& name) {
  for (const auto& column : table.columns) {
    if (sql::EqualsIgnoreCase(column.name, name)) return &column;
  }
  return nullptr;
}

std::set<std::string> KeySet(const std::vector<std::string>& names) {
  std::set<std::string> keys;
  for (const auto& name : names) keys.insert(Lower(name));
  return keys;
}

}  // namespace

arrow::Result<std::string> TableName(const arrow::Schema& schema) {
  if (schema.metadata() != nullptr) {
    auto name = schema.metadata()->Get(kTableNameKey);
    if (name.ok() && !name->empty()) return *name;
  }
  return arrow::Status::Invalid("the Arrow schema has no '", kTableNameKey, "' metadata");
}

bool IsPrimaryKey(const arrow::Field& field) {
  if (field.metadata() == nullptr) return false;
  auto value = field.metadata()->Get(kPrimaryKeyKey);
  return value.ok() && *value == "true";
}

arrow::Result<TableDef> DesiredTable(const arrow::Schema& schema) {
  TableDef def;
  for (const auto& field : schema.fields()) {
    ARROW_ASSIGN_OR_RAISE(auto type, DuckDbType(*field));
    def.columns.push_back({field->name(), std::move(type), !field->nullable()});
    if (IsPrimaryKey(*field)) def.primary_key.push_back(field->name());
  }
  if (def.columns.empty()) return arrow::Status::Invalid("a table needs at least one column");
  return def;
}

std::string CreateTableSql(const std::string& table, const TableDef& def) {
  std::string sql = "CREATE TABLE " + sql::QuoteIdentifier(table) + " (";
  for (size_t i = 0; i < def.columns.size(); ++i) {
    const auto& column = def.columns[i];
    sql += (i ? ", " : "") + sql::QuoteIdentifier(column.name) + " " + column.type;
    if (column.not_null) sql += " NOT NULL";
  }
  if (!def.primary_key.empty()) {
    sql += ", PRIMARY KEY (";
    for (size_t i = 0; i < def.primary_key.size(); ++i) {
      sql += (i ? ", " : "") + sql::QuoteIdentifier(def.primary_key[i]);
    }
    sql += ")";
  }
  return sql + ")";
}

arrow::Result<MigrationPlan> PlanMigration(const std::string& table, const TableDef& existing,
                                           const TableDef& desired, bool force) {
  MigrationPlan plan;
  const std::string quoted = sql::QuoteIdentifier(table);
  std::vector<std::string> alters;
  for (const auto& column : desired.columns) {
    const ColumnDef* current = FindColumn(existing, column.name);
    if (current == nullptr) {
      // Existing rows have no value: a new column is nullable whatever the schema says.
      alters.push_back("ALTER TABLE " + quoted + " ADD COLUMN " +
                       sql::QuoteIdentifier(column.name) + " " + column.type);
      continue;
    }
    if (current->type != column.type) {
      plan.unsafe_changes.push_back("column '" + column.name + "' changes type from " +
                                    current->type + " to " + column.type);
    } else if (current->not_null && !column.not_null) {
      alters.push_back("ALTER TABLE " + quoted + " ALTER COLUMN " +
                       sql::QuoteIdentifier(current->name) + " DROP NOT NULL");
    }
  }
  const bool new_key = KeySet(existing.primary_key) != KeySet(desired.primary_key);
  for (const auto& column : existing.columns) {
    if (FindColumn(desired, column.name) != nullptr) continue;
    // A removed column stays (its data is kept) but must accept the rows that lack it.
    if (column.not_null && !KeySet(existing.primary_key).count(Lower(column.name))) {
      alters.push_back("ALTER TABLE " + quoted + " ALTER COLUMN " +
                       sql::QuoteIdentifier(column.name) + " DROP NOT NULL");
    }
  }

  if (!plan.unsafe_changes.empty()) {
    if (!force) {
      std::string changes;
      for (const auto& change : plan.unsafe_changes)
        changes += (changes.empty() ? "" : "; ") + change;
      return arrow::Status::Invalid("MigrateTable ", table, ": ", changes,
                                    ". Use migrate_mode: forced to drop and recreate the table");
    }
    plan.kind = MigrationPlan::Kind::kRecreate;
    plan.rebuilt = desired;
    return plan;
  }
  if (new_key) {
    // The desired columns (a new one nullable unless it joins the key), then the old columns
    // the schema dropped, kept nullable as an ALTER would keep them.
    plan.kind = MigrationPlan::Kind::kRebuild;
    const auto key = KeySet(desired.primary_key);
    for (auto column : desired.columns) {
      const ColumnDef* current = FindColumn(existing, column.name);
      if (current == nullptr && !key.count(Lower(column.name))) column.not_null = false;
      if (current != nullptr && !current->not_null && !key.count(Lower(column.name))) {
        column.not_null = false;
      }
      plan.rebuilt.columns.push_back(column);
    }
    for (const auto& column : existing.columns) {
      if (FindColumn(desired, column.name) == nullptr) {
        plan.rebuilt.columns.push_back({column.name, column.type, false});
      }
    }
    plan.rebuilt.primary_key = desired.primary_key;
    return plan;
  }
  if (!alters.empty()) {
    plan.kind = MigrationPlan::Kind::kAlter;
    plan.statements = std::move(alters);
  }
  return plan;
}

}  // namespace quiver::cloudquery
