#include "destination/json_log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace quiver::destination {
namespace {

// CloudQuery's level names (zerolog's), which the CLI maps to its own log levels.
const char* LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "fatal";
    default:
      return "info";
  }
}

// One JSON object per line on stdout: {"level":..,"time":..,"module":..,"message":..}.
class JsonStdoutSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const auto since_epoch = msg.time.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
    const std::time_t t = seconds.count();
    std::tm utc{};
    gmtime_r(&t, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
    char fraction[8];
    std::snprintf(fraction, sizeof(fraction), ".%03dZ", static_cast<int>(millis));
    std::string line = "{\"level\":\"";
    line += LevelName(msg.level);
    line += "\",\"time\":\"";
    line += stamp;
    line += fraction;
    line += "\",\"module\":\"quiver-cq-arrowflight\",\"message\":";
    line += JsonQuote(std::string(msg.payload.begin(), msg.payload.end()));
    line += "}\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  void flush_() override { std::fflush(stdout); }
};

class TextStdoutSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::fwrite(formatted.data(), 1, formatted.size(), stdout);
  }
  void flush_() override { std::fflush(stdout); }
};

}  // namespace

std::string JsonQuote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

arrow::Status SetupLogging(const std::string& level, const std::string& format) {
  spdlog::level::level_enum spd_level;
  if (level == "trace") {
    spd_level = spdlog::level::trace;
  } else if (level == "debug") {
    spd_level = spdlog::level::debug;
  } else if (level == "info") {
    spd_level = spdlog::level::info;
  } else if (level == "warn") {
    spd_level = spdlog::level::warn;
  } else if (level == "error") {
    spd_level = spdlog::level::err;
  } else {
    return arrow::Status::Invalid("--log-level must be trace, debug, info, warn or error (got '",
                                  level, "')");
  }
  spdlog::sink_ptr sink;
  if (format == "json") {
    sink = std::make_shared<JsonStdoutSink>();
  } else if (format == "text") {
    sink = std::make_shared<TextStdoutSink>();
    sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  } else {
    return arrow::Status::Invalid("--log-format must be json or text (got '", format, "')");
  }
  auto logger = std::make_shared<spdlog::logger>("quiver-cq-arrowflight", std::move(sink));
  logger->set_level(spd_level);
  // The CLI reads the log as it comes; a plugin that dies must not lose its last lines.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
  return arrow::Status::OK();
}

}  // namespace quiver::destination
