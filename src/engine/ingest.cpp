#include "engine/ingest.h"

#include <arrow/c/bridge.h>
#include <arrow/scalar.h>
#include <arrow/table.h>
#include <arrow/type.h>

#include <algorithm>
#include <atomic>
#include <cctype>

#include "common/sql_text.h"
#include "engine/arrow_view.h"
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

// Remembers the first error of a stream. DuckDB reports it reworded inside its own error;
// the statement's caller gets it as it was (a stream over max_put_bytes stays Invalid).
class ErrorKeepingReader : public arrow::RecordBatchReader {
 public:
  explicit ErrorKeepingReader(std::shared_ptr<arrow::RecordBatchReader> source)
      : source_(std::move(source)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return source_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    auto status = source_->ReadNext(batch);
    if (!status.ok() && error_.ok()) error_ = status;
    return status;
  }
  const arrow::Status& error() const { return error_; }

 private:
  std::shared_ptr<arrow::RecordBatchReader> source_;
  arrow::Status error_;
};

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
    // The batches come from clients: DuckDB must only ever see fully validated ones.
    reader_ = std::make_shared<ErrorKeepingReader>(ValidatingReader(std::move(reader)));
    ARROW_RETURN_NOT_OK(ExportForDuckDb(reader_, &stream_));
    if (duckdb_arrow_scan(connection_.handle(), name_.c_str(),
                          reinterpret_cast<duckdb_arrow_stream>(&stream_)) == DuckDBError) {
      return arrow::Status::ExecutionError("cannot read the Arrow stream");
    }
    registered_ = true;
    return arrow::Status::OK();
  }
  const std::string& name() const { return name_; }
  // The statement's result, or the stream's own error when the statement failed because of it.
  arrow::Result<int64_t> Outcome(arrow::Result<int64_t> statement) const {
    if (!statement.ok() && reader_ && !reader_->error().ok()) return reader_->error();
    return statement;
  }

 private:
  Connection& connection_;
  std::string name_;
  std::shared_ptr<ErrorKeepingReader> reader_;
  struct ArrowArrayStream stream_ {};
  bool registered_ = false;
};

// The (table column name, stream field index) pairs to insert, matched by name
// case-insensitively as DuckDB matches identifiers.
arrow::Result<std::vector<std::pair<std::string, int>>> MatchColumns(const arrow::Schema& table,
                                                                     const arrow::Schema& stream,
                                                                     const IngestTarget& target) {
  auto find = [](const arrow::Schema& schema, const std::string& name) -> int {
    for (int i = 0; i < schema.num_fields(); ++i) {
      if (Lower(schema.field(i)->name()) == Lower(name)) return i;
    }
    return -1;
  };
  std::vector<std::pair<std::string, int>> pairs;
  if (!target.columns.empty()) {
    for (const auto& column : target.columns) {
      const int table_index = find(table, column);
      if (table_index < 0) {
        return arrow::Status::Invalid("Table ", sql::QuoteQualifiedName(target.table_path),
                                      " has no column '", column, "'");
      }
      const int stream_index = find(stream, column);
      if (stream_index < 0) {
        return arrow::Status::Invalid("Column '", column, "' is missing from the Arrow stream");
      }
      pairs.emplace_back(table.field(table_index)->name(), stream_index);
    }
    return pairs;
  }
  for (const auto& table_field : table.fields()) {
    const int stream_index = find(stream, table_field->name());
    if (stream_index >= 0) pairs.emplace_back(table_field->name(), stream_index);
  }
  if (pairs.empty()) {
    return arrow::Status::Invalid("The Arrow stream's columns (", JoinNames(stream.field_names()),
                                  ") match none of the columns of table ",
                                  sql::QuoteQualifiedName(target.table_path), " (",
                                  JoinNames(table.field_names()), ")");
  }
  return pairs;
}

// Passes on only the chosen columns of another reader, in the chosen order.
// DuckDB's C API Arrow scan ignores projection pushdown, so the view it reads must contain
// exactly the columns the statement uses.
class ProjectingReader : public arrow::RecordBatchReader {
 public:
  ProjectingReader(std::shared_ptr<arrow::RecordBatchReader> source, std::vector<int> indices)
      : source_(std::move(source)), indices_(std::move(indices)) {
    arrow::FieldVector fields;
    for (int index : indices_) fields.push_back(source_->schema()->field(index));
    schema_ = arrow::schema(std::move(fields));
  }
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    ARROW_RETURN_NOT_OK(source_->ReadNext(batch));
    if (*batch == nullptr) return arrow::Status::OK();
    return (*batch)->SelectColumns(indices_).Value(batch);
  }

 private:
  std::shared_ptr<arrow::RecordBatchReader> source_;
  std::vector<int> indices_;
  std::shared_ptr<arrow::Schema> schema_;
};

// Runs CREATE TABLE ... AS and returns the rows it wrote, which DuckDB reports as a result row
// ("Count") rather than as rows changed.
arrow::Result<int64_t> CreateTableAs(Connection& connection, const std::string& statement) {
  ARROW_ASSIGN_OR_RAISE(auto created, connection.Query(statement, StreamOptions{}));
  ARROW_ASSIGN_OR_RAISE(auto count, created->ToTable());
  if (count->num_columns() != 1 || count->num_rows() != 1) return 0;
  ARROW_ASSIGN_OR_RAISE(auto rows, count->column(0)->GetScalar(0));
  ARROW_ASSIGN_OR_RAISE(rows, rows->CastTo(arrow::int64()));
  return rows->is_valid ? std::static_pointer_cast<arrow::Int64Scalar>(rows)->value : 0;
}

}  // namespace

arrow::Result<int64_t> Ingest(Connection& connection, const IngestTarget& target,
                              std::shared_ptr<arrow::RecordBatchReader> reader) {
  static std::atomic<uint64_t> counter{0};
  const std::string table = sql::QuoteQualifiedName(target.table_path);
  // Temporary tables live in DuckDB's `temp` catalog.
  const std::vector<std::string> lookup =
      target.temporary ? std::vector<std::string>{"temp", "main", target.table_path.back()}
                       : target.table_path;
  ARROW_ASSIGN_OR_RAISE(bool exists, TableExists(connection, lookup));
  if (!exists && !target.create_if_missing) {
    return arrow::Status::ExecutionError("Table ", table, " does not exist");
  }
  if (exists && target.if_exists == IngestTarget::IfExists::kFail) {
    return arrow::Status::AlreadyExists("Table ", table, " already exists");
  }
  StreamView view(connection, "__quiver_ingest_" + std::to_string(++counter));
  if (!exists || target.if_exists == IngestTarget::IfExists::kReplace) {
    ARROW_RETURN_NOT_OK(view.Register(std::move(reader)));
    const std::string create = std::string(exists ? "CREATE OR REPLACE " : "CREATE ") +
                               (target.temporary ? "TEMP TABLE " : "TABLE ");
    return view.Outcome(
        CreateTableAs(connection, create + table + " AS SELECT * FROM " + view.name()));
  }
  ARROW_ASSIGN_OR_RAISE(auto table_schema, connection.Describe("SELECT * FROM " + table));
  ARROW_ASSIGN_OR_RAISE(auto columns, MatchColumns(*table_schema, *reader->schema(), target));
  std::string insert_columns;
  std::vector<int> stream_indices;
  for (size_t i = 0; i < columns.size(); ++i) {
    insert_columns += (i ? ", " : "") + sql::QuoteIdentifier(columns[i].first);
    stream_indices.push_back(columns[i].second);
  }
  ARROW_RETURN_NOT_OK(view.Register(
      std::make_shared<ProjectingReader>(std::move(reader), std::move(stream_indices))));
  return view.Outcome(connection.Execute("INSERT INTO " + table + " (" + insert_columns +
                                         ") SELECT * FROM " + view.name()));
}

}  // namespace quiver::engine
