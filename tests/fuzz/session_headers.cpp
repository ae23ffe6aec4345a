// Fuzz target: session resolution from call headers (src/server/session/session_middleware.h):
// x-clickhouse-session-id / -timeout / -check / -close and the arrow_flight_session_id cookie,
// driven through SessionMiddlewareFactory::StartCall with a fake call context, as the server
// runs it after authentication. Input: "name: value" lines (see fuzz_util.h).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/clock.h"
#include "engine/database.h"
#include "fuzz_util.h"
#include "server/auth/auth_middleware.h"
#include "server/session/session_middleware.h"
#include "server/session/session_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto database = quiver::engine::Database::Open(":memory:").ValueOrDie();
  static quiver::FakeClock clock;
  const auto [selector, rest] = quiver::fuzz::Select(data, size);

  quiver::fuzz::FakeCallContext context(quiver::fuzz::ParseHeaderLines(rest));
  context.SetMiddleware(quiver::auth::AuthMiddleware::kName,
                        std::make_shared<quiver::auth::AuthMiddleware>("default", ""));
  // A store per input: sessions (and their DuckDB connections) go with it.
  auto store = std::make_shared<quiver::session::SessionStore>(
      database, clock, std::chrono::seconds(60), std::chrono::seconds(3600), /*max_sessions=*/0);
  quiver::session::SessionMiddlewareFactory factory(store, /*allow_close=*/(selector & 1) != 0);

  std::shared_ptr<arrow::flight::ServerMiddleware> middleware;
  const arrow::flight::CallInfo info{arrow::flight::FlightMethod::DoGet};
  const auto status = factory.StartCall(info, context, &middleware);
  if (!status.ok()) return 0;
  QUIVER_FUZZ_CHECK(middleware != nullptr, "StartCall succeeded without a middleware");
  context.SetMiddleware(quiver::session::SessionMiddleware::kName, middleware);
  if (auto session = quiver::session::CallSession(context)) {
    QUIVER_FUZZ_CHECK(!session->id.empty() && session->user == "default", session->id);
    QUIVER_FUZZ_CHECK(session->connection != nullptr, session->id);
  }
  middleware->CallCompleted(arrow::Status::OK());
  return 0;
}
