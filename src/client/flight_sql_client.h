// A small Flight SQL client over arrow::flight::FlightClient, for the `quiver` command line: it
// works with any Flight SQL server (Quiver, ClickHouse, Dremio, GizmoSQL, ...). Commands are our
// own protobuf messages (proto/flight_sql.proto) in google.protobuf.Any envelopes.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/status.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace arrow::flight {
class FlightClient;
class FlightInfo;
class FlightStreamReader;
}  // namespace arrow::flight

namespace quiver::client {

struct ConnectionOptions {
  // grpc://host:port, grpc+tcp://host:port or grpc+tls://host:port.
  std::string address = "grpc://127.0.0.1:9090";
  // Basic authentication (Handshake, then the returned bearer token on every call) when set.
  std::string user;
  std::string password;
  // PEM file of the certificates that sign the server's certificate; empty: system roots.
  std::string tls_ca_file;
  bool tls_skip_verify = false;
  // Extra gRPC metadata sent on every call (session ids, ...).
  std::vector<std::pair<std::string, std::string>> headers;
  // Deadline of each call in seconds; 0: none.
  double timeout_seconds = 0;
};

// How CommandStatementIngest treats the target table.
enum class IngestMode {
  kCreateOrAppend,  // create it when missing, append otherwise
  kCreate,          // create it; fail when it exists
  kAppend,          // append; fail when it is missing
  kReplace,         // replace it (create when missing)
};

// Filters of CommandGetTables (SQL LIKE patterns).
struct TablesFilter {
  std::optional<std::string> catalog;
  std::optional<std::string> schema_pattern;
  std::optional<std::string> table_pattern;
  std::vector<std::string> table_types;
};

class FlightSqlClient;

// The rows of one FlightInfo: every endpoint read with DoGet, in order. The schema is the first
// stream's (or the FlightInfo's when there is no endpoint). It must not outlive its client.
class QueryResult : public arrow::RecordBatchReader {
 public:
  ~QueryResult() override;
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override;
  arrow::Status Close() override;
  // The FlightInfo's total_records; -1 when the server does not say.
  int64_t total_records() const { return total_records_; }

 private:
  friend class FlightSqlClient;
  QueryResult(const FlightSqlClient* client, std::unique_ptr<arrow::flight::FlightInfo> info);
  arrow::Status OpenNextEndpoint();

  const FlightSqlClient* client_;
  std::unique_ptr<arrow::flight::FlightInfo> info_;
  std::shared_ptr<arrow::Schema> schema_;
  int64_t total_records_ = -1;
  size_t next_endpoint_ = 0;
  std::unique_ptr<arrow::flight::FlightStreamReader> stream_;
  // Connections to other locations named by endpoints, kept while their stream is read.
  std::unique_ptr<arrow::flight::FlightClient> other_;
};

class FlightSqlClient {
 public:
  // Connects and, with a user, authenticates. Errors name the address, never the password.
  static arrow::Result<std::unique_ptr<FlightSqlClient>> Connect(ConnectionOptions options);
  ~FlightSqlClient();
  FlightSqlClient(const FlightSqlClient&) = delete;
  FlightSqlClient& operator=(const FlightSqlClient&) = delete;

  // CommandStatementQuery: GetFlightInfo, then the rows of every endpoint.
  arrow::Result<std::shared_ptr<QueryResult>> Execute(const std::string& query) const;
  // CommandStatementUpdate (DoPut): the affected row count (-1 when the server does not say).
  arrow::Result<int64_t> ExecuteUpdate(const std::string& query) const;

  arrow::Result<std::shared_ptr<QueryResult>> GetCatalogs() const;
  arrow::Result<std::shared_ptr<QueryResult>> GetDbSchemas(
      const std::optional<std::string>& catalog,
      const std::optional<std::string>& schema_pattern) const;
  // catalog_name, db_schema_name, table_name, table_type [, table_schema (IPC-serialized)].
  arrow::Result<std::shared_ptr<QueryResult>> GetTables(const TablesFilter& filter,
                                                        bool include_schema) const;
  arrow::Result<std::shared_ptr<QueryResult>> GetPrimaryKeys(
      const std::optional<std::string>& catalog, const std::optional<std::string>& schema,
      const std::string& table) const;

  // CommandStatementIngest (DoPut) of every batch of `batches`; `on_batch(rows, bytes)` follows
  // the rows sent. Returns the row count the server reports (or the rows sent when it does not).
  arrow::Result<int64_t> Ingest(const std::optional<std::string>& catalog,
                                const std::optional<std::string>& schema, const std::string& table,
                                IngestMode mode, arrow::RecordBatchReader& batches,
                                const std::function<void(int64_t, int64_t)>& on_batch = {}) const;

  const std::string& address() const { return options_.address; }

  // Connection state (defined in the .cpp file).
  struct State;

 private:
  friend class QueryResult;
  explicit FlightSqlClient(ConnectionOptions options);
  arrow::Result<std::shared_ptr<QueryResult>> RunCommand(const std::string& what,
                                                         const std::string& command) const;
  // `status` of a call doing `what`, with a message naming the server.
  arrow::Status Fail(const std::string& what, const arrow::Status& status) const;

  ConnectionOptions options_;
  std::unique_ptr<State> state_;
};

// The schema in a GetTables `table_schema` value (an IPC-serialized schema).
arrow::Result<std::shared_ptr<arrow::Schema>> DecodeTableSchema(std::string_view bytes);

// The readable part of a status from Flight: without Arrow's "Flight returned ... error, with
// message:" wrapping and gRPC's detail suffix.
std::string CleanMessage(const arrow::Status& status);

}  // namespace quiver::client
