#include "engine/ingest.h"

#include <arrow/c/bridge.h>
#include <arrow/type.h>

#include <algorithm>
#include <atomic>
#include <cctype>

#include "common/sql_text.h"
#include "engine/catalog.h"

namespace quiver::engine {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

// DuckDB reads the stream through a temporary view; the view and the exported stream are
// released when this goes out of scope, whatever happened.
class StreamView {
 public:
  StreamView(Connection& connection, std::string name)
      : connection_(connection), name_(std::move(name)) {}
  ~StreamView() {
    if (registered_) (void)connection_.Execute("DROP VIEW IF EXISTS " + name_);
    if (stream_.release != nullptr) stream_.release(&stream_);
  }

  arrow::Status Register(std::shared_ptr<arrow::RecordBatchReader> reader) {
    ARROW_RETURN_NOT_OK(arrow::ExportRecordBatchReader(std::move(reader), &stream_));
    if (duckdb_arrow_scan(connection_.handle(), name_.c_str(),
                          reinterpret_cast<duckdb_arrow_stream>(&stream_)) == DuckDBError) {
      return arrow::Status::ExecutionError("cannot read the Arrow stream");
    }
    registered_ = true;
    return arrow::Status::OK();
  }
  const std::string& name() const { return name_; }

 private:
  Connection& connection_;
  std::string name_;
  struct ArrowArrayStream stream_ {};
  bool registered_ = false;
};

// The (table column, stream field) pairs to insert, matched case-insensitively like DuckDB.
arrow::Result<std::vector<std::pair<std::string, std::string>>> MatchColumns(
    const arrow::Schema& table, const arrow::Schema& stream, const IngestTarget& target) {
  auto find = [](const arrow::Schema& schema, const std::string& name) -> const arrow::Field* {
    for (const auto& field : schema.fields()) {
      if (Lower(field->name()) == Lower(name)) return field.get();
    }
    return nullptr;
  };
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!target.columns.empty()) {
    for (const auto& column : target.columns) {
      const arrow::Field* table_field = find(table, column);
      if (!table_field) {
        return arrow::Status::Invalid("Table ", sql::QuoteQualifiedName(target.table_path),
                                      " has no column '", column, "'");
      }
      const arrow::Field* stream_field = find(stream, column);
      if (!stream_field) {
        return arrow::Status::Invalid("Column '", column, "' is missing from the Arrow stream");
      }
      pairs.emplace_back(table_field->name(), stream_field->name());
    }
    return pairs;
  }
  for (const auto& table_field : table.fields()) {
    if (const arrow::Field* stream_field = find(stream, table_field->name())) {
      pairs.emplace_back(table_field->name(), stream_field->name());
    }
  }
  if (pairs.empty()) {
    return arrow::Status::Invalid("The Arrow stream's columns (", JoinNames(stream.field_names()),
                                  ") match none of the columns of table ",
                                  sql::QuoteQualifiedName(target.table_path), " (",
                                  JoinNames(table.field_names()), ")");
  }
  return pairs;
}

}  // namespace

arrow::Result<int64_t> Ingest(Connection& connection, const IngestTarget& target,
                              std::shared_ptr<arrow::RecordBatchReader> reader) {
  static std::atomic<uint64_t> counter{0};
  const std::string table = sql::QuoteQualifiedName(target.table_path);
  ARROW_ASSIGN_OR_RAISE(bool exists, TableExists(connection, target.table_path));
  if (!exists && !target.create_if_missing) {
    return arrow::Status::ExecutionError("Table ", table, " does not exist");
  }
  auto stream_schema = reader->schema();
  StreamView view(connection, "__quiver_ingest_" + std::to_string(++counter));
  ARROW_RETURN_NOT_OK(view.Register(std::move(reader)));

  if (!exists) {
    return connection.Execute("CREATE TABLE " + table + " AS SELECT * FROM " + view.name());
  }
  ARROW_ASSIGN_OR_RAISE(auto table_schema, connection.Describe("SELECT * FROM " + table));
  ARROW_ASSIGN_OR_RAISE(auto pairs, MatchColumns(*table_schema, *stream_schema, target));
  std::string insert_columns;
  std::string select_columns;
  for (size_t i = 0; i < pairs.size(); ++i) {
    insert_columns += (i ? ", " : "") + sql::QuoteIdentifier(pairs[i].first);
    select_columns += (i ? ", " : "") + sql::QuoteIdentifier(pairs[i].second);
  }
  return connection.Execute("INSERT INTO " + table + " (" + insert_columns + ") SELECT " +
                            select_columns + " FROM " + view.name());
}

}  // namespace quiver::engine
