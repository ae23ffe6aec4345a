// Fuzz target: the bytes of a CMD descriptor as a Flight SQL command (google.protobuf.Any):
// ParseFlightSqlAny, MessageName and Unpack of every command the service handles, then the parts
// of each command that run without a call context: the SQL helpers on queries and the catalog
// commands against an in-memory DuckDB database. Catalog filters are client strings pasted into
// SQL as literals; a parser error there would mean they escaped their quotes.
#include <arrow/record_batch.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/sql_text.h"
#include "engine/database.h"
#include "flight_sql.pb.h"
#include "fuzz_util.h"
#include "server/flight_sql/envelope.h"
#include "server/flight_sql/metadata.h"
#include "server/flight_sql/sql_info.h"
#include "server/flight_sql/xdbc_type_info.h"
#include "server/protocol/descriptor.h"

namespace {

namespace fs = quiver::flight_sql;
namespace proto = arrow::flight::protocol::sql;
using google::protobuf::Any;

quiver::engine::Connection& CatalogConnection() {
  static std::shared_ptr<quiver::engine::Connection> connection = [] {
    auto database = quiver::engine::Database::Open(":memory:").ValueOrDie();
    auto connection = database->Connect().ValueOrDie();
    const char* setup =
        "CREATE SCHEMA s; "
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL); "
        "CREATE TABLE child (id INTEGER, parent_id INTEGER REFERENCES parent(id), "
        "  \"odd 'name\" DOUBLE, PRIMARY KEY (id)); "
        "CREATE TABLE s.other (k VARCHAR PRIMARY KEY); "
        "CREATE VIEW v AS SELECT * FROM parent;";
    if (auto done = connection->Execute(setup); !done.ok()) {
      quiver::fuzz::Fail("catalog setup", done.status().message());
    }
    return connection;
  }();
  return *connection;
}

bool HasNul(const std::string& text) { return text.find('\0') != std::string::npos; }

// A catalog command's answer: a valid batch (it is sent to the client as is), or an error that
// is not a syntax error. Strings with NUL bytes are cut there by DuckDB's C API, so a syntax
// error is expected for them.
void CheckCatalogResult(const arrow::Result<fs::Batch>& result, bool has_nul) {
  if (result.ok()) {
    QUIVER_FUZZ_CHECK((*result)->ValidateFull().ok(), (*result)->ToString());
    return;
  }
  const std::string& message = result.status().message();
  if (!has_nul) {
    QUIVER_FUZZ_CHECK(message.find("Parser Error") == std::string::npos &&
                          message.find("syntax error") == std::string::npos,
                      message);
  }
}

template <typename T>
bool Decode(const Any& any, T* out) {
  if (!any.Is<T>()) return false;
  auto message = fs::Unpack<T>(any);
  if (!message.ok()) return false;
  *out = std::move(*message);
  return true;
}

void CheckQuery(const std::string& query) {
  (void)quiver::sql::StripArrowFormat(query);
  (void)quiver::sql::ParseInsertFormat(query);
}

void Dispatch(const Any& any) {
  auto& connection = CatalogConnection();
  proto::CommandStatementQuery query;
  proto::CommandStatementUpdate update;
  proto::CommandStatementIngest ingest;
  proto::CommandPreparedStatementQuery prepared_query;
  proto::CommandPreparedStatementUpdate prepared_update;
  proto::CommandStatementSubstraitPlan substrait;
  proto::TicketStatementQuery ticket;
  proto::CommandGetSqlInfo sql_info;
  proto::CommandGetXdbcTypeInfo xdbc;
  proto::CommandGetCatalogs catalogs;
  proto::CommandGetDbSchemas schemas;
  proto::CommandGetTables tables;
  proto::CommandGetTableTypes table_types;
  proto::CommandGetPrimaryKeys primary_keys;
  proto::CommandGetExportedKeys exported;
  proto::CommandGetImportedKeys imported;
  proto::CommandGetCrossReference cross;

  if (Decode(any, &query)) {
    CheckQuery(query.query());
  } else if (Decode(any, &update)) {
    CheckQuery(update.query());
  } else if (Decode(any, &ingest)) {
    std::vector<std::string> path;
    if (ingest.has_catalog()) path.push_back(ingest.catalog());
    if (ingest.has_schema() || ingest.has_catalog()) path.push_back(ingest.schema());
    path.push_back(ingest.table());
    (void)quiver::sql::QuoteQualifiedName(path);
  } else if (Decode(any, &prepared_query) || Decode(any, &prepared_update) ||
             Decode(any, &substrait) || Decode(any, &ticket)) {
  } else if (Decode(any, &sql_info)) {
    quiver::flight_sql::SqlInfoContext context;
    context.server_version = "fuzz";
    context.keywords = {"SELECT"};
    std::vector<uint32_t> ids(sql_info.info().begin(), sql_info.info().end());
    auto batch = fs::SqlInfoBatch(ids, context);
    if (batch.ok()) QUIVER_FUZZ_CHECK((*batch)->ValidateFull().ok(), "SqlInfoBatch");
  } else if (Decode(any, &xdbc)) {
    auto batch = fs::XdbcTypeInfoBatch(xdbc.has_data_type() ? std::optional<int32_t>(xdbc.data_type())
                                                            : std::nullopt);
    if (batch.ok()) QUIVER_FUZZ_CHECK((*batch)->ValidateFull().ok(), "XdbcTypeInfoBatch");
  } else if (Decode(any, &catalogs)) {
    CheckCatalogResult(fs::GetCatalogs(connection), false);
  } else if (Decode(any, &schemas)) {
    CheckCatalogResult(fs::GetDbSchemas(connection, schemas),
                       HasNul(schemas.catalog()) || HasNul(schemas.db_schema_filter_pattern()));
  } else if (Decode(any, &tables)) {
    bool nul = HasNul(tables.catalog()) || HasNul(tables.db_schema_filter_pattern()) ||
               HasNul(tables.table_name_filter_pattern());
    for (const auto& type : tables.table_types()) nul = nul || HasNul(type);
    (void)fs::TablesSchema(tables.include_schema());
    CheckCatalogResult(fs::GetTables(connection, tables), nul);
  } else if (Decode(any, &table_types)) {
    CheckCatalogResult(fs::GetTableTypes(), false);
  } else if (Decode(any, &primary_keys)) {
    CheckCatalogResult(fs::GetPrimaryKeys(connection, primary_keys),
                       HasNul(primary_keys.catalog()) || HasNul(primary_keys.db_schema()) ||
                           HasNul(primary_keys.table()));
  } else if (Decode(any, &exported)) {
    CheckCatalogResult(fs::GetExportedKeys(connection, exported),
                       HasNul(exported.catalog()) || HasNul(exported.db_schema()) ||
                           HasNul(exported.table()));
  } else if (Decode(any, &imported)) {
    CheckCatalogResult(fs::GetImportedKeys(connection, imported),
                       HasNul(imported.catalog()) || HasNul(imported.db_schema()) ||
                           HasNul(imported.table()));
  } else if (Decode(any, &cross)) {
    CheckCatalogResult(fs::GetCrossReference(connection, cross),
                       HasNul(cross.pk_catalog()) || HasNul(cross.pk_db_schema()) ||
                           HasNul(cross.pk_table()) || HasNul(cross.fk_catalog()) ||
                           HasNul(cross.fk_db_schema()) || HasNul(cross.fk_table()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = quiver::fuzz::AsText(data, size);
  // FlightService's routing: a Flight SQL Any, or else raw SQL whose Any-ness is checked again.
  (void)quiver::protocol::AnyTypeUrl(bytes);
  auto any = fs::ParseFlightSqlAny(bytes);
  if (!any) return 0;
  QUIVER_FUZZ_CHECK(any->type_url().find(fs::kPackage) != std::string::npos, any->type_url());
  (void)fs::MessageName(*any);
  Dispatch(*any);
  return 0;
}
