// Reading the files `quiver put` uploads (CSV, Parquet, Arrow IPC stream or file) as streams of
// record batches, with what is known of their size for the progress bar.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "client/cli_options.h"

namespace quiver::client {

struct InputFile {
  std::shared_ptr<arrow::RecordBatchReader> reader;
  int64_t total_rows = -1;   // known for Parquet and Arrow IPC files
  int64_t total_bytes = -1;  // the file's size
  // Bytes of the file consumed by the batches read so far.
  std::function<int64_t()> bytes_read;
};

struct CsvInputOptions {
  char delimiter = ',';
  // Column types are inferred from the first block of this many bytes.
  int32_t block_size = 8 << 20;
};

// Opens `path` in `format`. CSV column types are inferred from the first block, an empty field is
// NULL and a quoted empty field ("") an empty string; an Arrow file is
// recognised by its ARROW1 magic, anything else in that format is read as an IPC stream.
arrow::Result<InputFile> OpenInputFile(const std::string& path, InputFormat format,
                                       const CsvInputOptions& csv = {});

}  // namespace quiver::client
