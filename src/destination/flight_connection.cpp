#include "destination/flight_connection.h"

#include <arrow/flight/client_auth.h>
#include <arrow/flight/types.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace quiver::destination {
namespace flight = arrow::flight;

namespace {

// Handshake as the Go plugin does it: one request carrying the payload, one response whose
// payload is the token.
class PayloadHandshake : public flight::ClientAuthHandler {
 public:
  PayloadHandshake(std::string payload, std::string* token)
      : payload_(std::move(payload)), token_(token) {}
  arrow::Status Authenticate(flight::ClientAuthSender* outgoing,
                             flight::ClientAuthReader* incoming) override {
    ARROW_RETURN_NOT_OK(outgoing->Write(payload_));
    // No answer: the read's status carries the call's (e.g. UNAUTHENTICATED). Returning OK here
    // would make Arrow finish the call a second time.
    auto status = incoming->Read(token_);
    answered_ = status.ok();
    return status;
  }
  bool answered() const { return answered_; }
  // The token travels in our own call headers, not through this handler.
  arrow::Status GetToken(std::string* token) override {
    token->clear();
    return arrow::Status::OK();
  }

 private:
  std::string payload_;
  std::string* token_;
  bool answered_ = false;
};

flight::FlightStatusCode FlightCode(const arrow::Status& status) {
  auto detail = flight::FlightStatusDetail::UnwrapStatus(status);
  return detail ? detail->code() : flight::FlightStatusCode::Internal;
}

}  // namespace

bool IsUnavailable(const arrow::Status& status) {
  return !status.ok() && flight::FlightStatusDetail::UnwrapStatus(status) != nullptr &&
         FlightCode(status) == flight::FlightStatusCode::Unavailable;
}

bool IsUnauthenticated(const arrow::Status& status) {
  return !status.ok() && flight::FlightStatusDetail::UnwrapStatus(status) != nullptr &&
         FlightCode(status) == flight::FlightStatusCode::Unauthenticated;
}

arrow::Result<std::unique_ptr<flight::FlightClient>> FlightConnection::NewClient() const {
  auto options = flight::FlightClientOptions::Defaults();
  options.override_hostname = spec_.tls_server_name;
  options.disable_server_verification = spec_.tls_enabled && spec_.tls_insecure_skip_verify;
  options.generic_options.emplace_back("grpc.max_receive_message_length",
                                       static_cast<int>(spec_.max_call_recv_msg_size));
  options.generic_options.emplace_back("grpc.max_send_message_length",
                                       static_cast<int>(spec_.max_call_send_msg_size));
  // Fail fast and retry ourselves (bounded) rather than let gRPC wait for a dead address.
  options.generic_options.emplace_back("grpc.initial_reconnect_backoff_ms", 200);
  options.generic_options.emplace_back("grpc.max_reconnect_backoff_ms", 1000);
  return flight::FlightClient::Connect(location_, options);
}

arrow::Result<std::shared_ptr<FlightConnection>> FlightConnection::Open(const Spec& spec,
                                                                        const RetryPolicy& retry) {
  std::shared_ptr<FlightConnection> connection(new FlightConnection(spec, retry));
  const std::string scheme = spec.tls_enabled ? "grpc+tls://" : "grpc://";
  auto location = flight::Location::Parse(scheme + spec.addr);
  if (!location.ok()) {
    return arrow::Status::Invalid("spec key 'addr': cannot use '", spec.addr,
                                  "' as host:port: ", location.status().message());
  }
  connection->location_ = *location;
  ARROW_ASSIGN_OR_RAISE(connection->client_, connection->NewClient());
  connection->token_ = spec.token;
  if (!spec.handshake.empty()) {
    ARROW_RETURN_NOT_OK(
        connection->WithRetries("Handshake", [&] { return connection->Handshake(); }));
  }
  return connection;
}

FlightConnection::~FlightConnection() { (void)Close(); }

arrow::Status FlightConnection::Handshake() {
  // A separate client per handshake: installing an auth handler on the shared client would
  // make Arrow attach its own token header to every call, racing with token refreshes.
  ARROW_ASSIGN_OR_RAISE(auto handshake_client, NewClient());
  std::string token;
  auto options = CallOptions(std::chrono::seconds(30));
  options.headers.clear();
  auto handler = std::make_unique<PayloadHandshake>(spec_.handshake, &token);
  const PayloadHandshake* handshake = handler.get();  // owned by the client until it closes
  auto status = handshake_client->Authenticate(options, std::move(handler));
  if (status.ok() && !handshake->answered()) {
    status = arrow::Status::IOError("the service answered the Handshake with no token");
  }
  (void)handshake_client->Close();
  if (!status.ok())
    return status.WithMessage("Handshake with ", spec_.addr, ": ", status.message());
  std::lock_guard lock(token_mutex_);
  token_ = std::move(token);
  return arrow::Status::OK();
}

arrow::Status FlightConnection::Reauthenticate() {
  if (spec_.handshake.empty()) return arrow::Status::OK();
  return Handshake();
}

flight::FlightCallOptions FlightConnection::CallOptions(std::chrono::milliseconds timeout) const {
  flight::FlightCallOptions options;
  {
    std::lock_guard lock(token_mutex_);
    // The Go plugin sends an empty header when it has no token; an absent header means the
    // same to a service and lets it fall back to its own defaults.
    if (!token_.empty()) options.headers.emplace_back("auth-token-bin", token_);
  }
  if (timeout.count() > 0) {
    options.timeout = std::chrono::duration<double>(timeout);
  }
  return options;
}

arrow::Status FlightConnection::WithRetries(const std::string& what,
                                            const std::function<arrow::Status()>& call) {
  auto backoff = retry_.initial_backoff;
  bool reauthenticated = false;
  for (int attempt = 1;; ++attempt) {
    auto status = call();
    if (status.ok()) return status;
    if (IsUnauthenticated(status) && !spec_.handshake.empty() && !reauthenticated) {
      // An expired session token: one new handshake, then try again.
      reauthenticated = true;
      spdlog::info("{}: {}; repeating the handshake", what, status.message());
      ARROW_RETURN_NOT_OK(Handshake());
      continue;
    }
    if (!IsUnavailable(status) || attempt >= retry_.max_attempts) {
      if (IsUnavailable(status)) {
        return status.WithMessage(what, ": ", spec_.addr, " unavailable after ", attempt,
                                  " attempts: ", status.message());
      }
      return status.WithMessage(what, ": ", status.message());
    }
    spdlog::warn("{}: {} (attempt {} of {}); retrying in {} ms", what, status.message(), attempt,
                 retry_.max_attempts, backoff.count());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, retry_.max_backoff);
  }
}

arrow::Result<std::vector<std::string>> FlightConnection::DoAction(const std::string& type,
                                                                   std::string body) {
  std::vector<std::string> bodies;
  auto status = WithRetries(type, [&]() -> arrow::Status {
    bodies.clear();
    flight::Action action{type, arrow::Buffer::FromString(body)};
    ARROW_ASSIGN_OR_RAISE(auto results, client_->DoAction(CallOptions(), action));
    while (true) {
      ARROW_ASSIGN_OR_RAISE(auto result, results->Next());
      if (result == nullptr) break;
      bodies.push_back(result->body ? result->body->ToString() : "");
    }
    return results->Drain();
  });
  ARROW_RETURN_NOT_OK(status);
  return bodies;
}

arrow::Status FlightConnection::Probe(std::chrono::milliseconds timeout) {
  auto status = client_->ListActions(CallOptions(timeout)).status();
  if (status.IsNotImplemented()) return arrow::Status::OK();
  return status;
}

arrow::Status FlightConnection::Close() {
  if (client_ == nullptr || closed_.exchange(true)) return arrow::Status::OK();
  return client_->Close();
}

}  // namespace quiver::destination
