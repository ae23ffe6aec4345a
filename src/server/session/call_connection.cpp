#include "server/session/call_connection.h"

namespace quiver::session {

arrow::Result<CallConnection> ConnectionForCall(engine::Database& database,
                                                const std::shared_ptr<Session>& session,
                                                std::chrono::milliseconds wait) {
  if (!session) {
    ARROW_ASSIGN_OR_RAISE(auto connection, database.Connect());
    return CallConnection{std::move(connection), nullptr};
  }
  if (!session->busy.try_acquire_for(wait)) {
    return arrow::Status::Invalid("Session ", session->id, " is locked by another call");
  }
  return CallConnection{session->connection, std::make_shared<SessionHold>(session)};
}

}  // namespace quiver::session
