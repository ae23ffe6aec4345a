// Small, pure pieces of the `quiver` client's command line: header flags, addresses and the choice
// of output and input formats. Kept apart from the commands so that unit tests can reach them.
#pragma once

#include <arrow/result.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace quiver::client {

// How a result is written.
enum class OutputFormat { kTable, kCsv, kJsonLines, kArrow, kParquet };
// What `quiver put` reads.
enum class InputFormat { kCsv, kParquet, kArrow };

// "table", "csv", "jsonl" (also "json", "ndjson"), "arrow" (also "ipc", "arrows"), "parquet".
arrow::Result<OutputFormat> ParseOutputFormat(std::string_view name);
std::string_view OutputFormatName(OutputFormat format);
// By extension (case-insensitive): .csv, .jsonl/.ndjson/.json, .arrow/.arrows/.ipc (written as
// an IPC stream), .parquet/.pq; also .txt for the aligned table.
std::optional<OutputFormat> OutputFormatForPath(std::string_view path);
// Arrow IPC and Parquet are binary formats: never written to a terminal.
bool IsBinary(OutputFormat format);

// --format, else the extension of --output, else an aligned table on a terminal and CSV
// otherwise.
arrow::Result<OutputFormat> ChooseOutputFormat(const std::string& format_flag,
                                               const std::string& output_path,
                                               bool stdout_is_terminal);

// "csv", "parquet" (also "pq"), "arrow" (also "ipc", "arrows", "feather").
arrow::Result<InputFormat> ParseInputFormat(std::string_view name);
std::optional<InputFormat> InputFormatForPath(std::string_view path);
// --format, else the file's extension.
arrow::Result<InputFormat> ChooseInputFormat(const std::string& format_flag,
                                             const std::string& path);

// `-H key=value`: the gRPC metadata entry (key lower-cased, as gRPC requires).
arrow::Result<std::pair<std::string, std::string>> ParseHeader(std::string_view flag);

// A Flight location: "host:port" becomes "grpc://host:port"; URIs are kept as they are.
std::string NormalizeAddress(std::string_view address);

// `catalog.schema.table`, `schema.table` or `table` (a name in double quotes may hold dots).
struct TableName {
  std::optional<std::string> catalog;
  std::optional<std::string> schema;
  std::string table;
};
arrow::Result<TableName> ParseTableName(std::string_view text);

}  // namespace quiver::client
