// Fuzz target: authentication from call headers and Handshake payloads (src/server/auth/):
// the `authorization` header (Basic / Bearer, base64), `auth-token-bin`, through
// AuthMiddlewareFactory::StartCall with a fake call context, then HandshakeAuthHandler for a
// Handshake. Input: first byte (bit 0: Handshake call, bit 1: users configured, else anonymous),
// then "name: value" header lines; after an empty line, the Handshake payload.
#include <arrow/flight/server_auth.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/config.h"
#include "fuzz_util.h"
#include "server/auth/auth_middleware.h"
#include "server/auth/credentials.h"
#include "server/auth/handshake_auth.h"
#include "server/auth/token_store.h"
#include "server/auth/user_store.h"

namespace {

namespace auth = quiver::auth;
namespace flight = arrow::flight;

class PayloadReader : public flight::ServerAuthReader {
 public:
  explicit PayloadReader(std::string payload) : payload_(std::move(payload)) {}
  arrow::Status Read(std::string* token) override {
    if (read_) return arrow::Status::IOError("end of stream");
    read_ = true;
    *token = payload_;
    return arrow::Status::OK();
  }

 private:
  std::string payload_;
  bool read_ = false;
};

class DiscardingSender : public flight::ServerAuthSender {
 public:
  arrow::Status Write(const std::string& token) override {
    written = token;
    return arrow::Status::OK();
  }
  std::string written;
};

class CollectingHeaders : public flight::AddCallHeaders {
 public:
  void AddHeader(const std::string& key, const std::string& value) override {
    headers.emplace_back(key, value);
  }
  quiver::fuzz::HeaderList headers;
};

std::string EncodeBase64(std::string_view bytes) {
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                       uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(n >> shift) & 63]);
  }
  if (i + 1 == bytes.size()) {
    const uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

struct Stores {
  std::shared_ptr<auth::UserStore> users;
  std::shared_ptr<auth::TokenStore> tokens;
};

Stores MakeStores(bool with_users) {
  static quiver::FakeClock clock;
  std::vector<quiver::UserConfig> users;
  if (with_users) users.push_back({"alice", quiver::Sha256Hex("secret")});
  Stores stores{std::make_shared<auth::UserStore>(users),
                std::make_shared<auth::TokenStore>(clock, std::chrono::seconds(60))};
  stores.tokens->AddPermanent(quiver::Sha256Hex("permanent-token"), with_users ? "alice" : "default");
  return stores;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  quiver::fuzz::QuietLogs quiet;
  const auto [selector, rest] = quiver::fuzz::Select(data, size);
  const bool handshake = (selector & 1) != 0;
  const size_t blank = rest.find("\n\n");
  const std::string_view header_text = rest.substr(0, blank);
  const std::string payload(blank == std::string_view::npos ? std::string_view()
                                                            : rest.substr(blank + 2));
  auto headers = quiver::fuzz::ParseHeaderLines(header_text);

  // The pure decoders on every header value.
  for (const auto& [name, value] : headers) {
    auto credentials = auth::ParseAuthorization(std::string_view(value));
    if (credentials.ok()) {
      if (auto* bearer = std::get_if<auth::BearerToken>(&*credentials)) {
        QUIVER_FUZZ_CHECK(!bearer->token.empty(), value);
      }
    }
    (void)auth::DecodeBase64(value);
  }
  // base64 round trip of the raw input.
  const auto round_trip = auth::DecodeBase64(EncodeBase64(rest));
  QUIVER_FUZZ_CHECK(round_trip && *round_trip == rest, rest);

  Stores stores = MakeStores((selector & 2) != 0);
  quiver::fuzz::FakeCallContext context(std::move(headers));
  auth::AuthMiddlewareFactory factory(stores.users, stores.tokens);
  std::shared_ptr<flight::ServerMiddleware> middleware;
  const flight::CallInfo info{handshake ? flight::FlightMethod::Handshake
                                        : flight::FlightMethod::DoGet};
  if (!factory.StartCall(info, context, &middleware).ok()) return 0;
  QUIVER_FUZZ_CHECK(middleware != nullptr, "StartCall succeeded without a middleware");
  context.SetMiddleware(auth::AuthMiddleware::kName, middleware);
  const std::string user = auth::CallUser(context);
  // Only a known user gets in; anonymous access only when no users are configured. An empty
  // user is let through for a Handshake only (its payload decides).
  QUIVER_FUZZ_CHECK(user == "alice" || user == "default" || (handshake && user.empty()), user);
  if ((selector & 2) != 0) QUIVER_FUZZ_CHECK(user != "default", user);
  if (handshake) {
    auth::HandshakeAuthHandler handler(stores.users, stores.tokens);
    PayloadReader reader(payload);
    DiscardingSender sender;
    if (handler.Authenticate(context, &sender, &reader).ok() && !sender.written.empty()) {
      QUIVER_FUZZ_CHECK(stores.tokens->Use(sender.written).has_value(), sender.written);
    }
  }
  // A Basic login answers with a Bearer token that then authenticates as the same user.
  CollectingHeaders outgoing;
  middleware->SendingHeaders(&outgoing);
  for (const auto& [name, value] : outgoing.headers) {
    QUIVER_FUZZ_CHECK(name == "authorization" && value.starts_with("Bearer "), value);
    QUIVER_FUZZ_CHECK(stores.tokens->Use(value.substr(7)) == user, value);
  }
  middleware->CallCompleted(arrow::Status::OK());
  return 0;
}
