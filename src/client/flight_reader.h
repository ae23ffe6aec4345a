// Reading data from a remote Arrow Flight service: connect, authenticate, ask for a dataset or a
// query, and read each part (endpoint) of the answer as a RecordBatchReader. Flight types stay
// behind this interface so that callers (the engine's arrow_flight() table function) only see
// Arrow data and plain structs.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/status.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace arrow::flight {
class FlightClient;
}

namespace quiver::client {

// Where a Flight service is and how to reach it.
struct FlightSource {
  // grpc://host:port, grpc+tcp://host:port or grpc+tls://host:port.
  std::string location;
  // Basic authentication (Handshake, then the returned bearer token on every call) when set.
  std::string user;
  std::string password;
  // PEM file of the certificates that sign the service's TLS certificate; empty: system roots.
  std::string tls_root_certs_file;
  // Accept any server certificate.
  bool tls_skip_verify = false;
};

// What to ask the service for.
struct FlightRequest {
  enum class Kind { kPath, kCommand };
  Kind kind = Kind::kPath;
  // The single path component of a PATH descriptor, or the command of a CMD descriptor.
  std::string text;
};

// One endpoint of a FlightInfo.
struct FlightPart {
  std::string ticket;
  // Where the ticket can be redeemed; empty: the service that listed it.
  std::vector<std::string> locations;
};

// A connection to one Flight service. Thread-safe: parts may be read from several threads.
// Every error names the service's location; none contains the password.
class FlightReader {
 public:
  // Connects and, when the source has a user, authenticates (which also proves the service is
  // reachable; without a user the first call does).
  static arrow::Result<std::shared_ptr<FlightReader>> Connect(FlightSource source);
  ~FlightReader();
  FlightReader(const FlightReader&) = delete;
  FlightReader& operator=(const FlightReader&) = delete;

  // The result schema: GetSchema, or the schema in GetFlightInfo's answer when the service does
  // not implement GetSchema.
  arrow::Result<std::shared_ptr<arrow::Schema>> GetSchema(const FlightRequest& request);
  // The parts of the result (GetFlightInfo); for a query this usually runs it.
  arrow::Result<std::vector<FlightPart>> ListParts(const FlightRequest& request);
  // Streams one part (DoGet), from the first of its locations that answers, or from this service
  // when it has none.
  arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> ReadPart(const FlightPart& part);

  const std::string& location() const { return source_.location; }

  // A connection to one location (defined in the .cpp file).
  struct Client;

 private:
  explicit FlightReader(FlightSource source);
  // The connection to `location` (this service's or an endpoint's), connected on first use.
  arrow::Result<std::shared_ptr<Client>> ClientFor(const std::string& location);
  arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> ReadFrom(
      const std::shared_ptr<Client>& client, const FlightPart& part);

  FlightSource source_;
  std::string tls_root_certs_;
  std::shared_ptr<Client> main_;
  std::mutex mutex_;  // guards others_
  std::map<std::string, std::shared_ptr<Client>> others_;
};

// True when `text` starts (after white space) with a keyword that begins an SQL query: SELECT,
// WITH, FROM, VALUES, SHOW, DESCRIBE, TABLE or PRAGMA, in any case.
bool LooksLikeSql(const std::string& text);

// The request arrow_flight() sends for its second argument: SQL as a command, else a dataset path.
FlightRequest RequestFor(const std::string& dataset_or_sql);

}  // namespace quiver::client
