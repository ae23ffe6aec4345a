// The arrowflight destination's spec: the nested `spec:` of the destination block in a CloudQuery
// sync YAML, sent by the CLI as JSON. Keys, types and defaults match the Go arrowflight plugin.
#pragma once

#include <arrow/result.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace quiver::destination {

struct Spec {
  std::string addr;       // host:port of the Flight service (required to connect)
  std::string handshake;  // when set: Flight Handshake payload, whose answer becomes the token
  std::string token;      // sent as `auth-token-bin` on every call (replaced by a handshake)
  int64_t max_call_recv_msg_size = 4194304;
  int64_t max_call_send_msg_size = 2147483647;
  bool tls_enabled = false;
  std::string tls_server_name;
  bool tls_insecure_skip_verify = false;
};

// Parses the JSON text of a spec. `null` (what the CLI sends for an empty `spec:`) and `{}` give
// the defaults. Unknown keys, wrong JSON types and out-of-range sizes are Invalid, naming the key.
// `addr` is required unless `require_addr` is false (Init with no_connection).
arrow::Result<Spec> ParseSpec(std::string_view json_text, bool require_addr = true);

// The JSON schema of the spec (GetSpecSchema; `cloudquery validate-config` checks specs with it).
const std::string& SpecJsonSchema();

}  // namespace quiver::destination
