// CloudQuery's conventions inside an Arrow schema (table name, primary keys) and the DuckDB DDL
// and migration plans derived from them. Pure functions: no database access.
#pragma once

#include <arrow/result.h>
#include <arrow/type.h>

#include <string>
#include <vector>

namespace quiver::cloudquery {

inline constexpr const char* kTableNameKey = "cq:table_name";
inline constexpr const char* kPrimaryKeyKey = "cq:extension:primary_key";
inline constexpr const char* kSyncTimeColumn = "_cq_sync_time";
inline constexpr const char* kSourceNameColumn = "_cq_source_name";
inline constexpr const char* kIdColumn = "_cq_id";
inline constexpr const char* kParentIdColumn = "_cq_parent_id";

arrow::Result<std::string> TableName(const arrow::Schema& schema);
bool IsPrimaryKey(const arrow::Field& field);

struct ColumnDef {
  std::string name;
  std::string type;  // DuckDB type text; canonical (DuckDB's own spelling) when compared
  bool not_null = false;
};

struct TableDef {
  std::vector<ColumnDef> columns;
  std::vector<std::string> primary_key;
};

// The table a CloudQuery schema asks for (types from DuckDbType).
arrow::Result<TableDef> DesiredTable(const arrow::Schema& schema);

std::string CreateTableSql(const std::string& table, const TableDef& def);

struct MigrationPlan {
  enum class Kind {
    kNone,      // the table already matches
    kAlter,     // `statements` (ADD COLUMN, DROP NOT NULL) keep the data
    kRebuild,   // new primary key: copy the data into a table created as `rebuilt`
    kRecreate,  // drop and create as `rebuilt` (forced; the data is lost)
  };
  Kind kind = Kind::kNone;
  std::vector<std::string> statements;
  TableDef rebuilt;
  // Changes that lose data or may not fit it (type changes), reported when not forced.
  std::vector<std::string> unsafe_changes;
};

// Plans the migration of `table` from `existing` (DuckDB's canonical types) to `desired`
// (canonical types too). Safe changes: new columns (added as nullable), removed columns (kept,
// made nullable), NOT NULL dropped, a new primary key (rebuild). A changed column type needs
// `force` (drop and recreate); otherwise it is an Invalid error naming the columns.
// Column names match case-insensitively, as DuckDB identifiers do.
arrow::Result<MigrationPlan> PlanMigration(const std::string& table, const TableDef& existing,
                                           const TableDef& desired, bool force);

}  // namespace quiver::cloudquery
