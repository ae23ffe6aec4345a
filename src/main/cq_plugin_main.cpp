// `quiver-cq-arrowflight`: a CloudQuery destination plugin that writes to an Arrow Flight service
// (Quiver, or any service the Go `arrowflight` plugin works with). The CloudQuery CLI starts it
// as `quiver-cq-arrowflight serve --network unix --address /tmp/cq-....sock --log-format json
// --log-level info [...]` and talks plugin protocol v3 to it over gRPC.
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

#include "destination/json_log.h"
#include "destination/plugin_service.h"

namespace {

// The CLI and the Go SDK allow 200 MiB messages in both directions.
constexpr int kMaxGrpcMessageBytes = 200 * 1024 * 1024;

struct ServeFlags {
  std::string address = "localhost:7777";
  std::string network = "tcp";
  std::string log_level = "info";
  std::string log_format = "text";
  // Accepted because the CLI may pass them; this plugin has no use for them.
  bool no_sentry = false;
  std::string license;
  std::string otel_endpoint;
  bool otel_endpoint_insecure = false;
};

int Serve(const ServeFlags& flags) {
  auto logging = quiver::destination::SetupLogging(flags.log_level, flags.log_format);
  if (!logging.ok()) {
    std::cerr << logging.message() << std::endl;
    return 2;
  }
  std::string listen;
  bool unix_socket = false;
  if (flags.network == "unix") {
    listen = "unix:" + flags.address;
    unix_socket = true;
  } else if (flags.network == "tcp" || flags.network == "tcp4" || flags.network == "tcp6") {
    // Go's ":7777" means every interface.
    listen = flags.address.rfind(':', 0) == 0 ? "0.0.0.0" + flags.address : flags.address;
  } else {
    spdlog::error("--network must be tcp or unix (got '{}')", flags.network);
    return 2;
  }

  // Block the shutdown signals in every thread (gRPC's included); one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto destination = std::make_shared<quiver::destination::Destination>();
  quiver::destination::PluginService plugin(destination);
  quiver::destination::DiscoveryService discovery;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(),
                           unix_socket ? nullptr : &port);
  builder.SetMaxReceiveMessageSize(kMaxGrpcMessageBytes);
  builder.SetMaxSendMessageSize(kMaxGrpcMessageBytes);
  builder.RegisterService(&plugin);
  builder.RegisterService(&discovery);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || (!unix_socket && port == 0)) {
    spdlog::error("cannot listen on {} ({})", flags.address, flags.network);
    return 1;
  }
  spdlog::info("Plugin server listening on {} ({}), plugin {} {}", flags.address, flags.network,
               quiver::destination::kPluginName, quiver::destination::kPluginVersion);

  std::thread signal_waiter([&] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    spdlog::info("received signal {}, shutting down", signal_number);
    // Running calls get a moment to finish; the CLI sends SIGKILL 5 s after SIGINT.
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  });
  server->Wait();
  signal_waiter.join();
  auto closed = destination->Close();
  if (!closed.ok()) spdlog::warn("closing at exit: {}", closed.message());
  if (unix_socket) {
    std::error_code ignored;
    std::filesystem::remove(flags.address, ignored);
  }
  spdlog::info("bye");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"CloudQuery arrowflight destination plugin (Quiver)"};
  app.set_version_flag("--version", std::string(quiver::destination::kPluginName) + " version " +
                                        quiver::destination::kPluginVersion);
  app.require_subcommand(1);
  ServeFlags flags;
  CLI::App* serve = app.add_subcommand("serve", "Serve the plugin over gRPC");
  serve->add_option("--address", flags.address, "host:port, or a socket path with --network unix");
  serve->add_option("--network", flags.network, "tcp or unix");
  serve->add_option("--log-level", flags.log_level, "trace, debug, info, warn or error");
  serve->add_option("--log-format", flags.log_format, "json or text");
  serve->add_flag("--no-sentry", flags.no_sentry, "ignored");
  serve->add_option("--license", flags.license, "ignored");
  serve->add_option("--otel-endpoint", flags.otel_endpoint, "ignored");
  serve->add_flag("--otel-endpoint-insecure", flags.otel_endpoint_insecure, "ignored");
  // Newer CLIs may add flags: ignore what we do not know rather than refuse to start.
  serve->allow_extras();
  CLI11_PARSE(app, argc, argv);
  if (serve->parsed()) {
    if (!serve->remaining().empty()) {
      std::string ignored;
      for (const auto& arg : serve->remaining()) ignored += " " + arg;
      std::fprintf(stderr, "ignoring unknown arguments:%s\n", ignored.c_str());
    }
    return Serve(flags);
  }
  return 0;
}
