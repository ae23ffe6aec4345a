// How CloudQuery's Arrow columns are stored in DuckDB, and back.
//
// Each CloudQuery field gets a DuckDB column type (for CREATE TABLE) and a "storage" Arrow form
// that DuckDB's Arrow scan reads into exactly that type. The storage form is reached without
// copying data wherever the memory layout is the same: CloudQuery's `uuid` extension becomes
// `arrow.uuid` (UUID), `json` becomes utf8 + `arrow.json` (JSON), `inet` and `mac` (text in
// binary storage) become utf8 (VARCHAR), and nanosecond UTC timestamps become TIMESTAMP_NS
// (TIMESTAMPTZ has microseconds only). Reading back, DuckDB's Arrow result is converted to the
// CloudQuery schema recorded at migration time, extension metadata included.
//
// Precision: TIME, INTERVAL (from durations and intervals) and TIMESTAMPTZ keep microseconds,
// as DuckDB does; everything else round-trips exactly.
#pragma once

#include <arrow/array.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/type.h>

#include <memory>
#include <string>

namespace quiver::cloudquery {

inline constexpr const char* kExtensionName = "ARROW:extension:name";
inline constexpr const char* kExtensionMetadata = "ARROW:extension:metadata";

// The field's extension name ("" for none).
std::string ExtensionName(const arrow::Field& field);

// DuckDB type text for a CloudQuery field, e.g. `UUID`, `STRUCT("a" INTEGER)`, `VARCHAR[]`.
arrow::Result<std::string> DuckDbType(const arrow::Field& field);

// The Arrow field DuckDB should scan for a CloudQuery field.
arrow::Result<std::shared_ptr<arrow::Field>> StorageField(const arrow::Field& field);
// A CloudQuery batch in storage form (schema from StorageField for every column).
arrow::Result<std::shared_ptr<arrow::RecordBatch>> ToStorage(
    const std::shared_ptr<arrow::RecordBatch>& batch);

// A column DuckDB returned (with arrow_lossless_conversion on) in the form of `field`.
arrow::Result<std::shared_ptr<arrow::Array>> FromStorage(const std::shared_ptr<arrow::Array>& array,
                                                         const arrow::Field& field);

}  // namespace quiver::cloudquery
