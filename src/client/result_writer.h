// Writing query results: an aligned table for people, CSV, JSON lines, Arrow IPC streams and
// Parquet files for programs. Every writer takes record batches as they arrive (only the table
// keeps them, to align its columns) and writes to an arrow::io::OutputStream.
#pragma once

#include <arrow/array.h>
#include <arrow/io/interfaces.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/status.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "client/cli_options.h"

namespace quiver::client {

// How one value becomes text.
enum class TextStyle {
  kPlain,       // table and CSV cells: strings as they are, nested values as spaced JSON
  kJson,        // JSON lines: every value as compact JSON
  kJsonSpaced,  // nested values inside a plain cell
};

// Renders the values of one array. Scalars of common types are formatted directly; dates, times,
// timestamps and decimals go through Arrow's cast to text; lists, structs and maps become JSON
// arrays and objects; binary values are lower-case hex; anything else uses Arrow's scalar text.
class ValueRenderer {
 public:
  static arrow::Result<std::unique_ptr<ValueRenderer>> Make(std::shared_ptr<arrow::Array> array);
  virtual ~ValueRenderer() = default;

  bool IsNull(int64_t i) const { return array_->IsNull(i); }
  // Appends value `i`; a null value appends `null` (callers show top-level nulls their own way).
  void Append(int64_t i, TextStyle style, std::string* out) const;
  // Numbers are right-aligned in a table.
  virtual bool IsNumeric() const { return false; }

  explicit ValueRenderer(std::shared_ptr<arrow::Array> array) : array_(std::move(array)) {}

 protected:
  virtual void AppendValue(int64_t i, TextStyle style, std::string* out) const = 0;

  std::shared_ptr<arrow::Array> array_;
};

// `text` as a JSON string literal, quotes included.
void AppendJsonString(std::string_view text, std::string* out);

// Options of the writers that need them.
struct WriterOptions {
  // Table: longest cell shown, in characters, before it is cut with "…".
  int max_cell_width = 100;
  // Table: print "(N rows)" after the table.
  bool row_count_footer = true;
};

class ResultWriter {
 public:
  virtual ~ResultWriter() = default;
  virtual arrow::Status Write(const std::shared_ptr<arrow::RecordBatch>& batch) = 0;
  // Completes the output (the table itself, a Parquet footer, ...); the sink stays open.
  virtual arrow::Status Finish() = 0;
};

arrow::Result<std::unique_ptr<ResultWriter>> MakeResultWriter(
    OutputFormat format, std::shared_ptr<arrow::Schema> schema,
    std::shared_ptr<arrow::io::OutputStream> sink, WriterOptions options = {});

// Writes every batch of `reader` and finishes the writer; `on_batch(rows, bytes)` (optional)
// follows the running totals. Returns the number of rows.
arrow::Result<int64_t> WriteAll(arrow::RecordBatchReader& reader, ResultWriter& writer,
                                const std::function<void(int64_t, int64_t)>& on_batch = {});

// An OutputStream over a std::ostream (std::cout for results on standard output).
class OstreamOutputStream : public arrow::io::OutputStream {
 public:
  explicit OstreamOutputStream(std::ostream* stream) : stream_(stream) {}
  arrow::Status Close() override;
  bool closed() const override { return closed_; }
  arrow::Result<int64_t> Tell() const override { return position_; }
  arrow::Status Write(const void* data, int64_t nbytes) override;
  arrow::Status Flush() override;
  using arrow::io::OutputStream::Write;

 private:
  std::ostream* stream_;
  int64_t position_ = 0;
  bool closed_ = false;
};

}  // namespace quiver::client
