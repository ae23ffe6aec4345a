// Catalog lookups the server needs: which tables exist, their schemas and sizes.
#pragma once

#include <arrow/result.h>
#include <arrow/type_fwd.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/database.h"

namespace quiver::engine {

struct TableInfo {
  std::string schema_name;
  std::string table_name;
  std::shared_ptr<arrow::Schema> schema;
  int64_t row_count = 0;
};

// Tables of the connection's current catalog and schema whose name matches the SQL LIKE
// `pattern` (all tables when empty), ordered by name.
arrow::Result<std::vector<TableInfo>> ListTables(Connection& connection,
                                                 const std::string& pattern);

// Whether a table named by 1 to 3 parts (table / schema.table / catalog.schema.table, resolved
// like DuckDB resolves unqualified names) exists.
arrow::Result<bool> TableExists(Connection& connection, const std::vector<std::string>& parts);

}  // namespace quiver::engine
