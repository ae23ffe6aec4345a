#include "client/cli_options.h"

#include <arrow/status.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace quiver::client {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string Extension(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = name.find_last_of('.');
  return dot == std::string_view::npos ? "" : Lower(name.substr(dot + 1));
}

}  // namespace

arrow::Result<OutputFormat> ParseOutputFormat(std::string_view name) {
  const std::string lower = Lower(name);
  if (lower == "table") return OutputFormat::kTable;
  if (lower == "csv") return OutputFormat::kCsv;
  if (lower == "jsonl" || lower == "json" || lower == "ndjson") return OutputFormat::kJsonLines;
  if (lower == "arrow" || lower == "ipc" || lower == "arrows") return OutputFormat::kArrow;
  if (lower == "parquet") return OutputFormat::kParquet;
  return arrow::Status::Invalid("unknown output format '", name,
                                "' (expected table, csv, jsonl, arrow or parquet)");
}

std::string_view OutputFormatName(OutputFormat format) {
  switch (format) {
    case OutputFormat::kTable:
      return "table";
    case OutputFormat::kCsv:
      return "csv";
    case OutputFormat::kJsonLines:
      return "jsonl";
    case OutputFormat::kArrow:
      return "arrow";
    case OutputFormat::kParquet:
      return "parquet";
  }
  return "?";
}

std::optional<OutputFormat> OutputFormatForPath(std::string_view path) {
  const std::string ext = Extension(path);
  if (ext == "txt") return OutputFormat::kTable;
  if (ext == "csv") return OutputFormat::kCsv;
  if (ext == "jsonl" || ext == "ndjson" || ext == "json") return OutputFormat::kJsonLines;
  if (ext == "arrow" || ext == "arrows" || ext == "ipc") return OutputFormat::kArrow;
  if (ext == "parquet" || ext == "pq") return OutputFormat::kParquet;
  return std::nullopt;
}

bool IsBinary(OutputFormat format) {
  return format == OutputFormat::kArrow || format == OutputFormat::kParquet;
}

arrow::Result<OutputFormat> ChooseOutputFormat(const std::string& format_flag,
                                               const std::string& output_path,
                                               bool stdout_is_terminal) {
  if (!format_flag.empty()) return ParseOutputFormat(format_flag);
  if (!output_path.empty()) {
    if (auto format = OutputFormatForPath(output_path)) return *format;
    return arrow::Status::Invalid("cannot tell the format of '", output_path,
                                  "' from its extension: use --format csv|jsonl|arrow|parquet");
  }
  return stdout_is_terminal ? OutputFormat::kTable : OutputFormat::kCsv;
}

arrow::Result<InputFormat> ParseInputFormat(std::string_view name) {
  const std::string lower = Lower(name);
  if (lower == "csv") return InputFormat::kCsv;
  if (lower == "parquet" || lower == "pq") return InputFormat::kParquet;
  if (lower == "arrow" || lower == "ipc" || lower == "arrows" || lower == "feather") {
    return InputFormat::kArrow;
  }
  return arrow::Status::Invalid("unknown input format '", name,
                                "' (expected csv, parquet or arrow)");
}

std::optional<InputFormat> InputFormatForPath(std::string_view path) {
  const std::string ext = Extension(path);
  if (ext.empty()) return std::nullopt;
  auto format = ParseInputFormat(ext);
  if (!format.ok()) return std::nullopt;
  return *format;
}

arrow::Result<InputFormat> ChooseInputFormat(const std::string& format_flag,
                                             const std::string& path) {
  if (!format_flag.empty()) return ParseInputFormat(format_flag);
  if (auto format = InputFormatForPath(path)) return *format;
  return arrow::Status::Invalid("cannot tell the format of '", path,
                                "' from its extension: use --format csv|parquet|arrow");
}

arrow::Result<std::pair<std::string, std::string>> ParseHeader(std::string_view flag) {
  const size_t equals = flag.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    return arrow::Status::Invalid("header '", flag, "' is not of the form key=value");
  }
  return std::make_pair(Lower(flag.substr(0, equals)), std::string(flag.substr(equals + 1)));
}

std::string NormalizeAddress(std::string_view address) {
  if (address.find("://") != std::string_view::npos) return std::string(address);
  return "grpc://" + std::string(address);
}

arrow::Result<TableName> ParseTableName(std::string_view text) {
  std::vector<std::string> parts(1);
  bool quoted = false;
  bool was_quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        parts.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        parts.back() += c;
      }
    } else if (c == '"') {
      quoted = was_quoted = true;
    } else if (c == '.') {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  const bool empty_part =
      std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); });
  if (quoted || parts.size() > 3 || (empty_part && !was_quoted)) {
    return arrow::Status::Invalid("'", text, "' is not a table name ([catalog.][schema.]table)");
  }
  TableName name;
  name.table = parts.back();
  if (parts.size() >= 2) name.schema = parts[parts.size() - 2];
  if (parts.size() == 3) name.catalog = parts[0];
  return name;
}

}  // namespace quiver::client
