// `quiver`: the command-line entry point. `quiver serve` runs the Flight SQL server; `quiver sql`,
// `put`, `get`, `tables` and `schema` are a client for any Flight SQL server (src/client/).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "client/cli.h"
#include "common/config.h"
#include "server/server_runner.h"

namespace {

// Flags (and their QUIVER_* environment variables) override the YAML file; the file overrides
// the defaults. CLI11 parses first, so the flags are applied to the config after the file.
struct ServeFlags {
  std::string config_file;
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<std::string> database;
  bool allow_anonymous = false;
  CLI::Option* allow_anonymous_option = nullptr;
  std::optional<int64_t> tickets_lifetime_seconds;
  std::optional<bool> cancel_ticket_after_do_get;
  std::optional<int64_t> default_session_timeout;
  std::optional<int64_t> max_session_timeout;
  std::optional<bool> enable_arrow_close_session;
  std::optional<int64_t> poll_descriptors_lifetime_seconds;
  std::optional<bool> cancel_flight_descriptor_after_poll_flight_info;
  std::optional<int64_t> max_prepared_statements_per_user;
  std::optional<int64_t> prepared_statements_lifetime_seconds;
  std::optional<int64_t> tickets_memory_budget_bytes;
  std::optional<std::string> spill_directory;
  std::optional<bool> tls_enabled;
  std::optional<std::string> tls_cert_file;
  std::optional<std::string> tls_key_file;
  std::optional<std::string> tls_client_ca_file;
  std::optional<int64_t> max_concurrent_queries;
  std::optional<int64_t> max_tickets_per_user;
  std::optional<int64_t> query_timeout_seconds;
  std::optional<int64_t> max_sessions;
  std::optional<int64_t> max_put_bytes;
  std::optional<bool> security_allow_file_access;
  std::optional<bool> security_allow_attach;
  std::optional<bool> security_allow_extensions;
  std::optional<std::string> log_level;
};

// Adds `--name` with its QUIVER_NAME environment variable (dashes become underscores).
template <typename T>
void AddSetting(CLI::App* serve, const std::string& name, std::optional<T>* target,
                const std::string& help) {
  std::string env = "QUIVER_" + name;
  for (auto& c : env) c = c == '-' ? '_' : static_cast<char>(std::toupper(c));
  serve->add_option("--" + name, *target, help)->envname(env);
}

void AddServeFlags(CLI::App* serve, ServeFlags* flags) {
  serve->add_option("--config", flags->config_file, "YAML configuration file")
      ->envname("QUIVER_CONFIG");
  serve->add_option("--host", flags->host, "Address to listen on (default 127.0.0.1)")
      ->envname("QUIVER_HOST");
  serve->add_option("--port", flags->port, "Port to listen on; 0 picks a free one (default 9090)")
      ->envname("QUIVER_PORT");
  serve
      ->add_option("--database", flags->database,
                   "DuckDB database file, or :memory: (default quiver.duckdb)")
      ->envname("QUIVER_DATABASE");
  flags->allow_anonymous_option =
      serve
          ->add_flag("--allow-anonymous", flags->allow_anonymous,
                     "Allow serving without users on a non-loopback host")
          ->envname("QUIVER_ALLOW_ANONYMOUS");
  serve
      ->add_option("--tickets-lifetime-seconds", flags->tickets_lifetime_seconds,
                   "Seconds a ticket stays valid; 0 = forever (default 600)")
      ->envname("QUIVER_TICKETS_LIFETIME_SECONDS");
  serve
      ->add_option("--cancel-ticket-after-do-get", flags->cancel_ticket_after_do_get,
                   "Drop a ticket after its first DoGet (default false)")
      ->envname("QUIVER_CANCEL_TICKET_AFTER_DO_GET");
  serve
      ->add_option("--default-session-timeout", flags->default_session_timeout,
                   "Idle seconds before a bearer token expires (default 60)")
      ->envname("QUIVER_DEFAULT_SESSION_TIMEOUT");
  serve
      ->add_option("--max-session-timeout", flags->max_session_timeout,
                   "Largest session timeout a client may ask for (default 3600)")
      ->envname("QUIVER_MAX_SESSION_TIMEOUT");
  AddSetting(serve, "enable-arrow-close-session", &flags->enable_arrow_close_session,
             "Honour x-clickhouse-session-close: 1 (default true)");
  AddSetting(serve, "poll-descriptors-lifetime-seconds", &flags->poll_descriptors_lifetime_seconds,
             "Seconds a poll descriptor stays valid; 0 = forever (default 600)");
  AddSetting(serve, "cancel-flight-descriptor-after-poll-flight-info",
             &flags->cancel_flight_descriptor_after_poll_flight_info,
             "Drop a poll descriptor once answered (default false)");
  AddSetting(serve, "max-prepared-statements-per-user", &flags->max_prepared_statements_per_user,
             "Open prepared statements per user; 0 = no limit (default 100)");
  AddSetting(serve, "prepared-statements-lifetime-seconds",
             &flags->prepared_statements_lifetime_seconds,
             "Prepared statement lifetime after last use; 0 or -1 = no expiry (default -1)");
  AddSetting(serve, "tickets-memory-budget-bytes", &flags->tickets_memory_budget_bytes,
             "Bytes of tickets kept in memory before spilling to disk (default 1 GiB)");
  AddSetting(serve, "spill-directory", &flags->spill_directory,
             "Directory for spilled tickets (default: a temporary directory)");
  AddSetting(serve, "tls-enabled", &flags->tls_enabled, "Serve grpc+tls:// (default false)");
  AddSetting(serve, "tls-cert-file", &flags->tls_cert_file, "PEM certificate chain for TLS");
  AddSetting(serve, "tls-key-file", &flags->tls_key_file, "PEM private key for TLS");
  AddSetting(serve, "tls-client-ca-file", &flags->tls_client_ca_file,
             "PEM CA bundle: clients must present a certificate it signed (mutual TLS)");
  AddSetting(serve, "max-concurrent-queries", &flags->max_concurrent_queries,
             "Queries running at once across all users; 0 = no limit (default 0)");
  AddSetting(serve, "max-tickets-per-user", &flags->max_tickets_per_user,
             "Results kept as tickets per user; 0 = no limit (default 0)");
  AddSetting(serve, "query-timeout-seconds", &flags->query_timeout_seconds,
             "Seconds a query may run before it is interrupted; 0 = none (default 0)");
  AddSetting(serve, "max-sessions", &flags->max_sessions,
             "Open sessions across all users; 0 = no limit (default 0)");
  AddSetting(serve, "max-put-bytes", &flags->max_put_bytes,
             "Bytes of Arrow data one DoPut may send; 0 = no limit (default 0)");
  AddSetting(serve, "security-allow-file-access", &flags->security_allow_file_access,
             "Let SQL read and write server files (default: true on loopback only)");
  AddSetting(serve, "security-allow-attach", &flags->security_allow_attach,
             "Allow ATTACH and DETACH (default: security.allow_file_access)");
  AddSetting(serve, "security-allow-extensions", &flags->security_allow_extensions,
             "Allow INSTALL, LOAD and extension autoloading (default: security.allow_file_access)");
  serve->add_option("--log-level", flags->log_level, "trace, debug, info, warn or error")
      ->envname("QUIVER_LOG_LEVEL");
}

template <typename T>
void Override(const std::optional<T>& flag, T* value) {
  if (flag) *value = *flag;
}

template <typename T>
void Override(const std::optional<T>& flag, std::optional<T>* value) {
  if (flag) *value = *flag;
}

int Serve(const ServeFlags& flags) {
  quiver::ServerConfig config;
  if (!flags.config_file.empty()) {
    auto status = quiver::ApplyYamlFile(flags.config_file, &config);
    if (!status.ok()) {
      spdlog::error("{}", status.message());
      return 2;
    }
  }
  Override(flags.host, &config.host);
  Override(flags.port, &config.port);
  Override(flags.database, &config.database);
  if (flags.allow_anonymous_option->count() > 0) config.allow_anonymous = flags.allow_anonymous;
  Override(flags.tickets_lifetime_seconds, &config.tickets_lifetime_seconds);
  Override(flags.cancel_ticket_after_do_get, &config.cancel_ticket_after_do_get);
  Override(flags.default_session_timeout, &config.default_session_timeout);
  Override(flags.max_session_timeout, &config.max_session_timeout);
  Override(flags.enable_arrow_close_session, &config.enable_arrow_close_session);
  Override(flags.poll_descriptors_lifetime_seconds, &config.poll_descriptors_lifetime_seconds);
  Override(flags.cancel_flight_descriptor_after_poll_flight_info,
           &config.cancel_flight_descriptor_after_poll_flight_info);
  Override(flags.max_prepared_statements_per_user, &config.max_prepared_statements_per_user);
  Override(flags.prepared_statements_lifetime_seconds,
           &config.prepared_statements_lifetime_seconds);
  Override(flags.tickets_memory_budget_bytes, &config.tickets_memory_budget_bytes);
  Override(flags.spill_directory, &config.spill_directory);
  Override(flags.tls_enabled, &config.tls.enabled);
  Override(flags.tls_cert_file, &config.tls.cert_file);
  Override(flags.tls_key_file, &config.tls.key_file);
  Override(flags.tls_client_ca_file, &config.tls.client_ca_file);
  Override(flags.max_concurrent_queries, &config.max_concurrent_queries);
  Override(flags.max_tickets_per_user, &config.max_tickets_per_user);
  Override(flags.query_timeout_seconds, &config.query_timeout_seconds);
  Override(flags.max_sessions, &config.max_sessions);
  Override(flags.max_put_bytes, &config.max_put_bytes);
  Override(flags.security_allow_file_access, &config.security.allow_file_access);
  Override(flags.security_allow_attach, &config.security.allow_attach);
  Override(flags.security_allow_extensions, &config.security.allow_extensions);
  auto status = quiver::server::RunServer(config);
  if (!status.ok()) {
    spdlog::error("{}", status.message());
    return 1;
  }
  return 0;
}

}  // namespace

namespace {

// Arrow's default memory pool in the pyarrow wheel is mimalloc, which returns freed pages to the
// kernel 10 ms after they are freed. A GetFlightInfo result (up to gigabytes) always outlives that,
// so every large GetFlightInfo faulted in and zero-filled fresh memory: 2-3x its CPU cost
// (docs/performance.md, "Where the time goes"). Keep freed pages for 30 s instead (an idle server
// still gives them back). mimalloc reads its options when libarrow is loaded, before main() runs,
// so setting the variable here is too late for this process: set it and execute again, once (the
// re-executed process finds it set). Only for `serve` (client commands are short-lived and would
// pay the second start-up, ~80 ms); an explicit value in the environment, even empty, wins; if
// the exec fails, run on without it. The pid stays the same.
constexpr const char* kMimallocPurgeDelay = "MIMALLOC_PURGE_DELAY";
constexpr const char* kMimallocPurgeDelayMs = "30000";

void ReexecServeWithMimallocPurgeDelay(int argc, char** argv) {
  if (std::getenv(kMimallocPurgeDelay) != nullptr || argc < 2 || argv[0] == nullptr) return;
  bool serve = false;
  for (int i = 1; i < argc; ++i) serve = serve || std::string_view(argv[i]) == "serve";
  if (!serve || setenv(kMimallocPurgeDelay, kMimallocPurgeDelayMs, /*overwrite=*/0) != 0) return;
  execv("/proc/self/exe", argv);  // returns only on failure
}

}  // namespace

int main(int argc, char** argv) {
  ReexecServeWithMimallocPurgeDelay(argc, argv);
  CLI::App app{"Quiver: an Arrow Flight SQL server on DuckDB"};
  app.require_subcommand(1);
  ServeFlags serve_flags;
  CLI::App* serve = app.add_subcommand("serve", "Run the Flight server");
  AddServeFlags(serve, &serve_flags);
  quiver::client::ClientCommands client_commands(&app);
  CLI11_PARSE(app, argc, argv);
  if (auto code = client_commands.Run()) return *code;

  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  if (serve_flags.log_level) {
    spdlog::set_level(spdlog::level::from_str(*serve_flags.log_level));
  }
  if (serve->parsed()) return Serve(serve_flags);
  return EXIT_SUCCESS;
}
