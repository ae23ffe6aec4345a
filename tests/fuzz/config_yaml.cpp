// Fuzz target: the YAML configuration loader (ApplyYamlText in src/common/config.h) and what
// the server does next with a loaded configuration (Validate, the start-up log line).
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/config.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  quiver::ServerConfig config;
  const auto status = quiver::ApplyYamlText(std::string(quiver::fuzz::AsText(data, size)), &config);
  if (!status.ok()) return 0;
  (void)config.Validate();
  (void)config.ListensOnLoopbackOnly();
  // Secrets never reach the start-up log: the line is the same whatever they are.
  quiver::ServerConfig scrubbed = config;
  for (auto& connection : scrubbed.flight_connections) connection.password = "-";
  for (auto& user : scrubbed.users) user.password_sha256 = "-";
  for (auto& token : scrubbed.tokens) token.token_sha256 = "-";
  const std::string line = config.Describe();
  QUIVER_FUZZ_CHECK(scrubbed.Describe() == line, line);
  for (const auto& user : config.users) {
    QUIVER_FUZZ_CHECK(user.password_sha256.size() == 64, user.password_sha256);
  }
  return 0;
}
