// The client subcommands of `quiver`: sql, put, get, tables and schema, talking to any Flight SQL
// server. quiver_main.cpp adds them next to `serve` and runs the one that was parsed.
#pragma once

#include <memory>
#include <optional>

namespace CLI {
class App;
}

namespace quiver::client {

class ClientCommands {
 public:
  // Adds the subcommands (and their flags) to `app`.
  explicit ClientCommands(CLI::App* app);
  ~ClientCommands();
  ClientCommands(const ClientCommands&) = delete;
  ClientCommands& operator=(const ClientCommands&) = delete;

  // After parsing: the exit status of the client subcommand that was given, nullopt when none was.
  std::optional<int> Run();

  struct Flags;

 private:
  std::unique_ptr<Flags> flags_;
};

}  // namespace quiver::client
