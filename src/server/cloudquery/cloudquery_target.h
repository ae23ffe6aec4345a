// Quiver as the target of the CloudQuery arrowflight destination plugin (ours or the Go one):
//  * DoAction MigrateTable / DeleteStale / DeleteRecord with CloudQuery plugin-v3 message bodies;
//  * DoPut on PATH ["cloudquery", "arrowflight", <table>]: batches are committed as they arrive
//    (upserted on the primary key when the table has one) and acknowledged (see
//    destination/put_stream.h for the acknowledgement messages);
//  * GetFlightInfo on the same path reads the table back in the CloudQuery schema it was
//    migrated with (extension types and metadata restored); DoGet serves the tickets.
// Tables live in the database's default schema; the CloudQuery schema of each table is kept in
// quiver_cloudquery.tables.
#pragma once

#include <arrow/flight/server.h>
#include <arrow/flight/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "engine/database.h"
#include "server/results/ticket_store.h"

namespace quiver::cloudquery {

class CloudQueryTarget {
 public:
  CloudQueryTarget(std::shared_ptr<engine::Database> database, const ServerConfig& config,
                   results::TicketStore& tickets)
      : database_(std::move(database)), config_(config), tickets_(tickets) {}

  static bool IsAction(const std::string& type);
  static std::vector<arrow::flight::ActionType> ActionTypes();
  // The table of a ["cloudquery", "arrowflight", <table>] descriptor, if it is one.
  static std::optional<std::string> TableOf(const arrow::flight::FlightDescriptor& descriptor);

  // Replies: one JSON result describing what was done.
  arrow::Result<std::vector<std::string>> DoAction(const arrow::flight::ServerCallContext& context,
                                                   const std::string& type,
                                                   const std::string& body);
  arrow::Status DoPut(const arrow::flight::ServerCallContext& context, const std::string& table,
                      arrow::flight::FlightMessageReader& reader,
                      arrow::flight::FlightMetadataWriter& writer);
  arrow::Result<std::unique_ptr<arrow::flight::FlightInfo>> GetFlightInfo(
      const arrow::flight::ServerCallContext& context, const std::string& table,
      const arrow::flight::FlightDescriptor& descriptor);
  arrow::Result<std::shared_ptr<arrow::Schema>> GetSchema(const std::string& table);

  // Engine-level operations (also used by the unit tests).
  arrow::Result<std::string> MigrateTable(const std::string& body);
  arrow::Result<std::string> DeleteStale(const std::string& body);
  arrow::Result<std::string> DeleteRecord(const std::string& body);

 private:
  const std::shared_ptr<engine::Database> database_;
  const ServerConfig config_;
  results::TicketStore& tickets_;
};

}  // namespace quiver::cloudquery
