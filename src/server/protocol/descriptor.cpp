#include "server/protocol/descriptor.h"

#include "common/sql_text.h"

namespace quiver::protocol {
namespace {

using arrow::flight::FlightDescriptor;

arrow::Status CheckCommandSize(std::string_view command, int64_t max_command_bytes) {
  if (command.empty()) return arrow::Status::Invalid("Empty command.");
  if (static_cast<int64_t>(command.size()) > max_command_bytes) {
    return arrow::Status::Invalid("Command payload is too large (", command.size(),
                                  " bytes, the limit is ", max_command_bytes, ").");
  }
  return arrow::Status::OK();
}

arrow::Result<std::string> TableFromPath(const FlightDescriptor& descriptor,
                                         int64_t max_command_bytes) {
  if (descriptor.path.size() != 1) {
    return arrow::Status::Invalid("Flight descriptor's path should be one-component (got ",
                                  descriptor.path.size(), " components)");
  }
  const std::string& table = descriptor.path[0];
  if (table.empty()) {
    return arrow::Status::Invalid("Flight descriptor's path should specify the name of a table");
  }
  if (static_cast<int64_t>(table.size()) > max_command_bytes) {
    return arrow::Status::Invalid("Flight descriptor's path is too long");
  }
  return table;
}

// Checks a CMD payload and refuses Flight SQL commands, which this server does not handle yet.
arrow::Status CheckRawSqlCommand(std::string_view command, int64_t max_command_bytes) {
  ARROW_RETURN_NOT_OK(CheckCommandSize(command, max_command_bytes));
  if (auto type_url = AnyTypeUrl(command)) {
    return arrow::Status::NotImplemented("Command is not implemented: ", *type_url);
  }
  return arrow::Status::OK();
}

bool ReadVarint(std::string_view bytes, size_t* pos, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 64 && *pos < bytes.size(); shift += 7) {
    const auto byte = static_cast<uint8_t>(bytes[(*pos)++]);
    *value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> AnyTypeUrl(std::string_view bytes) {
  // google.protobuf.Any = { string type_url = 1; bytes value = 2; }; both length-delimited.
  std::optional<std::string> type_url;
  size_t pos = 0;
  while (pos < bytes.size()) {
    uint64_t key = 0;
    uint64_t length = 0;
    if (!ReadVarint(bytes, &pos, &key) || (key != 0x0A && key != 0x12)) return std::nullopt;
    if (!ReadVarint(bytes, &pos, &length) || length > bytes.size() - pos) return std::nullopt;
    if (key == 0x0A) type_url = std::string(bytes.substr(pos, length));
    pos += length;
  }
  if (!type_url || type_url->find('/') == std::string::npos) return std::nullopt;
  return type_url;
}

arrow::Result<ReadRequest> DecodeReadDescriptor(const FlightDescriptor& descriptor,
                                                int64_t max_command_bytes) {
  switch (descriptor.type) {
    case FlightDescriptor::PATH: {
      ARROW_ASSIGN_OR_RAISE(auto table, TableFromPath(descriptor, max_command_bytes));
      return ReadRequest{"SELECT * FROM " + sql::QuoteIdentifier(table)};
    }
    case FlightDescriptor::CMD: {
      ARROW_RETURN_NOT_OK(CheckRawSqlCommand(descriptor.cmd, max_command_bytes));
      if (std::string_view(descriptor.cmd).starts_with(kPollPrefix)) {
        return arrow::Status::Invalid(
            "Method GetFlightInfo cannot be called with a flight descriptor returned by method "
            "PollFlightInfo");
      }
      ARROW_ASSIGN_OR_RAISE(auto sql, sql::StripArrowFormat(descriptor.cmd));
      return ReadRequest{std::move(sql)};
    }
    default:
      return arrow::Status::TypeError("Flight descriptor has unknown type ",
                                      static_cast<int>(descriptor.type));
  }
}

arrow::Result<PutRequest> DecodePutDescriptor(const FlightDescriptor& descriptor,
                                              int64_t max_command_bytes) {
  switch (descriptor.type) {
    case FlightDescriptor::PATH: {
      ARROW_ASSIGN_OR_RAISE(auto table, TableFromPath(descriptor, max_command_bytes));
      return PutRequest{PutRequest::Load{{table}, {}, /*create_if_missing=*/true}};
    }
    case FlightDescriptor::CMD: {
      ARROW_RETURN_NOT_OK(CheckRawSqlCommand(descriptor.cmd, max_command_bytes));
      if (auto insert = sql::ParseInsertFormat(descriptor.cmd)) {
        if (!sql::EqualsIgnoreCase(insert->format, "Arrow")) {
          return arrow::Status::ExecutionError(
              "Invalid format, only 'Arrow' format is supported (got ", insert->format, ")");
        }
        return PutRequest{
            PutRequest::Load{std::move(insert->table_path), std::move(insert->columns), false}};
      }
      ARROW_ASSIGN_OR_RAISE(auto sql, sql::StripArrowFormat(descriptor.cmd));
      return PutRequest{std::move(sql)};
    }
    default:
      return arrow::Status::TypeError("Flight descriptor has unknown type ",
                                      static_cast<int>(descriptor.type));
  }
}

arrow::Result<TicketRequest> DecodeTicket(const arrow::flight::Ticket& ticket,
                                          int64_t max_command_bytes) {
  if (ticket.ticket.empty()) return arrow::Status::Invalid("Empty ticket.");
  if (static_cast<int64_t>(ticket.ticket.size()) > max_command_bytes) {
    return arrow::Status::Invalid("Ticket is too large (", ticket.ticket.size(),
                                  " bytes, the limit is ", max_command_bytes, ").");
  }
  if (std::string_view(ticket.ticket).starts_with(kTicketPrefix)) {
    return TicketRequest{ticket.ticket, {}};
  }
  if (AnyTypeUrl(ticket.ticket)) {
    return arrow::Status::NotImplemented("Ticket is not implemented: ", *AnyTypeUrl(ticket.ticket));
  }
  ARROW_ASSIGN_OR_RAISE(auto sql, sql::StripArrowFormat(ticket.ticket));
  return TicketRequest{std::nullopt, std::move(sql)};
}

}  // namespace quiver::protocol
