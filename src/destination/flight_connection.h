// The plugin's side of the Flight service: one gRPC connection (arrow::flight::FlightClient)
// shared by every DoPut stream, action and read, plus the token sent as `auth-token-bin`.
#pragma once

#include <arrow/flight/client.h>
#include <arrow/result.h>
#include <arrow/status.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "destination/spec.h"

namespace quiver::destination {

// Bounded retries for calls that failed because the service was unreachable.
struct RetryPolicy {
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{2000};
};

// True for failures worth retrying on a new stream or call: the service was unreachable or the
// connection broke (gRPC UNAVAILABLE).
bool IsUnavailable(const arrow::Status& status);
bool IsUnauthenticated(const arrow::Status& status);

class FlightConnection {
 public:
  // Creates the client and, when the spec has a handshake, authenticates. Connection problems
  // are retried by `retry`; authentication failures are not.
  static arrow::Result<std::shared_ptr<FlightConnection>> Open(const Spec& spec,
                                                               const RetryPolicy& retry = {});
  ~FlightConnection();

  // Options for every call: the token header, and a time limit when `timeout` is positive.
  arrow::flight::FlightCallOptions CallOptions(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) const;
  arrow::flight::FlightClient& client() { return *client_; }
  const Spec& spec() const { return spec_; }
  const RetryPolicy& retry() const { return retry_; }

  // Repeats the handshake for a fresh token (no-op without `handshake`).
  arrow::Status Reauthenticate();

  // Runs `call` until it succeeds, fails for good, or the attempts run out: UNAVAILABLE is
  // retried with exponential backoff, UNAUTHENTICATED once after a new handshake.
  arrow::Status WithRetries(const std::string& what, const std::function<arrow::Status()>& call);

  // DoAction reading every result (a failure after the first result is still an error).
  arrow::Result<std::vector<std::string>> DoAction(const std::string& type, std::string body);

  // A cheap authenticated call (ListActions) proving the service is reachable and accepts our
  // credentials. UNIMPLEMENTED counts as success: the service answered after authentication.
  arrow::Status Probe(std::chrono::milliseconds timeout);

  arrow::Status Close();

 private:
  FlightConnection(Spec spec, RetryPolicy retry) : spec_(std::move(spec)), retry_(retry) {}
  arrow::Result<std::unique_ptr<arrow::flight::FlightClient>> NewClient() const;
  arrow::Status Handshake();

  const Spec spec_;
  const RetryPolicy retry_;
  arrow::flight::Location location_;
  std::unique_ptr<arrow::flight::FlightClient> client_;
  mutable std::mutex token_mutex_;
  std::string token_;
  std::atomic<bool> closed_{false};
};

}  // namespace quiver::destination
