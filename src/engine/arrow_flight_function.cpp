#include "engine/arrow_flight_function.h"

#include <arrow/c/bridge.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <exception>
#include <memory>
#include <optional>
#include <set>

#include "client/flight_reader.h"
#include "engine/arrow_view.h"
#include "engine/database.h"
#include "engine/handles.h"
#include "engine/query_stream.h"

namespace quiver::engine {
namespace {

using ConvertedSchema =
    Handle<duckdb_arrow_converted_schema, duckdb_destroy_arrow_converted_schema>;
using TableFunction = Handle<duckdb_table_function, duckdb_destroy_table_function>;
using Value = Handle<duckdb_value, duckdb_destroy_value>;

constexpr const char* kFunctionName = "arrow_flight";

// Positional user and password for the registered function, whose own are named parameters.
constexpr const char* kMacro =
    "CREATE OR REPLACE TEMP MACRO arrow_flight(location, dataset_or_sql, \"user\" := NULL, "
    "password := NULL) AS TABLE (SELECT * FROM system.main.arrow_flight(location, "
    "dataset_or_sql, \"user\" := \"user\", password := password))";

// An exported Arrow C struct, released unless a consumer took it (by clearing `release`).
template <typename T>
struct Exported {
  T c{};
  Exported() = default;
  Exported(const Exported&) = delete;
  Exported& operator=(const Exported&) = delete;
  ~Exported() {
    if (c.release != nullptr) c.release(&c);
  }
};

// What the function was registered with (the table function's extra info).
struct FunctionInfo {
  duckdb_connection conversion;  // owned by engine::Database
  std::vector<FlightConnectionConfig> named_connections;
};

// How DuckDB sees an Arrow schema.
struct DuckSchema {
  ConvertedSchema converted;
  std::vector<LogicalType> types;
  // The DuckDB types exported back to Arrow: two streams whose Arrow types differ (utf8 and
  // large_utf8, say) may still become the same DuckDB types, and these compare them.
  std::shared_ptr<arrow::Schema> canonical;
};

// Converts a record batch of at most duckdb_vector_size() rows.
arrow::Result<DataChunk> ToChunk(duckdb_connection conversion, const arrow::RecordBatch& batch,
                                 duckdb_arrow_converted_schema converted) {
  Exported<ArrowArray> array;
  ARROW_RETURN_NOT_OK(arrow::ExportRecordBatch(batch, &array.c));
  DataChunk chunk;
  ARROW_RETURN_NOT_OK(StatusFromErrorData(
      duckdb_data_chunk_from_arrow(conversion, &array.c, converted, chunk.out())));
  return chunk;
}

arrow::Result<DuckSchema> ToDuckSchema(duckdb_connection conversion, const arrow::Schema& schema) {
  DuckSchema duck;
  {
    Exported<ArrowSchema> exported;
    ARROW_RETURN_NOT_OK(arrow::ExportSchema(schema, &exported.c));
    ARROW_RETURN_NOT_OK(StatusFromErrorData(
        duckdb_schema_from_arrow(conversion, &exported.c, duck.converted.out())));
  }
  // The C API keeps the converted types to itself; the vectors of an empty chunk reveal them.
  ARROW_ASSIGN_OR_RAISE(
      auto empty, arrow::RecordBatch::MakeEmpty(std::make_shared<arrow::Schema>(schema.fields())));
  ARROW_ASSIGN_OR_RAISE(auto chunk, ToChunk(conversion, *empty, duck.converted.get()));
  const idx_t count = duckdb_data_chunk_get_column_count(chunk.get());
  std::vector<duckdb_logical_type> raw_types;
  std::vector<const char*> names;
  for (idx_t i = 0; i < count; ++i) {
    duck.types.emplace_back(
        duckdb_vector_get_column_type(duckdb_data_chunk_get_vector(chunk.get(), i)));
    raw_types.push_back(duck.types.back().get());
    names.push_back(schema.field(static_cast<int>(i))->name().c_str());
  }
  ArrowOptions options;
  duckdb_connection_get_arrow_options(conversion, options.out());
  ARROW_ASSIGN_OR_RAISE(duck.canonical,
                        ToArrowSchema(options.get(), raw_types.data(), names.data(), count));
  return duck;
}

bool SameTypes(const arrow::Schema& a, const arrow::Schema& b) {
  if (a.num_fields() != b.num_fields()) return false;
  for (int i = 0; i < a.num_fields(); ++i) {
    if (!a.field(i)->type()->Equals(*b.field(i)->type())) return false;
  }
  return true;
}

// The argument, or nullopt when it is NULL or absent.
std::optional<std::string> TextOf(duckdb_value raw) {
  Value value(raw);
  if (!value || duckdb_is_null_value(value.get())) return std::nullopt;
  char* text = duckdb_get_varchar(value.get());
  std::string out = text ? text : "";
  duckdb_free(text);
  return out;
}

// Column names DuckDB accepts: Arrow allows empty and repeated names, a DuckDB table has
// neither (names differing only in case are repeats too). Repeats get a suffix, as DuckDB's own
// readers do: a, a_1, a_2.
std::vector<std::string> ColumnNames(const arrow::Schema& schema) {
  auto lower = [](std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  };
  std::set<std::string> taken;
  std::vector<std::string> names;
  for (int i = 0; i < schema.num_fields(); ++i) {
    const auto& field_name = schema.field(i)->name();
    std::string name = field_name.empty() ? "column" + std::to_string(i) : field_name;
    for (int suffix = 1; taken.count(lower(name)) > 0; ++suffix) {
      name = (field_name.empty() ? "column" + std::to_string(i) : field_name) + "_" +
             std::to_string(suffix);
    }
    taken.insert(lower(name));
    names.push_back(std::move(name));
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Bind: find the service, read the schema, declare the columns.

struct BindData {
  duckdb_connection conversion = nullptr;
  client::FlightSource source;
  client::FlightRequest request;
  // Starts every error message: the function and, for a named connection, its name. Messages
  // from client::FlightReader add the location themselves.
  std::string prefix;
  std::shared_ptr<arrow::Schema> schema;
  DuckSchema duck;

  std::string Error(const arrow::Status& status) const { return prefix + status.message(); }
  std::string Error(const std::string& message) const {
    return prefix + source.location + ": " + message;
  }
};

// The source named by the first argument: a location when it contains "://", else a
// configured connection.
arrow::Status Resolve(const FunctionInfo& function, const std::string& location,
                      const std::optional<std::string>& user,
                      const std::optional<std::string>& password, BindData* bind) {
  bind->prefix = std::string(kFunctionName) + ": ";
  if (location.find("://") != std::string::npos) {
    bind->source.location = location;
  } else {
    const FlightConnectionConfig* found = nullptr;
    std::string names;
    for (const auto& connection : function.named_connections) {
      if (connection.name == location) found = &connection;
      names += (names.empty() ? "" : ", ") + connection.name;
    }
    if (found == nullptr) {
      return arrow::Status::Invalid(
          "unknown Flight connection '", location, "' (",
          names.empty() ? "no flight_connections are configured" : "configured: " + names,
          "); pass a location such as grpc://host:port or the name of a connection");
    }
    bind->prefix += "connection '" + found->name + "': ";
    bind->source.location = found->location;
    bind->source.user = found->user;
    bind->source.password = found->password;
    bind->source.tls_root_certs_file = found->tls_root_certs_file;
    bind->source.tls_skip_verify = found->tls_skip_verify;
  }
  // Credentials in SQL override the configured ones.
  if (user) bind->source.user = *user;
  if (password) bind->source.password = *password;
  if (bind->source.user.empty() && !bind->source.password.empty()) {
    return arrow::Status::Invalid("a password needs a user");
  }
  return arrow::Status::OK();
}

// Fills `bind` and declares the result columns; a failure's message is the whole DuckDB error.
arrow::Status BindColumns(duckdb_bind_info info, BindData* bind) {
  const auto& function = *static_cast<FunctionInfo*>(duckdb_bind_get_extra_info(info));
  bind->conversion = function.conversion;
  const auto location = TextOf(duckdb_bind_get_parameter(info, 0));
  const auto dataset = TextOf(duckdb_bind_get_parameter(info, 1));
  if (!location || !dataset) {
    return arrow::Status::Invalid(kFunctionName, ": the location and the dataset must not be NULL");
  }
  auto resolved =
      Resolve(function, *location, TextOf(duckdb_bind_get_named_parameter(info, "user")),
              TextOf(duckdb_bind_get_named_parameter(info, "password")), bind);
  if (!resolved.ok()) return resolved.WithMessage(kFunctionName, ": ", resolved.message());
  bind->request = client::RequestFor(*dataset);

  auto reader = client::FlightReader::Connect(bind->source);
  if (!reader.ok()) return reader.status().WithMessage(bind->Error(reader.status()));
  auto schema = (*reader)->GetSchema(bind->request);
  if (!schema.ok()) return schema.status().WithMessage(bind->Error(schema.status()));
  bind->schema = std::move(*schema);
  if (bind->schema->num_fields() == 0) {
    return arrow::Status::Invalid(bind->Error("the result has no columns"));
  }
  auto duck = ToDuckSchema(bind->conversion, *bind->schema);
  if (!duck.ok()) {
    return arrow::Status::Invalid(bind->Error("DuckDB cannot read the schema (" +
                                              bind->schema->ToString(false) +
                                              "): " + duck.status().message()));
  }
  bind->duck = std::move(*duck);
  const auto names = ColumnNames(*bind->schema);
  for (size_t i = 0; i < names.size(); ++i) {
    duckdb_bind_add_result_column(info, names[i].c_str(), bind->duck.types[i].get());
  }
  return arrow::Status::OK();
}

void Bind(duckdb_bind_info info) {
  auto bind = std::make_unique<BindData>();
  // An exception must not cross DuckDB's C boundary.
  arrow::Status status;
  try {
    status = BindColumns(info, bind.get());
  } catch (const std::exception& e) {
    status = arrow::Status::UnknownError(kFunctionName, ": ", e.what());
  }
  if (!status.ok()) return duckdb_bind_set_error(info, status.message().c_str());
  duckdb_bind_set_bind_data(info, bind.release(),
                            [](void* data) { delete static_cast<BindData*>(data); });
}

// ---------------------------------------------------------------------------------------------
// Init: list the parts of the result. Every execution asks again, so a prepared statement reads
// fresh data each time.

struct ScanState {
  std::shared_ptr<client::FlightReader> reader;
  std::vector<client::FlightPart> parts;
  std::atomic<size_t> next_part{0};
};

arrow::Status ListParts(const BindData& bind, ScanState* state) {
  ARROW_ASSIGN_OR_RAISE(state->reader, client::FlightReader::Connect(bind.source));
  ARROW_ASSIGN_OR_RAISE(state->parts, state->reader->ListParts(bind.request));
  return arrow::Status::OK();
}

void Init(duckdb_init_info info) {
  const auto& bind = *static_cast<BindData*>(duckdb_init_get_bind_data(info));
  auto state = std::make_unique<ScanState>();
  arrow::Status status;
  try {
    status = ListParts(bind, state.get());
  } catch (const std::exception& e) {
    status = arrow::Status::UnknownError(e.what());
  }
  if (!status.ok()) return duckdb_init_set_error(info, bind.Error(status).c_str());
  // One DuckDB thread per endpoint at most: each thread streams whole endpoints.
  duckdb_init_set_max_threads(info, std::max<idx_t>(1, state->parts.size()));
  duckdb_init_set_init_data(info, state.release(),
                            [](void* data) { delete static_cast<ScanState*>(data); });
}

// One thread's progress: the endpoint it streams and the batch it is cutting into chunks.
struct PartScan {
  std::shared_ptr<arrow::RecordBatchReader> stream;
  // The stream's own converted schema when its Arrow types differ from the bind schema's.
  ConvertedSchema own_schema;
  duckdb_arrow_converted_schema converted = nullptr;
  std::shared_ptr<arrow::RecordBatch> batch;
  int64_t offset = 0;
  // The last chunk given to DuckDB, whose vectors the output references, and the Arrow data
  // under it: both live until the next call, when DuckDB is done with the output.
  DataChunk held;
  std::shared_ptr<arrow::RecordBatch> held_slice;
};

void LocalInit(duckdb_init_info info) {
  duckdb_init_set_init_data(info, new PartScan(),
                            [](void* data) { delete static_cast<PartScan*>(data); });
}

// Checks that a stream brings the columns announced at bind time and picks its conversion.
arrow::Status AdoptStream(const BindData& bind, PartScan& scan) {
  const auto& schema = *scan.stream->schema();
  scan.own_schema.Reset();
  scan.converted = bind.duck.converted.get();
  if (SameTypes(schema, *bind.schema)) return arrow::Status::OK();
  if (schema.num_fields() != bind.schema->num_fields()) {
    return arrow::Status::Invalid("the stream has ", schema.num_fields(),
                                  " columns where the schema announced ",
                                  bind.schema->num_fields());
  }
  ARROW_ASSIGN_OR_RAISE(auto duck, ToDuckSchema(bind.conversion, schema));
  for (int i = 0; i < schema.num_fields(); ++i) {
    if (!duck.canonical->field(i)->type()->Equals(*bind.duck.canonical->field(i)->type())) {
      return arrow::Status::Invalid(
          "column '", bind.schema->field(i)->name(), "' is ", schema.field(i)->type()->ToString(),
          " in the stream where the schema announced ", bind.schema->field(i)->type()->ToString());
    }
  }
  scan.own_schema = std::move(duck.converted);
  scan.converted = scan.own_schema.get();
  return arrow::Status::OK();
}

// Fills `output` with the next rows of this thread's endpoints; leaves it empty when none remain.
arrow::Status ScanNext(const BindData& bind, ScanState& state, PartScan& scan,
                       duckdb_data_chunk output) {
  scan.held.Reset();
  scan.held_slice.reset();
  const auto vector_size = static_cast<int64_t>(duckdb_vector_size());
  while (true) {
    if (scan.batch != nullptr && scan.offset < scan.batch->num_rows()) {
      // DuckDB converts at most one vector (2,048 rows) at a time.
      const int64_t rows = std::min(vector_size, scan.batch->num_rows() - scan.offset);
      scan.held_slice = scan.batch->Slice(scan.offset, rows);
      scan.offset += rows;
      ARROW_ASSIGN_OR_RAISE(scan.held, ToChunk(bind.conversion, *scan.held_slice, scan.converted));
      const idx_t columns = duckdb_data_chunk_get_column_count(output);
      for (idx_t i = 0; i < columns; ++i) {
        duckdb_vector_reference_vector(duckdb_data_chunk_get_vector(output, i),
                                       duckdb_data_chunk_get_vector(scan.held.get(), i));
      }
      duckdb_data_chunk_set_size(output, static_cast<idx_t>(rows));
      return arrow::Status::OK();
    }
    scan.batch.reset();
    scan.offset = 0;
    if (scan.stream != nullptr) {
      ARROW_RETURN_NOT_OK(scan.stream->ReadNext(&scan.batch));
      if (scan.batch == nullptr) scan.stream.reset();
      // The remote service's arrays are checked before DuckDB converts them.
      if (scan.batch != nullptr) {
        auto valid = ValidateReceivedBatch(*scan.batch);
        if (!valid.ok()) {
          scan.batch.reset();
          return valid;
        }
      }
      continue;
    }
    const size_t part = state.next_part.fetch_add(1);
    if (part >= state.parts.size()) {
      duckdb_data_chunk_set_size(output, 0);
      return arrow::Status::OK();
    }
    ARROW_ASSIGN_OR_RAISE(scan.stream, state.reader->ReadPart(state.parts[part]));
    auto adopted = AdoptStream(bind, scan);
    if (!adopted.ok()) {
      return adopted.WithMessage(state.reader->location(), ": endpoint ", part + 1, " of ",
                                 state.parts.size(), ": ", adopted.message());
    }
  }
}

void Scan(duckdb_function_info info, duckdb_data_chunk output) {
  const auto& bind = *static_cast<BindData*>(duckdb_function_get_bind_data(info));
  auto& state = *static_cast<ScanState*>(duckdb_function_get_init_data(info));
  auto& scan = *static_cast<PartScan*>(duckdb_function_get_local_init_data(info));
  // An exception must not cross DuckDB's C boundary.
  try {
    auto status = ScanNext(bind, state, scan, output);
    if (!status.ok()) duckdb_function_set_error(info, bind.Error(status).c_str());
  } catch (const std::exception& e) {
    duckdb_function_set_error(info, bind.Error(arrow::Status::UnknownError(e.what())).c_str());
  }
}

bool MentionsArrowFlight(const std::string& sql) {
  const std::string name = kFunctionName;
  auto found = std::search(sql.begin(), sql.end(), name.begin(), name.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == b;
  });
  return found != sql.end();
}

}  // namespace

arrow::Status RegisterArrowFlightFunction(duckdb_connection connection,
                                          std::vector<FlightConnectionConfig> named_connections) {
  TableFunction function(duckdb_create_table_function());
  duckdb_table_function_set_name(function.get(), kFunctionName);
  LogicalType varchar(duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR));
  duckdb_table_function_add_parameter(function.get(), varchar.get());
  duckdb_table_function_add_parameter(function.get(), varchar.get());
  duckdb_table_function_add_named_parameter(function.get(), "user", varchar.get());
  duckdb_table_function_add_named_parameter(function.get(), "password", varchar.get());
  duckdb_table_function_set_extra_info(function.get(),
                                       new FunctionInfo{connection, std::move(named_connections)},
                                       [](void* data) { delete static_cast<FunctionInfo*>(data); });
  duckdb_table_function_set_bind(function.get(), Bind);
  duckdb_table_function_set_init(function.get(), Init);
  duckdb_table_function_set_local_init(function.get(), LocalInit);
  duckdb_table_function_set_function(function.get(), Scan);
  if (duckdb_register_table_function(connection, function.get()) == DuckDBError) {
    return arrow::Status::ExecutionError("cannot register the ", kFunctionName, " table function");
  }
  return arrow::Status::OK();
}

void DefineArrowFlightMacro(duckdb_connection connection, const std::string& sql) {
  if (!MentionsArrowFlight(sql)) return;
  // A failure (say, in an aborted transaction) leaves the two-argument form working and the
  // statement itself reports what is wrong, so it is not an error here.
  QueryResult result;
  duckdb_query(connection, kMacro, result.out());
}

}  // namespace quiver::engine
