// Resolves the session of every call from its headers: ClickHouse's x-clickhouse-session-*
// headers or the Flight SQL cookie arrow_flight_session_id. Runs after authentication.
#pragma once

#include <memory>
#include <string>

#include <arrow/flight/server_middleware.h>

#include "server/session/session_store.h"

namespace quiver::session {

inline constexpr const char* kSessionCookie = "arrow_flight_session_id";

class SessionMiddleware : public arrow::flight::ServerMiddleware {
 public:
  static constexpr const char* kName = "quiver-session";
  SessionMiddleware(std::shared_ptr<SessionStore> store, std::shared_ptr<Session> session,
                    bool close_when_done)
      : store_(std::move(store)), session_(std::move(session)), close_when_done_(close_when_done) {}

  std::string name() const override { return kName; }
  void SendingHeaders(arrow::flight::AddCallHeaders*) override {}
  void CallCompleted(const arrow::Status&) override;

  const std::shared_ptr<Session>& session() const { return session_; }
  // Makes `session` the call's session (a new cookie session created by the call).
  void Adopt(std::shared_ptr<Session> session) { session_ = std::move(session); }

 private:
  std::shared_ptr<SessionStore> store_;
  std::shared_ptr<Session> session_;
  bool close_when_done_;
};

class SessionMiddlewareFactory : public arrow::flight::ServerMiddlewareFactory {
 public:
  SessionMiddlewareFactory(std::shared_ptr<SessionStore> store, bool allow_close)
      : store_(std::move(store)), allow_close_(allow_close) {}

  arrow::Status StartCall(const arrow::flight::CallInfo& info,
                          const arrow::flight::ServerCallContext& context,
                          std::shared_ptr<arrow::flight::ServerMiddleware>* middleware) override;

 private:
  std::shared_ptr<SessionStore> store_;
  bool allow_close_;
};

// The session middleware of a call (nullptr if none was installed).
SessionMiddleware* CallSessionMiddleware(const arrow::flight::ServerCallContext& context);
// The call's session, or nullptr.
std::shared_ptr<Session> CallSession(const arrow::flight::ServerCallContext& context);

}  // namespace quiver::session
