// RAII owners for DuckDB C API handles used inside the engine.
#pragma once

#include <arrow/c/abi.h>
#include <duckdb.h>

#include <utility>

namespace quiver::engine {

// Owns a DuckDB handle `T` released by `Destroy(&handle)`.
template <typename T, void (*Destroy)(T*)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(T handle) : handle_(handle) {}
  ~Handle() { Reset(); }
  Handle(Handle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      Reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  T get() const { return handle_; }
  T* out() {
    Reset();
    return &handle_;
  }
  explicit operator bool() const { return handle_ != nullptr; }
  void Reset() {
    if (handle_) Destroy(&handle_);
    handle_ = nullptr;
  }

 private:
  T handle_ = nullptr;
};

using ExtractedStatements = Handle<duckdb_extracted_statements, duckdb_destroy_extracted>;
using PreparedStatement = Handle<duckdb_prepared_statement, duckdb_destroy_prepare>;
using PendingResult = Handle<duckdb_pending_result, duckdb_destroy_pending>;
using DataChunk = Handle<duckdb_data_chunk, duckdb_destroy_data_chunk>;
using ArrowOptions = Handle<duckdb_arrow_options, duckdb_destroy_arrow_options>;
using LogicalType = Handle<duckdb_logical_type, duckdb_destroy_logical_type>;

// Owns a duckdb_result (a struct, not a pointer).
class QueryResult {
 public:
  QueryResult() = default;
  ~QueryResult() {
    if (valid_) duckdb_destroy_result(&result_);
  }
  QueryResult(const QueryResult&) = delete;
  QueryResult& operator=(const QueryResult&) = delete;

  // For functions that fill a result; DuckDB initialises it even on error.
  duckdb_result* out() {
    if (valid_) duckdb_destroy_result(&result_);
    valid_ = true;
    return &result_;
  }
  duckdb_result* get() { return &result_; }
  void Reset() {
    if (valid_) duckdb_destroy_result(&result_);
    valid_ = false;
  }

 private:
  duckdb_result result_{};
  bool valid_ = false;
};

}  // namespace quiver::engine
