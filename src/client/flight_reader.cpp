#include "client/flight_reader.h"

#include <arrow/flight/client.h>
#include <arrow/flight/types.h>
#include <arrow/ipc/dictionary.h>
#include <arrow/util/base64.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace quiver::client {
namespace {

namespace flight = arrow::flight;

// Remote services may echo what they were sent; a password of a few characters cannot be told
// apart from ordinary words, so only longer ones are masked.
constexpr size_t kMinRedactedLength = 4;

std::string Redact(std::string text, const std::string& secret) {
  if (secret.size() < kMinRedactedLength) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

bool IsReuseConnection(const std::string& location) {
  return location.rfind(flight::Location::ReuseConnection().scheme() + ":", 0) == 0;
}

flight::FlightDescriptor DescriptorFor(const FlightRequest& request) {
  return request.kind == FlightRequest::Kind::kCommand
             ? flight::FlightDescriptor::Command(request.text)
             : flight::FlightDescriptor::Path({request.text});
}

std::string Describe(const FlightRequest& request) {
  return request.kind == FlightRequest::Kind::kCommand ? "query" : "dataset '" + request.text + "'";
}

arrow::Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return arrow::Status::IOError("cannot read TLS root certificates file '", path, "'");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Handshake is a stream, and gRPC reports a connection that never came up (refused, TLS
// verification failed, ...) on it only as "Could not finish writing before closing". A unary
// call says why.
arrow::Status ExplainHandshakeFailure(flight::FlightClient& client, const arrow::Status& status) {
  const auto detail = flight::FlightStatusDetail::UnwrapStatus(status);
  if (detail != nullptr && (detail->code() == flight::FlightStatusCode::Unauthenticated ||
                            detail->code() == flight::FlightStatusCode::Unauthorized)) {
    return status;
  }
  auto probe = client.ListActions();
  return probe.ok() ? status : probe.status();
}

}  // namespace

struct FlightReader::Client {
  std::string location;
  std::unique_ptr<flight::FlightClient> flight;
  // Carries the bearer token, when authenticated, on every call.
  flight::FlightCallOptions options;
  std::string password;  // for redaction

  // `what` failed at this service: the status keeps its code, the message names the location.
  arrow::Status Fail(const std::string& what, const arrow::Status& status) const {
    return status.WithMessage(location, ": ", what, ": ", Redact(status.message(), password));
  }
};

namespace {

// One part's DoGet stream; keeps its connection alive and names the service in its errors.
class PartReader : public arrow::RecordBatchReader {
 public:
  PartReader(std::shared_ptr<FlightReader::Client> client,
             std::unique_ptr<flight::FlightStreamReader> stream,
             std::shared_ptr<arrow::Schema> schema)
      : client_(std::move(client)), stream_(std::move(stream)), schema_(std::move(schema)) {}
  ~PartReader() override {
    // Abandoned before its end (LIMIT, an error elsewhere): stop the transfer rather than let
    // gRPC drain the rest of the stream.
    if (!finished_) stream_->Cancel();
  }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    *batch = nullptr;
    if (finished_) return arrow::Status::OK();
    auto chunk = stream_->Next();
    if (!chunk.ok()) {
      finished_ = true;
      return client_->Fail("reading the DoGet stream failed", chunk.status());
    }
    if (chunk->data == nullptr) {
      finished_ = true;
      return arrow::Status::OK();
    }
    *batch = std::move(chunk->data);
    return arrow::Status::OK();
  }

 private:
  std::shared_ptr<FlightReader::Client> client_;
  std::unique_ptr<flight::FlightStreamReader> stream_;
  std::shared_ptr<arrow::Schema> schema_;
  bool finished_ = false;
};

}  // namespace

bool LooksLikeSql(const std::string& text) {
  static const char* const kKeywords[] = {"SELECT", "WITH",  "FROM",     "VALUES",
                                          "SHOW",   "TABLE", "DESCRIBE", "PRAGMA"};
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  size_t end = start;
  while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                               text[end] == '_' || text[end] == '$')) {
    ++end;
  }
  std::string word = text.substr(start, end - start);
  for (auto& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const char* keyword : kKeywords) {
    if (word == keyword) return true;
  }
  return false;
}

FlightRequest RequestFor(const std::string& dataset_or_sql) {
  return {LooksLikeSql(dataset_or_sql) ? FlightRequest::Kind::kCommand : FlightRequest::Kind::kPath,
          dataset_or_sql};
}

FlightReader::FlightReader(FlightSource source) : source_(std::move(source)) {}

FlightReader::~FlightReader() = default;

arrow::Result<std::shared_ptr<FlightReader>> FlightReader::Connect(FlightSource source) {
  auto reader = std::shared_ptr<FlightReader>(new FlightReader(std::move(source)));
  if (!reader->source_.tls_root_certs_file.empty()) {
    auto certs = ReadFile(reader->source_.tls_root_certs_file);
    if (!certs.ok())
      return certs.status().WithMessage(reader->location(), ": ", certs.status().message());
    reader->tls_root_certs_ = std::move(*certs);
  }
  ARROW_ASSIGN_OR_RAISE(reader->main_, reader->ClientFor(reader->source_.location));
  return reader;
}

arrow::Result<std::shared_ptr<FlightReader::Client>> FlightReader::ClientFor(
    const std::string& location) {
  if (main_ != nullptr && location == source_.location) return main_;
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto found = others_.find(location); found != others_.end()) return found->second;

  auto client = std::make_shared<Client>();
  client->location = location;
  client->password = source_.password;
  auto parsed = flight::Location::Parse(location);
  if (!parsed.ok()) return client->Fail("invalid location", parsed.status());
  auto options = flight::FlightClientOptions::Defaults();
  options.tls_root_certs = tls_root_certs_;
  options.disable_server_verification = source_.tls_skip_verify;
  auto connected = flight::FlightClient::Connect(*parsed, options);
  if (!connected.ok()) return client->Fail("cannot connect", connected.status());
  client->flight = std::move(*connected);
  if (!source_.user.empty()) {
    auto header = client->flight->AuthenticateBasicToken({}, source_.user, source_.password);
    if (header.ok() && !header->first.empty()) {
      client->options.headers.push_back(*header);
    } else if (header.ok() || header.status().IsNotImplemented()) {
      // Services without Handshake, or that return no token, may still check Basic
      // credentials on each call.
      client->options.headers.emplace_back(
          "authorization",
          "Basic " + arrow::util::base64_encode(source_.user + ":" + source_.password));
    } else {
      return client->Fail("authentication as '" + source_.user + "' failed",
                          ExplainHandshakeFailure(*client->flight, header.status()));
    }
  }
  if (location != source_.location) others_.emplace(location, client);
  return client;
}

arrow::Result<std::shared_ptr<arrow::Schema>> FlightReader::GetSchema(
    const FlightRequest& request) {
  const auto descriptor = DescriptorFor(request);
  auto result = main_->flight->GetSchema(main_->options, descriptor);
  if (result.ok()) {
    arrow::ipc::DictionaryMemo memo;
    auto schema = (*result)->GetSchema(&memo);
    if (!schema.ok()) return main_->Fail("cannot decode the schema", schema.status());
    return *schema;
  }
  if (!result.status().IsNotImplemented()) {
    return main_->Fail("GetSchema for " + Describe(request) + " failed", result.status());
  }
  // Services without GetSchema describe the result in their FlightInfo.
  auto info = main_->flight->GetFlightInfo(main_->options, descriptor);
  if (!info.ok()) {
    return main_->Fail("GetFlightInfo for " + Describe(request) + " failed", info.status());
  }
  arrow::ipc::DictionaryMemo memo;
  auto schema = (*info)->GetSchema(&memo);
  if (!schema.ok()) return main_->Fail("cannot decode the schema", schema.status());
  if ((*schema)->num_fields() > 0 || (*info)->endpoints().empty()) return *schema;
  // Some services leave the FlightInfo schema empty: the first stream says what it holds.
  const auto& endpoint = (*info)->endpoints().front();
  FlightPart part{endpoint.ticket.ticket, {}};
  for (const auto& location : endpoint.locations) part.locations.push_back(location.ToString());
  ARROW_ASSIGN_OR_RAISE(auto stream, ReadPart(part));
  return stream->schema();
}

arrow::Result<std::vector<FlightPart>> FlightReader::ListParts(const FlightRequest& request) {
  auto info = main_->flight->GetFlightInfo(main_->options, DescriptorFor(request));
  if (!info.ok()) {
    return main_->Fail("GetFlightInfo for " + Describe(request) + " failed", info.status());
  }
  std::vector<FlightPart> parts;
  for (const auto& endpoint : (*info)->endpoints()) {
    FlightPart part{endpoint.ticket.ticket, {}};
    for (const auto& location : endpoint.locations) part.locations.push_back(location.ToString());
    parts.push_back(std::move(part));
  }
  return parts;
}

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> FlightReader::ReadPart(
    const FlightPart& part) {
  if (part.locations.empty()) return ReadFrom(main_, part);
  arrow::Status last;
  for (const auto& location : part.locations) {
    std::shared_ptr<Client> client = main_;
    if (!IsReuseConnection(location)) {
      auto other = ClientFor(location);
      if (!other.ok()) {
        last = other.status();
        continue;
      }
      client = *other;
    }
    auto stream = ReadFrom(client, part);
    if (stream.ok()) return stream;
    last = stream.status();
  }
  return last;
}

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> FlightReader::ReadFrom(
    const std::shared_ptr<Client>& client, const FlightPart& part) {
  auto stream = client->flight->DoGet(client->options, flight::Ticket{part.ticket});
  if (!stream.ok()) return client->Fail("DoGet failed", stream.status());
  // The schema message comes first; errors such as an unknown ticket surface here.
  auto schema = (*stream)->GetSchema();
  if (!schema.ok()) return client->Fail("DoGet failed", schema.status());
  return std::make_shared<PartReader>(client, std::move(*stream), std::move(*schema));
}

}  // namespace quiver::client
