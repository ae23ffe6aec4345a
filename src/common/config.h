// Server configuration: one struct, filled from defaults, then a YAML file, then QUIVER_*
// environment variables and command-line flags (those two are applied by the CLI layer).
#pragma once

#include <arrow/result.h>
#include <arrow/status.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace quiver {

struct UserConfig {
  std::string name;
  // Hex-encoded SHA-256 of the password; plain passwords in the YAML file are hashed on load
  // so that the clear text never lives longer than parsing.
  std::string password_sha256;
};

// A static token that authenticates as `user` when sent in the `auth-token-bin` header or as
// the payload of a Flight Handshake (the CloudQuery arrowflight destination does both). Only
// its SHA-256 is kept, like passwords.
struct TokenConfig {
  std::string user;
  std::string token_sha256;
};

// A remote Arrow Flight service that SQL can read with arrow_flight('<name>', ...). The secrets
// live here (the YAML file) so that they never have to be written into SQL text.
struct FlightConnectionConfig {
  std::string name;
  // grpc://host:port, grpc+tcp://host:port or grpc+tls://host:port.
  std::string location;
  // Basic authentication when non-empty (the password may be empty).
  std::string user;
  std::string password;
  // PEM file of the certificates that sign the service's TLS certificate; empty: system roots.
  std::string tls_root_certs_file;
  // Accept any server certificate (testing only).
  bool tls_skip_verify = false;
};

// TLS for the Flight listener (clients use grpc+tls://); mutual TLS with a client CA.
struct TlsConfig {
  bool enabled = false;
  std::string cert_file;       // PEM certificate chain
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // PEM CA bundle: when set, clients must present a certificate
};

// What SQL may reach outside the database, resolved (see ServerConfig::EffectiveSecurity()).
struct SecurityPolicy {
  // Files of the server: read_csv() and friends, COPY, EXPORT/IMPORT DATABASE, ATTACH of files,
  // INSTALL, profiling and log output (DuckDB's enable_external_access).
  bool allow_file_access = true;
  // ATTACH and DETACH statements (other database files, or :memory: ones).
  bool allow_attach = true;
  // INSTALL and LOAD, extension autoloading/autoinstalling and extension settings.
  bool allow_extensions = true;
};

// The `security:` section. Unset values take their defaults from where the server listens.
struct SecurityConfig {
  std::optional<bool> allow_file_access;
  std::optional<bool> allow_attach;
  std::optional<bool> allow_extensions;
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 9090;
  std::string database = "quiver.duckdb";
  bool allow_anonymous = false;
  std::vector<UserConfig> users;
  std::vector<TokenConfig> tokens;

  int64_t tickets_lifetime_seconds = 600;
  bool cancel_ticket_after_do_get = false;

  // Ticket memory budget. Results kept for DoGet hold at most this many bytes in memory; the
  // others are written to Arrow IPC files (0 = write them all).
  int64_t tickets_memory_budget_bytes = int64_t{1024} * 1024 * 1024;
  // Quiver writes those files to its own subdirectory quiver-spill-<pid>-<random> of this one,
  // created at start-up and removed at shutdown. Empty: $TMPDIR, else /tmp.
  std::string spill_directory;

  // Idle seconds before a session or bearer token expires, unless the client asks for another
  // session timeout (at most max_session_timeout).
  int64_t default_session_timeout = 60;
  int64_t max_session_timeout = 3600;
  // Honour `x-clickhouse-session-close: 1`.
  bool enable_arrow_close_session = true;
  // Poll descriptors expire this long after their last use (0 = never).
  int64_t poll_descriptors_lifetime_seconds = 600;
  // Drop a poll descriptor once it has been answered.
  bool cancel_flight_descriptor_after_poll_flight_info = false;
  TlsConfig tls;
  // Open prepared statements per user; 0 = no limit.
  int64_t max_prepared_statements_per_user = 100;
  // > 0: a prepared statement expires this long after its last use; 0 or -1: it does not expire
  // (-1 will tie session-bound statements to their session once sessions exist).
  int64_t prepared_statements_lifetime_seconds = -1;

  // Results are sent in record batches of at most about this many bytes (Go clients default to
  // a 4 MiB receive limit, so stay well below it).
  int64_t max_batch_bytes = 2 * 1024 * 1024;
  // Largest descriptor command, path or ticket accepted.
  int64_t max_command_bytes = 16 * 1024 * 1024;
  // Seconds given to in-flight calls at shutdown before they are cancelled.
  int64_t shutdown_grace_seconds = 5;
  // Limits (0 = unlimited). Queries running at once across all users (calls beyond it wait up
  // to a few seconds, then fail UNAVAILABLE); results kept as tickets per user; a query's
  // running time before it is interrupted (DEADLINE_EXCEEDED).
  int64_t max_concurrent_queries = 0;
  int64_t max_tickets_per_user = 0;
  int64_t query_timeout_seconds = 0;
  // Open sessions across all users (0 = unlimited); a new session beyond it is refused.
  int64_t max_sessions = 0;
  // Bytes of Arrow data (record batch buffers) one DoPut may send (0 = unlimited); a stream that
  // goes beyond it fails and what it would have inserted is not committed.
  int64_t max_put_bytes = 0;
  SecurityConfig security;
  // Remote Flight services for the arrow_flight() table function.
  std::vector<FlightConnectionConfig> flight_connections;

  // True when the host is a loopback address (127.0.0.0/8, ::1 or localhost).
  bool ListensOnLoopbackOnly() const;
  // `security` with its defaults filled in: file access when listening on loopback only;
  // ATTACH and extensions when file access is allowed.
  SecurityPolicy EffectiveSecurity() const;
  // Checks cross-field rules (ranges, anonymous access on public hosts).
  arrow::Status Validate() const;
  // One line for the start-up log; never contains secrets.
  std::string Describe() const;
};

// Applies the YAML document to `config`. Unknown keys and wrong types are errors naming the key.
arrow::Status ApplyYamlText(const std::string& yaml_text, ServerConfig* config);
arrow::Status ApplyYamlFile(const std::string& path, ServerConfig* config);

// Lower-case hex SHA-256 of `text`.
std::string Sha256Hex(const std::string& text);

}  // namespace quiver
