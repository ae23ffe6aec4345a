#include "server/auth/auth_middleware.h"

#include <arrow/flight/server.h>
#include <arrow/flight/types.h>
#include <spdlog/spdlog.h>

#include "server/auth/credentials.h"

namespace quiver::auth {
namespace {

arrow::Status Unauthenticated(const std::string& message) {
  return arrow::flight::MakeFlightError(arrow::flight::FlightStatusCode::Unauthenticated, message);
}

std::optional<std::string_view> FindHeader(const arrow::flight::CallHeaders& headers,
                                           std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < key.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(key[i])) == name[i];
    }
    if (same) return value;
  }
  return std::nullopt;
}

}  // namespace

void AuthMiddleware::SendingHeaders(arrow::flight::AddCallHeaders* outgoing_headers) {
  if (!issued_token_.empty())
    outgoing_headers->AddHeader("authorization", "Bearer " + issued_token_);
}

arrow::Status AuthMiddlewareFactory::StartCall(
    const arrow::flight::CallInfo& info, const arrow::flight::ServerCallContext& context,
    std::shared_ptr<arrow::flight::ServerMiddleware>* middleware) {
  auto header = FindHeader(context.incoming_headers(), "authorization");
  if (!header) {
    // Classic Flight token authentication (the CloudQuery arrowflight destination): a
    // configured token, or one a Handshake issued. An empty header is no token (the Go plugin
    // always sends one).
    auto token = FindHeader(context.incoming_headers(), "auth-token-bin");
    if (token && !token->empty()) {
      auto token_user = tokens_->Use(std::string(*token));
      if (!token_user) {
        return Unauthenticated("Invalid or expired token in the 'auth-token-bin' header");
      }
      *middleware = std::make_shared<AuthMiddleware>(std::move(*token_user), "");
      return arrow::Status::OK();
    }
    if (info.method == arrow::flight::FlightMethod::Handshake) {
      // The Handshake payload may hold the credentials: HandshakeAuthHandler decides. An empty
      // user here means the anonymous user does not exist.
      const bool anonymous = users_->Authenticate(UserStore::kAnonymousUser, "").ok();
      *middleware =
          std::make_shared<AuthMiddleware>(anonymous ? UserStore::kAnonymousUser : "", "");
      return arrow::Status::OK();
    }
  }
  auto credentials = ParseAuthorization(header);
  if (!credentials.ok()) return Unauthenticated(credentials.status().message());

  std::string user;
  std::string issued_token;
  if (auto* basic = std::get_if<BasicCredentials>(&*credentials)) {
    auto status = users_->Authenticate(basic->user, basic->password);
    if (!status.ok()) {
      spdlog::warn("authentication failed for user '{}' from {}", basic->user, context.peer());
      return Unauthenticated(status.message());
    }
    user = basic->user;
    issued_token = tokens_->Issue(user);
  } else if (auto* bearer = std::get_if<BearerToken>(&*credentials);
             bearer != nullptr && bearer->token != "None") {
    auto token_user = tokens_->Use(bearer->token);
    if (!token_user) return Unauthenticated("Bearer token expired or not authenticated");
    user = *token_user;
  } else {
    // No credentials (or the literal token "None" some clients send): the anonymous user.
    auto status = users_->Authenticate(UserStore::kAnonymousUser, "");
    if (!status.ok()) return Unauthenticated(status.message());
    user = UserStore::kAnonymousUser;
  }
  *middleware = std::make_shared<AuthMiddleware>(std::move(user), std::move(issued_token));
  return arrow::Status::OK();
}

const std::string& CallUser(const arrow::flight::ServerCallContext& context) {
  static const std::string kNobody;
  auto* middleware = dynamic_cast<AuthMiddleware*>(context.GetMiddleware(AuthMiddleware::kName));
  return middleware ? middleware->user() : kNobody;
}

}  // namespace quiver::auth
