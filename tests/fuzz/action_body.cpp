// Fuzz target: DoAction bodies. The first byte chooses the action, the rest is its body:
//   0 CreatePreparedStatement, 1 ClosePreparedStatement, 2 EndTransaction (Flight SQL, Any-
//   wrapped or bare: DecodeActionBody), 3 CancelFlightInfo, 4 RenewFlightEndpoint,
//   5 SetSessionOptions (Flight's own request decoders; SetSessionOptions is then applied to a
//   fresh in-memory DuckDB connection as the server applies it to the call's connection).
#include <arrow/flight/types.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/sql_text.h"
#include "engine/database.h"
#include "flight_sql.pb.h"
#include "fuzz_util.h"
#include "server/flight_sql/envelope.h"
#include "server/session/session_options.h"

namespace {

namespace flight = arrow::flight;
namespace fs = quiver::flight_sql;
namespace proto = arrow::flight::protocol::sql;

// Decodes like the service and checks that the reply form round-trips.
template <typename T>
arrow::Result<T> DecodeAndCheck(const std::string& body) {
  bool wrapped = false;
  auto message = fs::DecodeActionBody<T>(body, &wrapped);
  if (!message.ok()) return message;
  if (wrapped) {
    auto any = fs::ParseFlightSqlAny(fs::Pack(*message));
    QUIVER_FUZZ_CHECK(any && any->template Is<T>(), T::descriptor()->name());
  }
  return message;
}

// Settings that would make the fuzzer itself misbehave (spawn threads, exhaust memory, write
// files where it runs); any SQL client can change them too, so they are not a protocol concern.
bool Harmful(const std::string& name) {
  for (const char* word : {"thread", "memory", "directory", "path", "file", "log", "extension",
                           "secret", "access", "lock"}) {
    if (name.find(word) != std::string::npos) return true;
  }
  return false;
}

void SetSessionOptions(const flight::SetSessionOptionsRequest& request) {
  for (const auto& [name, value] : request.session_options) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (Harmful(lower)) return;
  }
  // A database of its own: options may change global settings (memory_limit, threads ...).
  auto database = quiver::engine::Database::Open(":memory:");
  if (!database.ok()) std::abort();
  auto connection = (*database)->Connect();
  if (!connection.ok()) std::abort();
  auto result = quiver::session::SetSessionOptions(**connection, request);
  if (!result.ok()) return;
  for (const auto& [name, error] : result->errors) {
    QUIVER_FUZZ_CHECK(request.session_options.count(name) == 1, name);
  }
  (void)result->SerializeToString();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [selector, rest] = quiver::fuzz::Select(data, size);
  const std::string body(rest);
  switch (selector % 6) {
    case 0: {
      auto request = DecodeAndCheck<proto::ActionCreatePreparedStatementRequest>(body);
      if (request.ok()) {
        (void)quiver::sql::StripArrowFormat(request->query());
      }
      break;
    }
    case 1:
      (void)DecodeAndCheck<proto::ActionClosePreparedStatementRequest>(body);
      break;
    case 2:
      (void)DecodeAndCheck<proto::ActionEndTransactionRequest>(body);
      break;
    case 3: {
      auto request = flight::CancelFlightInfoRequest::Deserialize(body);
      if (request.ok()) (void)request->SerializeToString();
      break;
    }
    case 4: {
      auto request = flight::RenewFlightEndpointRequest::Deserialize(body);
      if (request.ok()) {
        flight::FlightEndpoint endpoint = request->endpoint;
        (void)endpoint.SerializeToString();
      }
      break;
    }
    default: {
      auto request = flight::SetSessionOptionsRequest::Deserialize(body);
      if (request.ok()) SetSessionOptions(*request);
      break;
    }
  }
  return 0;
}
