#include "server/server_runner.h"

#include <arrow/flight/server_auth.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <thread>

#include "server/auth/auth_middleware.h"
#include "server/flight_service.h"

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

  ARROW_ASSIGN_OR_RAISE(auto database,
                        engine::Database::Open(config.database,
                                               {.flight_connections = config.flight_connections}));
  static SystemClock clock;
  auto users = std::make_shared<auth::UserStore>(config.users);
  auto tokens = std::make_shared<auth::TokenStore>(
      clock, std::chrono::seconds(config.default_session_timeout));

  ARROW_ASSIGN_OR_RAISE(auto location,
                        arrow::flight::Location::ForGrpcTcp(HostForUri(config.host), config.port));
  arrow::flight::FlightServerOptions options(location);
  options.auth_handler = std::make_shared<arrow::flight::NoOpAuthHandler>();
  options.middleware.emplace_back(auth::AuthMiddleware::kName,
                                  std::make_shared<auth::AuthMiddlewareFactory>(users, tokens));

  auto service = std::make_unique<FlightService>(database, config, clock);
  ARROW_RETURN_NOT_OK(service->Init(options));
  spdlog::info("Arrow Flight server listening on grpc://{}:{}", HostForUri(config.host),
               service->port());

  std::thread signal_waiter([&] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    spdlog::info("received signal {}, shutting down", signal_number);
    const auto deadline =
        std::chrono::system_clock::now() + std::chrono::seconds(config.shutdown_grace_seconds);
    auto status = service->Shutdown(&deadline);
    if (!status.ok()) spdlog::error("shutdown: {}", status.ToString());
  });
  ARROW_RETURN_NOT_OK(service->Wait());
  signal_waiter.join();
  service.reset();

  ARROW_RETURN_NOT_OK(database->Checkpoint());
  spdlog::info("database {} checkpointed; bye", config.database);
  return arrow::Status::OK();
}

}  // namespace quiver::server
