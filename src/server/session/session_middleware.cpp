#include "server/session/session_middleware.h"

#include <arrow/flight/server.h>

#include <charconv>
#include <optional>
#include <string_view>

#include "server/auth/auth_middleware.h"

namespace quiver::session {
namespace {

std::optional<std::string_view> Header(const arrow::flight::CallHeaders& headers,
                                       std::string_view name) {
  auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

// The value of `name` in a `cookie` header ("a=1; b=2"); quotes around the value are dropped.
std::optional<std::string> CookieValue(const arrow::flight::CallHeaders& headers,
                                       std::string_view name) {
  auto range = headers.equal_range("cookie");
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view cookies = it->second;
    while (!cookies.empty()) {
      const size_t end = cookies.find(';');
      std::string_view pair = cookies.substr(0, end);
      cookies = end == std::string_view::npos ? std::string_view() : cookies.substr(end + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const size_t equals = pair.find('=');
      if (equals == std::string_view::npos || pair.substr(0, equals) != name) continue;
      std::string_view value = pair.substr(equals + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (!value.empty()) return std::string(value);
    }
  }
  return std::nullopt;
}

}  // namespace

void SessionMiddleware::CallCompleted(const arrow::Status&) {
  if (close_when_done_ && session_) store_->Close(session_->user, session_->id);
}

arrow::Status SessionMiddlewareFactory::StartCall(
    const arrow::flight::CallInfo&, const arrow::flight::ServerCallContext& context,
    std::shared_ptr<arrow::flight::ServerMiddleware>* middleware) {
  const auto& headers = context.incoming_headers();
  std::optional<std::string> id;
  if (auto header = Header(headers, "x-clickhouse-session-id"); header && !header->empty()) {
    id = std::string(*header);
  } else {
    id = CookieValue(headers, kSessionCookie);
  }
  std::shared_ptr<Session> session;
  bool close = false;
  if (id) {
    std::optional<int64_t> timeout;
    if (auto text = Header(headers, "x-clickhouse-session-timeout")) {
      int64_t value = 0;
      auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
      if (error != std::errc() || end != text->data() + text->size() || value < 0) {
        return arrow::Status::Invalid("Invalid session timeout: ", *text);
      }
      timeout = value;
    }
    const bool must_exist = Header(headers, "x-clickhouse-session-check") == "1";
    ARROW_ASSIGN_OR_RAISE(session,
                          store_->Acquire(auth::CallUser(context), *id, timeout, must_exist));
    close = allow_close_ && Header(headers, "x-clickhouse-session-close") == "1";
  }
  *middleware = std::make_shared<SessionMiddleware>(store_, std::move(session), close);
  return arrow::Status::OK();
}

SessionMiddleware* CallSessionMiddleware(const arrow::flight::ServerCallContext& context) {
  return dynamic_cast<SessionMiddleware*>(context.GetMiddleware(SessionMiddleware::kName));
}

std::shared_ptr<Session> CallSession(const arrow::flight::ServerCallContext& context) {
  auto* middleware = CallSessionMiddleware(context);
  return middleware ? middleware->session() : nullptr;
}

}  // namespace quiver::session
