#include "engine/database.h"

#include <arrow/c/bridge.h>
#include <arrow/flight/types.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <unordered_map>

#include "engine/arrow_flight_function.h"
#include "engine/handles.h"
#include "engine/query_stream.h"

namespace quiver::engine {
namespace {

bool Restricts(const SecurityPolicy& policy) {
  return !policy.allow_file_access || !policy.allow_attach || !policy.allow_extensions;
}

// Connections of databases that restrict something, with their policy. Prepare() looks them up
// from the raw DuckDB handle; `restricted_connections` spares the lookup when there are none.
std::mutex registry_mutex;
std::unordered_map<duckdb_connection, SecurityPolicy> registry;
std::atomic<int64_t> restricted_connections{0};

arrow::Status Refused(const std::string& message) {
  return arrow::flight::MakeFlightError(arrow::flight::FlightStatusCode::Unauthorized, message);
}

arrow::Status SetConfig(duckdb_config config, const char* name, const char* value) {
  if (duckdb_set_config(config, name, value) == DuckDBError) {
    return arrow::Status::Invalid("cannot set DuckDB option ", name, " = ", value);
  }
  return arrow::Status::OK();
}

// A DuckDB configuration that enforces `policy` for the database's lifetime: DuckDB refuses to
// turn external access back on, or to allow community extensions again, while it runs.
arrow::Status Configure(duckdb_config config, const SecurityPolicy& policy) {
  if (!policy.allow_file_access) {
    ARROW_RETURN_NOT_OK(SetConfig(config, "enable_external_access", "false"));
  }
  if (!policy.allow_extensions) {
    ARROW_RETURN_NOT_OK(SetConfig(config, "autoinstall_known_extensions", "false"));
    ARROW_RETURN_NOT_OK(SetConfig(config, "autoload_known_extensions", "false"));
    ARROW_RETURN_NOT_OK(SetConfig(config, "allow_community_extensions", "false"));
  }
  return arrow::Status::OK();
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Skips white space, quotes and comments (`--` to the end of the line, nested `/* */`) from `pos`.
size_t SkipToCode(std::string_view sql, size_t pos) {
  while (pos < sql.size()) {
    const char c = sql[pos];
    if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == '"') {
      ++pos;
    } else if (sql.substr(pos, 2) == "--") {
      const size_t end = sql.find('\n', pos);
      pos = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (sql.substr(pos, 2) == "/*") {
      int depth = 0;
      while (pos < sql.size()) {
        if (sql.substr(pos, 2) == "/*") {
          ++depth;
          pos += 2;
        } else if (sql.substr(pos, 2) == "*/") {
          pos += 2;
          if (--depth == 0) break;
        } else {
          ++pos;
        }
      }
    } else {
      break;
    }
  }
  return pos;
}

// A name DuckDB does not guard by itself, and the setting that must be true to use it.
struct DeniedName {
  std::string_view name;
  bool SecurityPolicy::*needs;
  const char* setting;
  // Only as a function call (the name followed by `(`): `query` is also a common column name.
  bool call_only;
  const char* what;
};

// Settings (named anywhere, so SET, RESET, PRAGMA and SET GLOBAL are all covered) and functions.
constexpr DeniedName kDeniedNames[] = {
    // DuckDB writes the profile to this file even with external access disabled.
    {"profiling_output", &SecurityPolicy::allow_file_access, "security.allow_file_access", false,
     "the setting"},
    {"profile_output", &SecurityPolicy::allow_file_access, "security.allow_file_access", false,
     "the setting"},
    {"http_logging_output", &SecurityPolicy::allow_file_access, "security.allow_file_access",
     false, "the setting"},
    {"logging_storage", &SecurityPolicy::allow_file_access, "security.allow_file_access", false,
     "the setting"},
    {"secret_directory", &SecurityPolicy::allow_file_access, "security.allow_file_access", false,
     "the setting"},
    {"extension_directory", &SecurityPolicy::allow_file_access, "security.allow_file_access",
     false, "the setting"},
    // enable_logging(storage := 'file', storage_path := ...) writes files, and with external
    // access disabled it leaves the database unable to run any query.
    {"enable_logging", &SecurityPolicy::allow_file_access, "security.allow_file_access", true,
     "the function"},
    // SQL built at run time escapes every check of the text.
    {"query", &SecurityPolicy::allow_file_access, "security.allow_file_access", true,
     "the function"},
    {"json_execute_serialized_sql", &SecurityPolicy::allow_file_access,
     "security.allow_file_access", false, "the function"},
    {"autoinstall_known_extensions", &SecurityPolicy::allow_extensions,
     "security.allow_extensions", false, "the setting"},
    {"autoload_known_extensions", &SecurityPolicy::allow_extensions, "security.allow_extensions",
     false, "the setting"},
    {"autoinstall_extension_repository", &SecurityPolicy::allow_extensions,
     "security.allow_extensions", false, "the setting"},
    {"custom_extension_repository", &SecurityPolicy::allow_extensions,
     "security.allow_extensions", false, "the setting"},
    {"extension_directory", &SecurityPolicy::allow_extensions, "security.allow_extensions", false,
     "the setting"},
};

}  // namespace

arrow::Status StatusFromErrorData(duckdb_error_data error) {
  if (error == nullptr) return arrow::Status::OK();
  arrow::Status status;
  if (duckdb_error_data_has_error(error)) {
    status = arrow::Status::ExecutionError(duckdb_error_data_message(error));
  }
  duckdb_destroy_error_data(&error);
  return status;
}

arrow::Status PrepareError(duckdb_connection connection, const char* message) {
  return AsRefusal(connection,
                   arrow::Status::ExecutionError(message ? message : "cannot prepare statement"));
}

arrow::Status AsRefusal(duckdb_connection connection, arrow::Status status) {
  const std::string& text = status.message();
  if (status.IsExecutionError() && text.rfind("Permission Error", 0) == 0) {
    const auto policy = Database::SecurityOf(connection);
    if (policy && !policy->allow_file_access) {
      // After the first line, before DuckDB's "LINE 1: ..." excerpt of the statement.
      const size_t line_end = std::min(text.find('\n'), text.size());
      return Refused(text.substr(0, line_end) + " (security.allow_file_access is false)" +
                     text.substr(line_end));
    }
    return Refused(text);
  }
  return status;
}

arrow::Status CheckPreparedStatement(duckdb_connection connection,
                                     duckdb_prepared_statement statement) {
  if (restricted_connections.load(std::memory_order_relaxed) == 0) return arrow::Status::OK();
  const auto policy = Database::SecurityOf(connection);
  if (!policy) return arrow::Status::OK();
  switch (duckdb_prepared_statement_type(statement)) {
    case DUCKDB_STATEMENT_TYPE_ATTACH:
    case DUCKDB_STATEMENT_TYPE_DETACH:
      if (!policy->allow_attach) {
        return Refused("ATTACH and DETACH are disabled by security.allow_attach");
      }
      break;
    case DUCKDB_STATEMENT_TYPE_LOAD:
      if (!policy->allow_extensions) {
        return Refused("INSTALL and LOAD are disabled by security.allow_extensions");
      }
      break;
    case DUCKDB_STATEMENT_TYPE_INVALID:
      // Kinds the C API does not name: UPDATE EXTENSIONS, COPY FROM DATABASE.
      if (!policy->allow_extensions || !policy->allow_attach) {
        return Refused(
            "This statement (UPDATE EXTENSIONS or COPY FROM DATABASE) is disabled by "
            "security.allow_extensions and security.allow_attach");
      }
      break;
    default:
      break;
  }
  return arrow::Status::OK();
}

arrow::Status CheckSqlText(const SecurityPolicy& policy, std::string_view sql) {
  if (!Restricts(policy)) return arrow::Status::OK();
  // Every run of identifier characters is a candidate, inside strings and comments too: a false
  // refusal is better than a lexer that DuckDB's disagrees with.
  size_t pos = 0;
  while (pos < sql.size()) {
    if (!IsWordChar(sql[pos])) {
      ++pos;
      continue;
    }
    const size_t start = pos;
    while (pos < sql.size() && IsWordChar(sql[pos])) ++pos;
    // The names are 5 to 32 characters long.
    if (pos - start < 5 || pos - start > 32) continue;
    std::string word(sql.substr(start, pos - start));
    std::transform(word.begin(), word.end(), word.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& denied : kDeniedNames) {
      if (word != denied.name || policy.*denied.needs) continue;
      if (denied.call_only) {
        const size_t next = SkipToCode(sql, pos);
        if (next >= sql.size() || sql[next] != '(') continue;
      }
      return Refused(std::string(denied.what) + " " + word + (denied.call_only ? "()" : "") +
                     " is disabled by " + denied.setting);
    }
  }
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<Database>> Database::Open(const std::string& path,
                                                        const DatabaseOptions& options) {
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) == DuckDBError) {
    return arrow::Status::IOError("cannot create a DuckDB configuration");
  }
  auto status = Configure(config, options.security);
  duckdb_database handle = nullptr;
  char* error = nullptr;
  if (status.ok() && duckdb_open_ext(path.c_str(), &handle, config, &error) == DuckDBError) {
    status =
        arrow::Status::IOError("cannot open DuckDB database '", path, "': ", error ? error : "");
    if (error) duckdb_free(error);
  }
  duckdb_destroy_config(&config);
  ARROW_RETURN_NOT_OK(status);
  auto database = std::shared_ptr<Database>(new Database(handle, path, options.security));
  if (duckdb_connect(database->handle_, &database->functions_) == DuckDBError) {
    return arrow::Status::IOError("cannot open a DuckDB connection");
  }
  ARROW_RETURN_NOT_OK(
      RegisterArrowFlightFunction(database->functions_, options.flight_connections));
  return database;
}

Database::Database(duckdb_database handle, std::string path, SecurityPolicy security)
    : handle_(handle), path_(std::move(path)), security_(security) {}

Database::~Database() {
  if (functions_ != nullptr) duckdb_disconnect(&functions_);
  duckdb_close(&handle_);
}

std::optional<SecurityPolicy> Database::SecurityOf(duckdb_connection connection) {
  if (restricted_connections.load(std::memory_order_relaxed) == 0) return std::nullopt;
  std::lock_guard lock(registry_mutex);
  auto it = registry.find(connection);
  if (it == registry.end()) return std::nullopt;
  return it->second;
}

arrow::Result<std::shared_ptr<Connection>> Database::Connect() {
  duckdb_connection connection = nullptr;
  if (duckdb_connect(handle_, &connection) == DuckDBError) {
    return arrow::Status::IOError("cannot open a DuckDB connection");
  }
  if (Restricts(security_)) {
    std::lock_guard lock(registry_mutex);
    registry[connection] = security_;
    restricted_connections.fetch_add(1, std::memory_order_relaxed);
  }
  return std::shared_ptr<Connection>(new Connection(shared_from_this(), connection));
}

arrow::Status Database::Checkpoint() {
  if (path_ == ":memory:") return arrow::Status::OK();
  ARROW_ASSIGN_OR_RAISE(auto connection, Connect());
  return connection->Execute("CHECKPOINT").status();
}

Connection::Connection(std::shared_ptr<Database> database, duckdb_connection handle)
    : database_(std::move(database)), handle_(handle) {}

Connection::~Connection() {
  if (Restricts(database_->security())) {
    std::lock_guard lock(registry_mutex);
    if (registry.erase(handle_) > 0) restricted_connections.fetch_sub(1, std::memory_order_relaxed);
  }
  duckdb_disconnect(&handle_);
}

void Connection::Interrupt() { duckdb_interrupt(handle_); }

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> Connection::Query(
    const std::string& sql, const StreamOptions& options) {
  auto stream = QueryStream::Start(shared_from_this(), sql, options);
  if (!stream.ok()) return AsRefusal(handle_, stream.status());
  return stream;
}

arrow::Result<int64_t> Connection::Execute(const std::string& sql) {
  auto rows = ExecuteUnchecked(sql);
  if (!rows.ok()) return AsRefusal(handle_, rows.status());
  return rows;
}

arrow::Result<int64_t> Connection::ExecuteUnchecked(const std::string& sql) {
  ARROW_ASSIGN_OR_RAISE(auto statements, SqlStatements::Parse(handle_, sql));
  int64_t rows_changed = 0;
  for (idx_t i = 0; i < statements.size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto statement, statements.Prepare(i));
    ARROW_ASSIGN_OR_RAISE(rows_changed, RunToCompletion(statement));
  }
  return rows_changed;
}

arrow::Result<std::shared_ptr<arrow::Schema>> Connection::Describe(const std::string& sql) {
  auto parsed = SqlStatements::Parse(handle_, sql);
  if (!parsed.ok()) return AsRefusal(handle_, parsed.status());
  auto statements = std::move(parsed).ValueUnsafe();
  ARROW_ASSIGN_OR_RAISE(auto statement, statements.Prepare(statements.size() - 1));
  return PreparedResultSchema(handle_, statement.get());
}

}  // namespace quiver::engine
