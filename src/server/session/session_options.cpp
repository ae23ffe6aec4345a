#include "server/session/session_options.h"

#include <arrow/array.h>
#include <arrow/scalar.h>
#include <arrow/table.h>

#include <cctype>
#include <sstream>

#include "common/sql_text.h"

namespace quiver::session {
namespace {

namespace flight = arrow::flight;
using ErrorValue = flight::SetSessionOptionErrorValue;

bool IsSettingName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  }
  return true;
}

// The SQL literal for a session option value.
std::string Literal(const flight::SessionOptionValue& value) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "DEFAULT"; }
    std::string operator()(const std::string& text) const { return sql::QuoteString(text); }
    std::string operator()(bool flag) const { return flag ? "true" : "false"; }
    std::string operator()(int64_t number) const { return std::to_string(number); }
    std::string operator()(double number) const {
      std::ostringstream out;
      out.precision(17);
      out << number;
      return out.str();
    }
    std::string operator()(const std::vector<std::string>& items) const {
      std::string out = "[";
      for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + sql::QuoteString(items[i]);
      return out + "]";
    }
  };
  return std::visit(Visitor{}, value);
}

ErrorValue Classify(const arrow::Status& status) {
  const std::string& message = status.message();
  if (message.find("unrecognized configuration parameter") != std::string::npos) {
    return ErrorValue::kInvalidName;
  }
  return ErrorValue::kInvalidValue;
}

arrow::Status Apply(engine::Connection& connection, const std::string& name,
                    const flight::SessionOptionValue& value) {
  const bool reset = std::holds_alternative<std::monostate>(value);
  if (name == "catalog" || name == "schema") {
    const auto* text = std::get_if<std::string>(&value);
    if (!text) return arrow::Status::Invalid("catalog and schema take a string");
    if (name == "catalog") return connection.Execute("USE " + sql::QuoteIdentifier(*text)).status();
    // A bare name after USE could mean a catalog: qualify the schema with the current one.
    ARROW_ASSIGN_OR_RAISE(auto reader,
                          connection.Query("SELECT current_database()", engine::StreamOptions{}));
    ARROW_ASSIGN_OR_RAISE(auto table, reader->ToTable());
    ARROW_ASSIGN_OR_RAISE(auto current, table->column(0)->GetScalar(0));
    return connection.Execute("USE " + sql::QuoteQualifiedName({current->ToString(), *text}))
        .status();
  }
  if (reset) return connection.Execute("RESET " + name).status();
  return connection.Execute("SET " + name + " = " + Literal(value)).status();
}

}  // namespace

arrow::Result<flight::SetSessionOptionsResult> SetSessionOptions(
    engine::Connection& connection, const flight::SetSessionOptionsRequest& request) {
  flight::SetSessionOptionsResult result;
  std::vector<std::string> order;
  for (const char* first : {"catalog", "schema"}) {
    if (request.session_options.count(first)) order.push_back(first);
  }
  for (const auto& [name, value] : request.session_options) {
    if (name != "catalog" && name != "schema") order.push_back(name);
  }
  for (const auto& name : order) {
    if (!IsSettingName(name)) {
      result.errors[name] = {ErrorValue::kInvalidName};
      continue;
    }
    auto status = Apply(connection, name, request.session_options.at(name));
    if (!status.ok()) result.errors[name] = {Classify(status)};
  }
  return result;
}

arrow::Result<flight::GetSessionOptionsResult> GetSessionOptions(engine::Connection& connection) {
  ARROW_ASSIGN_OR_RAISE(
      auto reader,
      connection.Query("SELECT name, coalesce(value, '') FROM duckdb_settings() UNION ALL "
                       "SELECT 'catalog', current_database() UNION ALL "
                       "SELECT 'schema', current_schema()",
                       engine::StreamOptions{}));
  ARROW_ASSIGN_OR_RAISE(auto table, reader->ToTable());
  ARROW_ASSIGN_OR_RAISE(table, table->CombineChunks());
  flight::GetSessionOptionsResult result;
  if (table->num_rows() == 0) return result;
  const auto& names = static_cast<const arrow::StringArray&>(*table->column(0)->chunk(0));
  const auto& values = static_cast<const arrow::StringArray&>(*table->column(1)->chunk(0));
  for (int64_t i = 0; i < table->num_rows(); ++i) {
    result.session_options[names.GetString(i)] = values.GetString(i);
  }
  return result;
}

}  // namespace quiver::session
