// Helpers shared by the fuzz targets. Header-only: every target is an executable of its own
// under libFuzzer, and all of them are also compiled into quiver_unit_tests, which replays the
// committed corpora (tests/unit/fuzz_replay_test.cpp).
#pragma once

#include <arrow/flight/server.h>
#include <arrow/flight/server_middleware.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quiver::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A broken invariant: report it and abort, which libFuzzer records as a crash.
[[noreturn]] inline void Fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz invariant failed: %s [", what);
  std::fwrite(detail.data(), 1, detail.size(), stderr);
  std::fputs("]\n", stderr);
  std::abort();
}
#define QUIVER_FUZZ_CHECK(condition, detail) \
  ((condition) ? void(0) : ::quiver::fuzz::Fail(#condition, (detail)))

// The input after its first byte, which the targets use to choose among their entry points.
struct Selected {
  uint8_t selector = 0;
  std::string_view rest;
};
inline Selected Select(const uint8_t* data, size_t size) {
  if (size == 0) return {};
  return {data[0], AsText(data + 1, size - 1)};
}

// `text` cut at every `separator`.
inline std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  while (true) {
    const size_t end = text.find(separator);
    parts.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos) return parts;
    text.remove_prefix(end + 1);
  }
}

// Call headers written as "name: value" lines: the first ':' ends the name, one space after it
// is dropped. A line without ':' is a header with an empty value.
using HeaderList = std::vector<std::pair<std::string, std::string>>;
inline HeaderList ParseHeaderLines(std::string_view text) {
  HeaderList headers;
  for (auto& line : Split(text, '\n')) {
    if (line.empty()) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) {
      headers.emplace_back(line, "");
      continue;
    }
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.erase(0, 1);
    headers.emplace_back(line.substr(0, colon), std::move(value));
  }
  return headers;
}

// A ServerCallContext without a server: drives the middleware as gRPC calls would.
class FakeCallContext : public arrow::flight::ServerCallContext {
 public:
  explicit FakeCallContext(HeaderList headers) : headers_(std::move(headers)) {
    for (const auto& [name, value] : headers_) view_.emplace(name, value);
  }
  const std::string& peer_identity() const override { return identity_; }
  const std::string& peer() const override { return peer_; }
  void AddHeader(const std::string&, const std::string&) const override {}
  void AddTrailer(const std::string&, const std::string&) const override {}
  arrow::flight::ServerMiddleware* GetMiddleware(const std::string& key) const override {
    auto it = middleware_.find(key);
    return it == middleware_.end() ? nullptr : it->second.get();
  }
  bool is_cancelled() const override { return false; }
  const arrow::flight::CallHeaders& incoming_headers() const override { return view_; }

  void SetMiddleware(const std::string& key,
                     std::shared_ptr<arrow::flight::ServerMiddleware> middleware) {
    middleware_[key] = std::move(middleware);
  }

 private:
  HeaderList headers_;  // owns the strings view_ points into
  arrow::flight::CallHeaders view_;
  std::map<std::string, std::shared_ptr<arrow::flight::ServerMiddleware>> middleware_;
  std::string identity_;
  std::string peer_ = "ipv4:127.0.0.1:1";
};

// Silences spdlog while an input runs (failed logins are logged as warnings): millions of
// inputs would otherwise flood the output. Restores the level afterwards, so the replay inside
// the unit tests leaves logging as it found it.
class QuietLogs {
 public:
  QuietLogs() : level_(spdlog::get_level()) { spdlog::set_level(spdlog::level::off); }
  ~QuietLogs() { spdlog::set_level(level_); }
  QuietLogs(const QuietLogs&) = delete;
  QuietLogs& operator=(const QuietLogs&) = delete;

 private:
  spdlog::level::level_enum level_;
};

}  // namespace quiver::fuzz
