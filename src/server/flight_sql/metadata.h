// Flight SQL catalog commands answered from DuckDB's catalog, with the exact result schemas of
// the Flight SQL specification (ADBC rejects anything else).
#pragma once

#include <memory>

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "engine/database.h"
#include "flight_sql.pb.h"

namespace quiver::flight_sql {

namespace proto = arrow::flight::protocol::sql;

std::shared_ptr<arrow::Schema> CatalogsSchema();
std::shared_ptr<arrow::Schema> DbSchemasSchema();
std::shared_ptr<arrow::Schema> TablesSchema(bool include_schema);
std::shared_ptr<arrow::Schema> TableTypesSchema();
std::shared_ptr<arrow::Schema> PrimaryKeysSchema();
// Shared by GetExportedKeys, GetImportedKeys and GetCrossReference.
std::shared_ptr<arrow::Schema> ForeignKeysSchema();

using Batch = std::shared_ptr<arrow::RecordBatch>;
arrow::Result<Batch> GetCatalogs(engine::Connection& connection);
arrow::Result<Batch> GetDbSchemas(engine::Connection& connection,
                                  const proto::CommandGetDbSchemas& command);
arrow::Result<Batch> GetTables(engine::Connection& connection,
                               const proto::CommandGetTables& command);
arrow::Result<Batch> GetTableTypes();
arrow::Result<Batch> GetPrimaryKeys(engine::Connection& connection,
                                    const proto::CommandGetPrimaryKeys& command);
arrow::Result<Batch> GetExportedKeys(engine::Connection& connection,
                                     const proto::CommandGetExportedKeys& command);
arrow::Result<Batch> GetImportedKeys(engine::Connection& connection,
                                     const proto::CommandGetImportedKeys& command);
arrow::Result<Batch> GetCrossReference(engine::Connection& connection,
                                       const proto::CommandGetCrossReference& command);

}  // namespace quiver::flight_sql
