// Logging for the plugin process. The CloudQuery CLI reads the plugin's stdout line by line as
// JSON objects and uses their `level` field (warn and error lines count in the sync summary), so
// `--log-format json` writes exactly one JSON object per line there.
#pragma once

#include <arrow/status.h>

#include <string>

namespace quiver::destination {

// Sets spdlog's default logger: `format` is "json" or "text", `level` one of trace, debug, info,
// warn, error. Both go to stdout, where the CLI expects them.
arrow::Status SetupLogging(const std::string& level, const std::string& format);

// `text` as a JSON string literal (with quotes), escaping what JSON requires.
std::string JsonQuote(const std::string& text);

}  // namespace quiver::destination
