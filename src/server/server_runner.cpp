#include "server/server_runner.h"

#include <arrow/flight/server_auth.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <thread>

#include "server/auth/auth_middleware.h"
#include "server/auth/handshake_auth.h"
#include "server/flight_service.h"
#include "server/session/session_middleware.h"
#include "server/tls.h"

namespace quiver::server {
namespace {

std::string HostForUri(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

arrow::Status RunServer(const ServerConfig& config) {
  ARROW_RETURN_NOT_OK(config.Validate());
  spdlog::info("configuration: {}", config.Describe());

  // Block the shutdown signals in every thread (gRPC's included); one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ARROW_ASSIGN_OR_RAISE(
      auto database,
      engine::Database::Open(config.database, {.flight_connections = config.flight_connections,
                                               .security = config.EffectiveSecurity()}));
  static SystemClock clock;
  auto users = std::make_shared<auth::UserStore>(config.users);
  auto tokens = std::make_shared<auth::TokenStore>(
      clock, std::chrono::seconds(config.default_session_timeout));

  const std::string host = HostForUri(config.host);
  ARROW_ASSIGN_OR_RAISE(auto location,
                        config.tls.enabled
                            ? arrow::flight::Location::ForGrpcTls(host, config.port)
                            : arrow::flight::Location::ForGrpcTcp(host, config.port));
  arrow::flight::FlightServerOptions options(location);
  ARROW_RETURN_NOT_OK(ApplyTls(config.tls, &options));
  auth::InstallHandshakeAuth(config, users, tokens, &options);
  options.middleware.emplace_back(auth::AuthMiddleware::kName,
                                  std::make_shared<auth::AuthMiddlewareFactory>(users, tokens));
  auto sessions = std::make_shared<session::SessionStore>(
      database, clock, std::chrono::seconds(config.default_session_timeout),
      std::chrono::seconds(config.max_session_timeout), config.max_sessions);
  // After authentication: sessions belong to the authenticated user.
  options.middleware.emplace_back(
      session::SessionMiddleware::kName,
      std::make_shared<session::SessionMiddlewareFactory>(sessions,
                                                          config.enable_arrow_close_session));

  auto service = std::make_unique<FlightService>(database, config, clock, sessions);
  // Before serving: an unusable spill directory is a start-up error. The directory goes away
  // with the service (at `service.reset()` below).
  ARROW_RETURN_NOT_OK(service->tickets().EnableSpilling(config.tickets_memory_budget_bytes,
                                                        config.spill_directory));
  spdlog::info("tickets beyond {} bytes in memory spill to {}", config.tickets_memory_budget_bytes,
               service->tickets().spill_directory());
  ARROW_RETURN_NOT_OK(service->Init(options));
  spdlog::info("Arrow Flight server listening on {}://{}:{}",
               config.tls.enabled ? "grpc+tls" : "grpc", host, service->port());

  std::thread signal_waiter([&] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    spdlog::info("received signal {}, shutting down", signal_number);
    // Running queries stop now; calls in flight get the grace period to finish sending.
    service->StopQueries();
    const auto deadline =
        std::chrono::system_clock::now() + std::chrono::seconds(config.shutdown_grace_seconds);
    auto status = service->Shutdown(&deadline);
    if (!status.ok()) spdlog::error("shutdown: {}", status.ToString());
  });
  ARROW_RETURN_NOT_OK(service->Wait());
  signal_waiter.join();
  service.reset();
  // Open transactions of sessions roll back now; a checkpoint cannot run beside them.
  sessions->CloseAll();

  ARROW_RETURN_NOT_OK(database->Checkpoint());
  spdlog::info("database {} checkpointed; bye", config.database);
  return arrow::Status::OK();
}

}  // namespace quiver::server
