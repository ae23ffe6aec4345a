#include "client/flight_sql_client.h"

#include <arrow/buffer.h>
#include <arrow/flight/client.h>
#include <arrow/flight/types.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/dictionary.h>
#include <arrow/ipc/reader.h>
#include <arrow/util/byte_size.h>
#include <google/protobuf/any.pb.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "client/cli_options.h"
#include "flight_sql.pb.h"

namespace quiver::client {
namespace {

namespace flight = arrow::flight;
namespace proto = arrow::flight::protocol::sql;

// Batches are cut to about this size before DoPut: gRPC servers commonly refuse messages above
// 4 MiB.
constexpr int64_t kMaxPutBatchBytes = 2 << 20;

std::string Pack(const google::protobuf::Message& message) {
  google::protobuf::Any any;
  any.PackFrom(message);
  return any.SerializeAsString();
}

flight::FlightDescriptor CommandDescriptor(const google::protobuf::Message& message) {
  return flight::FlightDescriptor::Command(Pack(message));
}

arrow::Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return arrow::Status::IOError("cannot read TLS CA file '", path, "'");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<flight::FlightStatusCode> FlightCode(const arrow::Status& status) {
  auto detail = flight::FlightStatusDetail::UnwrapStatus(status);
  if (detail == nullptr) return std::nullopt;
  return detail->code();
}

bool IsReuseConnection(const flight::Location& location) {
  return location.scheme() == flight::Location::ReuseConnection().scheme();
}

std::string Redact(std::string text, const std::string& secret) {
  // A password of a few characters cannot be told apart from ordinary words.
  if (secret.size() < 4) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

}  // namespace

struct FlightSqlClient::State {
  flight::Location location;
  flight::FlightClientOptions client_options = flight::FlightClientOptions::Defaults();
  std::unique_ptr<flight::FlightClient> client;
  flight::FlightCallOptions call_options;
};

std::string CleanMessage(const arrow::Status& status) {
  std::string message = status.message();
  static constexpr std::string_view kWith = " error, with message: ";
  if (message.rfind("Flight returned ", 0) == 0) {
    const size_t at = message.find(kWith);
    if (at != std::string::npos) message.erase(0, at + kWith.size());
  }
  for (std::string_view tail : {". gRPC client debug context:", ". Client context:"}) {
    const size_t at = message.find(tail);
    if (at != std::string::npos) message.erase(at);
  }
  // Arrow appends the Flight status code ("... . Detail: Unauthenticated").
  static constexpr std::string_view kDetail = ". Detail: ";
  if (const size_t at = message.rfind(kDetail);
      at != std::string::npos &&
      message.find_first_of(" .\n", at + kDetail.size()) == std::string::npos) {
    message.erase(at);
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

FlightSqlClient::FlightSqlClient(ConnectionOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>()) {}

FlightSqlClient::~FlightSqlClient() = default;

arrow::Status FlightSqlClient::Fail(const std::string& what, const arrow::Status& status) const {
  const std::string message = Redact(CleanMessage(status), options_.password);
  // Connection problems name the server; the server's own errors (SQL, ...) speak for themselves.
  if (FlightCode(status) == flight::FlightStatusCode::Unavailable) {
    return status.WithMessage(options_.address, ": cannot connect: ", message);
  }
  // A server that wants credentials gets none unless a user is given.
  if (options_.user.empty() && (FlightCode(status) == flight::FlightStatusCode::Unauthenticated)) {
    return status.WithMessage(options_.address, ": ", message, " (no --user was given)");
  }
  if (what.empty()) return status.WithMessage(message);
  return status.WithMessage(what, ": ", message);
}

arrow::Result<std::unique_ptr<FlightSqlClient>> FlightSqlClient::Connect(
    ConnectionOptions options) {
  options.address = NormalizeAddress(options.address);
  std::unique_ptr<FlightSqlClient> client(new FlightSqlClient(std::move(options)));
  const ConnectionOptions& o = client->options_;
  State& state = *client->state_;
  auto location = flight::Location::Parse(o.address);
  if (!location.ok()) {
    return arrow::Status::Invalid("invalid address '", o.address,
                                  "' (expected grpc://host:port or grpc+tls://host:port)");
  }
  if (!o.tls_ca_file.empty()) {
    ARROW_ASSIGN_OR_RAISE(state.client_options.tls_root_certs, ReadTextFile(o.tls_ca_file));
  }
  state.client_options.disable_server_verification = o.tls_skip_verify;
  state.location = *location;
  auto connected = flight::FlightClient::Connect(*location, state.client_options);
  if (!connected.ok()) {
    return connected.status().WithMessage(o.address,
                                          ": cannot connect: ", CleanMessage(connected.status()));
  }
  state.client = std::move(*connected);
  for (const auto& header : o.headers) state.call_options.headers.push_back(header);
  if (o.timeout_seconds > 0)
    state.call_options.timeout = flight::TimeoutDuration(o.timeout_seconds);
  if (!o.user.empty()) {
    auto token = state.client->AuthenticateBasicToken(state.call_options, o.user, o.password);
    if (!token.ok()) {
      // Handshake is a stream, and gRPC reports a connection that never came up only as
      // "Could not finish writing before closing"; a unary call says why.
      const auto code = FlightCode(token.status());
      if (code != flight::FlightStatusCode::Unauthenticated &&
          code != flight::FlightStatusCode::Unauthorized) {
        auto probe = state.client->ListActions(state.call_options);
        if (!probe.ok() && FlightCode(probe.status()) == flight::FlightStatusCode::Unavailable) {
          return client->Fail("", probe.status());
        }
      }
      return client->Fail(o.address + ": authentication as '" + o.user + "' failed",
                          token.status());
    }
    if (!token->first.empty()) state.call_options.headers.push_back(*token);
  }
  return client;
}

arrow::Result<std::shared_ptr<QueryResult>> FlightSqlClient::RunCommand(
    const std::string& what, const std::string& command) const {
  auto info = state_->client->GetFlightInfo(state_->call_options,
                                            flight::FlightDescriptor::Command(command));
  if (!info.ok()) return Fail(what, info.status());
  std::shared_ptr<QueryResult> result(new QueryResult(this, std::move(*info)));
  if (result->info_->endpoints().empty()) {
    arrow::ipc::DictionaryMemo memo;
    auto schema = result->info_->GetSchema(&memo);
    if (!schema.ok()) return Fail(what, schema.status());
    result->schema_ = *schema;
  } else {
    ARROW_RETURN_NOT_OK(result->OpenNextEndpoint());
  }
  return result;
}

arrow::Result<std::shared_ptr<QueryResult>> FlightSqlClient::Execute(
    const std::string& query) const {
  proto::CommandStatementQuery command;
  command.set_query(query);
  return RunCommand("", Pack(command));
}

arrow::Result<int64_t> FlightSqlClient::ExecuteUpdate(const std::string& query) const {
  proto::CommandStatementUpdate command;
  command.set_query(query);
  const std::string what;
  auto put =
      state_->client->DoPut(state_->call_options, CommandDescriptor(command), arrow::schema({}));
  if (!put.ok()) return Fail(what, put.status());
  arrow::Status status = put->writer->DoneWriting();
  std::shared_ptr<arrow::Buffer> metadata;
  if (status.ok()) status = put->reader->ReadMetadata(&metadata);
  // The server's own error, when there is one, comes with Close().
  const arrow::Status closed = put->writer->Close();
  if (!closed.ok()) return Fail(what, closed);
  if (!status.ok()) return Fail(what, status);
  if (metadata == nullptr) return -1;
  proto::DoPutUpdateResult result;
  if (!result.ParseFromArray(metadata->data(), static_cast<int>(metadata->size()))) return -1;
  return result.record_count();
}

arrow::Result<std::shared_ptr<QueryResult>> FlightSqlClient::GetCatalogs() const {
  return RunCommand("listing catalogs failed", Pack(proto::CommandGetCatalogs()));
}

arrow::Result<std::shared_ptr<QueryResult>> FlightSqlClient::GetDbSchemas(
    const std::optional<std::string>& catalog,
    const std::optional<std::string>& schema_pattern) const {
  proto::CommandGetDbSchemas command;
  if (catalog) command.set_catalog(*catalog);
  if (schema_pattern) command.set_db_schema_filter_pattern(*schema_pattern);
  return RunCommand("listing schemas failed", Pack(command));
}

arrow::Result<std::shared_ptr<QueryResult>> FlightSqlClient::GetTables(const TablesFilter& filter,
                                                                       bool include_schema) const {
  proto::CommandGetTables command;
  if (filter.catalog) command.set_catalog(*filter.catalog);
  if (filter.schema_pattern) command.set_db_schema_filter_pattern(*filter.schema_pattern);
  if (filter.table_pattern) command.set_table_name_filter_pattern(*filter.table_pattern);
  for (const auto& type : filter.table_types) command.add_table_types(type);
  command.set_include_schema(include_schema);
  return RunCommand("listing tables failed", Pack(command));
}

arrow::Result<std::shared_ptr<QueryResult>> FlightSqlClient::GetPrimaryKeys(
    const std::optional<std::string>& catalog, const std::optional<std::string>& schema,
    const std::string& table) const {
  proto::CommandGetPrimaryKeys command;
  if (catalog) command.set_catalog(*catalog);
  if (schema) command.set_db_schema(*schema);
  command.set_table(table);
  return RunCommand("listing primary keys failed", Pack(command));
}

arrow::Result<int64_t> FlightSqlClient::Ingest(
    const std::optional<std::string>& catalog, const std::optional<std::string>& schema,
    const std::string& table, IngestMode mode, arrow::RecordBatchReader& batches,
    const std::function<void(int64_t, int64_t)>& on_batch) const {
  using Options = proto::CommandStatementIngest::TableDefinitionOptions;
  proto::CommandStatementIngest command;
  command.set_table(table);
  if (catalog) command.set_catalog(*catalog);
  if (schema) command.set_schema(*schema);
  Options* options = command.mutable_table_definition_options();
  switch (mode) {
    case IngestMode::kCreateOrAppend:
      options->set_if_not_exist(Options::TABLE_NOT_EXIST_OPTION_CREATE);
      options->set_if_exists(Options::TABLE_EXISTS_OPTION_APPEND);
      break;
    case IngestMode::kCreate:
      options->set_if_not_exist(Options::TABLE_NOT_EXIST_OPTION_CREATE);
      options->set_if_exists(Options::TABLE_EXISTS_OPTION_FAIL);
      break;
    case IngestMode::kAppend:
      options->set_if_not_exist(Options::TABLE_NOT_EXIST_OPTION_FAIL);
      options->set_if_exists(Options::TABLE_EXISTS_OPTION_APPEND);
      break;
    case IngestMode::kReplace:
      options->set_if_not_exist(Options::TABLE_NOT_EXIST_OPTION_CREATE);
      options->set_if_exists(Options::TABLE_EXISTS_OPTION_REPLACE);
      break;
  }
  const std::string what;
  auto put =
      state_->client->DoPut(state_->call_options, CommandDescriptor(command), batches.schema());
  if (!put.ok()) return Fail(what, put.status());
  int64_t rows = 0;
  int64_t bytes = 0;
  arrow::Status status;
  // Reading the file fails on our side: no Close() status can explain it better.
  arrow::Status read_status;
  while (status.ok()) {
    auto batch = batches.Next();
    if (!batch.ok()) {
      read_status = batch.status();
      break;
    }
    if (*batch == nullptr) break;
    const int64_t batch_rows = (*batch)->num_rows();
    const int64_t batch_bytes = arrow::util::TotalBufferSize(**batch);
    const int64_t slice_rows = batch_rows == 0
                                   ? 1
                                   : std::max<int64_t>(1, batch_rows * kMaxPutBatchBytes /
                                                              std::max<int64_t>(batch_bytes, 1));
    for (int64_t offset = 0; offset < batch_rows && status.ok(); offset += slice_rows) {
      status = put->writer->WriteRecordBatch(*(*batch)->Slice(offset, slice_rows));
    }
    rows += batch_rows;
    bytes += batch_bytes;
    if (on_batch) on_batch(rows, bytes);
  }
  if (!read_status.ok()) {
    put->writer->Close().Warn();
    return read_status;
  }
  if (status.ok()) status = put->writer->DoneWriting();
  std::shared_ptr<arrow::Buffer> metadata;
  if (status.ok()) status = put->reader->ReadMetadata(&metadata);
  const arrow::Status closed = put->writer->Close();
  if (!closed.ok()) return Fail(what, closed);
  if (!status.ok()) return Fail(what, status);
  proto::DoPutUpdateResult result;
  if (metadata != nullptr &&
      result.ParseFromArray(metadata->data(), static_cast<int>(metadata->size()))) {
    return result.record_count();
  }
  return rows;
}

QueryResult::QueryResult(const FlightSqlClient* client,
                         std::unique_ptr<arrow::flight::FlightInfo> info)
    : client_(client), info_(std::move(info)), total_records_(info_->total_records()) {}

QueryResult::~QueryResult() = default;

arrow::Status QueryResult::OpenNextEndpoint() {
  const std::string what = "reading the result";
  const flight::FlightEndpoint& endpoint = info_->endpoints()[next_endpoint_++];
  const FlightSqlClient::State& state = *client_->state_;
  stream_.reset();
  other_.reset();
  // An endpoint may name where its ticket is served; none (or "reuse this connection") means
  // the server we asked.
  arrow::Status last_error;
  for (const flight::Location& location : endpoint.locations) {
    if (IsReuseConnection(location) || location.Equals(state.location)) break;
    auto other = flight::FlightClient::Connect(location, state.client_options);
    if (!other.ok()) {
      last_error = other.status();
      continue;
    }
    auto stream = (*other)->DoGet(state.call_options, endpoint.ticket);
    if (!stream.ok()) {
      last_error = stream.status();
      continue;
    }
    other_ = std::move(*other);
    stream_ = std::move(*stream);
    break;
  }
  if (stream_ == nullptr) {
    if (!last_error.ok()) return client_->Fail(what, last_error);
    auto stream = state.client->DoGet(state.call_options, endpoint.ticket);
    if (!stream.ok()) return client_->Fail(what, stream.status());
    stream_ = std::move(*stream);
  }
  if (schema_ == nullptr) {
    auto schema = stream_->GetSchema();
    if (!schema.ok()) return client_->Fail(what, schema.status());
    schema_ = *schema;
  }
  return arrow::Status::OK();
}

arrow::Status QueryResult::ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) {
  batch->reset();
  while (stream_ != nullptr) {
    auto chunk = stream_->Next();
    if (!chunk.ok()) return client_->Fail("reading the result", chunk.status());
    if (chunk->data != nullptr) {
      *batch = std::move(chunk->data);
      return arrow::Status::OK();
    }
    if (chunk->app_metadata != nullptr) continue;
    stream_.reset();
    other_.reset();
    if (next_endpoint_ < info_->endpoints().size()) ARROW_RETURN_NOT_OK(OpenNextEndpoint());
  }
  return arrow::Status::OK();
}

arrow::Status QueryResult::Close() {
  if (stream_ != nullptr) stream_->Cancel();
  stream_.reset();
  other_.reset();
  next_endpoint_ = info_->endpoints().size();
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<arrow::Schema>> DecodeTableSchema(std::string_view bytes) {
  arrow::io::BufferReader reader(std::make_shared<arrow::Buffer>(
      reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<int64_t>(bytes.size())));
  arrow::ipc::DictionaryMemo memo;
  return arrow::ipc::ReadSchema(&reader, &memo);
}

}  // namespace quiver::client
