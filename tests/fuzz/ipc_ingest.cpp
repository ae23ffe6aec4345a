// Fuzz target: an Arrow IPC stream sent with DoPut, read as the Flight server reads it
// (arrow::ipc::RecordBatchStreamReader with default options: framing checks only, no full
// validation) and loaded with engine::Ingest into an in-memory DuckDB database, which is what
// FlightService::DoPut and the Flight SQL ingest commands do with the stream. The first byte
// chooses the target: 0 a new table created from the stream (PATH descriptor / ingest with
// CREATE), 1 an existing table matched by column names (INSERT INTO t FORMAT Arrow), 2 the
// same with an explicit column list, 3 a new temporary table.
#include <arrow/buffer.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/reader.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "engine/database.h"
#include "engine/ingest.h"
#include "fuzz_util.h"

namespace {

using quiver::engine::IngestTarget;

quiver::engine::Connection& IngestConnection() {
  static std::shared_ptr<quiver::engine::Connection> connection = [] {
    auto database = quiver::engine::Database::Open(":memory:").ValueOrDie();
    auto connection = database->Connect().ValueOrDie();
    if (!connection
             ->Execute("CREATE TABLE fixed (i BIGINT, s VARCHAR, d DOUBLE, b BLOB, ts TIMESTAMP, "
                       "l INTEGER[], st STRUCT(a INTEGER, b VARCHAR), dec DECIMAL(18, 3), "
                       "flag BOOLEAN, day DATE, m MAP(VARCHAR, INTEGER))")
             .ok()) {
      quiver::fuzz::Fail("table setup");
    }
    return connection;
  }();
  return *connection;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [selector, rest] = quiver::fuzz::Select(data, size);
  // An exactly sized, aligned copy, as a received message body would be.
  auto buffer = arrow::AllocateBuffer(static_cast<int64_t>(rest.size()));
  if (!buffer.ok()) return 0;
  if (!rest.empty()) std::memcpy((*buffer)->mutable_data(), rest.data(), rest.size());
  auto input = std::make_shared<arrow::io::BufferReader>(std::shared_ptr<arrow::Buffer>(
      std::move(*buffer)));
  auto reader = arrow::ipc::RecordBatchStreamReader::Open(input);
  if (!reader.ok()) return 0;

  auto& connection = IngestConnection();
  IngestTarget target;
  std::string cleanup;
  switch (selector & 3) {
    case 0:
      target = {{"fuzz_new"}, {}, /*create_if_missing=*/true, IngestTarget::IfExists::kReplace};
      cleanup = "DROP TABLE IF EXISTS fuzz_new";
      break;
    case 1:
      target = {{"fixed"}, {}, false};
      cleanup = "DELETE FROM fixed";
      break;
    case 2:
      target = {{"fixed"}, {"s", "i"}, false};
      cleanup = "DELETE FROM fixed";
      break;
    default:
      target = {{"fuzz_temp"}, {}, true, IngestTarget::IfExists::kReplace, /*temporary=*/true};
      cleanup = "DROP TABLE IF EXISTS temp.main.fuzz_temp";
      break;
  }
  (void)quiver::engine::Ingest(connection, target, *reader);
  if (!connection.Execute(cleanup).ok()) std::abort();
  return 0;
}
