// Fuzz target: the CloudQuery DoAction bodies (src/server/cloudquery/cloudquery_target.h):
// MigrateTable, DeleteStale and DeleteRecord messages, whose Arrow IPC schemas and predicate
// records come from the client, run against an in-memory DuckDB database that holds a migrated
// table `items`. The first byte chooses the action.
#include <arrow/io/memory.h>
#include <arrow/ipc/writer.h>
#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cloudquery/plugin/v3/plugin.pb.h"
#include "common/clock.h"
#include "common/config.h"
#include "engine/database.h"
#include "fuzz_util.h"
#include "server/cloudquery/cloudquery_target.h"
#include "server/cloudquery/cq_schema.h"
#include "server/results/ticket_store.h"

namespace {

namespace cq = quiver::cloudquery;

std::string SchemaIpc(const std::shared_ptr<arrow::Schema>& schema) {
  auto sink = arrow::io::BufferOutputStream::Create().ValueOrDie();
  auto writer = arrow::ipc::MakeStreamWriter(sink, schema).ValueOrDie();
  if (!writer->Close().ok()) std::abort();
  return sink->Finish().ValueOrDie()->ToString();
}

struct Target {
  std::shared_ptr<quiver::engine::Database> database;
  std::unique_ptr<quiver::results::TicketStore> tickets;
  std::unique_ptr<cq::CloudQueryTarget> target;
};

// A fresh database with the table `items` migrated (id primary key, name, the _cq_ columns).
std::unique_ptr<Target> MakeTarget() {
  static quiver::FakeClock clock;
  static const quiver::ServerConfig config;
  auto made = std::make_unique<Target>();
  made->database = quiver::engine::Database::Open(":memory:").ValueOrDie();
  made->tickets = std::make_unique<quiver::results::TicketStore>(clock, std::chrono::seconds(60));
  made->target = std::make_unique<cq::CloudQueryTarget>(made->database, config, *made->tickets);
  auto pk = arrow::key_value_metadata(std::vector<std::string>{cq::kPrimaryKeyKey}, {"true"});
  auto schema = arrow::schema(
      {arrow::field("id", arrow::int64(), false, pk), arrow::field("name", arrow::utf8()),
       arrow::field(cq::kSourceNameColumn, arrow::utf8()),
       arrow::field(cq::kSyncTimeColumn, arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"))},
      arrow::key_value_metadata(std::vector<std::string>{cq::kTableNameKey}, {"items"}));
  ::cloudquery::plugin::v3::Write::MessageMigrateTable migrate;
  migrate.set_table(SchemaIpc(schema));
  if (!made->target->MigrateTable(migrate.SerializeAsString()).ok()) std::abort();
  return made;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  quiver::fuzz::QuietLogs quiet;
  // Tables that MigrateTable creates pile up: start over every so often.
  static std::unique_ptr<Target> target;
  static int runs = 0;
  if (!target || ++runs % 200 == 0) {
    target.reset();
    target = MakeTarget();
  }
  const auto [selector, rest] = quiver::fuzz::Select(data, size);
  const std::string body(rest);
  switch (selector % 3) {
    case 0:
      (void)target->target->MigrateTable(body);
      break;
    case 1:
      (void)target->target->DeleteStale(body);
      break;
    default:
      (void)target->target->DeleteRecord(body);
      break;
  }
  return 0;
}
