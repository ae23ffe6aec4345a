// Decoding what clients send: FlightDescriptors (PATH / CMD) and tickets, into requests that say
// which SQL to run or which table to load. Error texts follow ClickHouse's Flight interface.
#pragma once

#include <arrow/flight/types.h>
#include <arrow/result.h>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace quiver::protocol {

inline constexpr std::string_view kTicketPrefix = "~TICKET-";
inline constexpr std::string_view kPollPrefix = "~POLL-";

// A request to read: the SQL whose result is wanted.
struct ReadRequest {
  std::string sql;
};

// A request to write: either load the DoPut stream into a table, or run a statement.
struct PutRequest {
  struct Load {
    std::vector<std::string> table_path;
    std::vector<std::string> columns;  // explicit INSERT column list, may be empty
    bool create_if_missing = false;    // PATH descriptors create the table from the stream
  };
  std::variant<Load, std::string> action;  // Load, or SQL to run (the stream is ignored)
};

// GetFlightInfo / GetSchema: PATH ["t"] reads table t; CMD holds SQL (a trailing `FORMAT Arrow`
// is dropped, any other format is an error).
arrow::Result<ReadRequest> DecodeReadDescriptor(const arrow::flight::FlightDescriptor& descriptor,
                                                int64_t max_command_bytes);

// DoPut: PATH ["t"] appends to t (creating it if missing); CMD `INSERT INTO t [(cols)] FORMAT
// Arrow` appends; any other CMD is a statement that just runs.
arrow::Result<PutRequest> DecodePutDescriptor(const arrow::flight::FlightDescriptor& descriptor,
                                              int64_t max_command_bytes);

// A ticket names a stored result (`~TICKET-<uuid>`) or is raw SQL.
struct TicketRequest {
  std::optional<std::string> stored_ticket;
  std::string sql;
};
arrow::Result<TicketRequest> DecodeTicket(const arrow::flight::Ticket& ticket,
                                          int64_t max_command_bytes);

// When `bytes` is a serialized google.protobuf.Any, its type URL.
std::optional<std::string> AnyTypeUrl(std::string_view bytes);

}  // namespace quiver::protocol
