#include "server/auth/handshake_auth.h"

#include <arrow/flight/types.h>
#include <spdlog/spdlog.h>

#include "server/auth/auth_middleware.h"

namespace quiver::auth {
namespace {

arrow::Status Unauthenticated(const std::string& message) {
  return arrow::flight::MakeFlightError(arrow::flight::FlightStatusCode::Unauthenticated, message);
}

}  // namespace

arrow::Status HandshakeAuthHandler::Authenticate(const arrow::flight::ServerCallContext& context,
                                                 arrow::flight::ServerAuthSender* outgoing,
                                                 arrow::flight::ServerAuthReader* incoming) {
  std::string payload;
  // The end of the stream (no message) reads as an error: no payload.
  if (!incoming->Read(&payload).ok()) payload.clear();
  if (payload.empty()) {
    // The middleware let a header-less Handshake through for its payload; without one it is
    // the anonymous user, who may not exist.
    if (CallUser(context).empty()) {
      return Unauthenticated(users_->Authenticate(UserStore::kAnonymousUser, "").message());
    }
    return arrow::Status::OK();
  }
  if (tokens_->PermanentUser(payload)) return outgoing->Write(payload);
  const auto colon = payload.find(':');
  if (colon == std::string::npos) {
    spdlog::warn("Handshake from {}: unknown token", context.peer());
    return Unauthenticated(
        "Handshake failed: the payload is neither a configured token nor "
        "user:password");
  }
  const std::string user = payload.substr(0, colon);
  auto status = users_->Authenticate(user, payload.substr(colon + 1));
  if (!status.ok()) {
    spdlog::warn("Handshake authentication failed for user '{}' from {}", user, context.peer());
    return Unauthenticated(status.message());
  }
  return outgoing->Write(tokens_->Issue(user));
}

void InstallHandshakeAuth(const ServerConfig& config, const std::shared_ptr<UserStore>& users,
                          const std::shared_ptr<TokenStore>& tokens,
                          arrow::flight::FlightServerOptions* options) {
  for (const auto& token : config.tokens) tokens->AddPermanent(token.token_sha256, token.user);
  options->auth_handler = std::make_shared<HandshakeAuthHandler>(users, tokens);
}

}  // namespace quiver::auth
