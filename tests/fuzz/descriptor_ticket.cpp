// Fuzz target: FlightDescriptors and tickets as clients send them (src/server/protocol/
// descriptor.h), plus the routing the service applies first (Flight SQL Any, CloudQuery paths).
// First byte: bits 0-1 choose PATH / CMD / ticket / serialized Flight messages, bits 2-7 a small
// max_command_bytes (0 = the default 16 MiB) to reach the size limits.
#include <arrow/flight/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/sql_text.h"
#include "fuzz_util.h"
#include "server/cloudquery/cloudquery_target.h"
#include "server/flight_sql/envelope.h"
#include "server/protocol/descriptor.h"

namespace {

namespace flight = arrow::flight;
namespace protocol = quiver::protocol;
using quiver::sql::TokenKind;

void CheckRead(const flight::FlightDescriptor& descriptor, int64_t max_bytes) {
  auto read = protocol::DecodeReadDescriptor(descriptor, max_bytes);
  if (!read.ok()) return;
  if (descriptor.type == flight::FlightDescriptor::PATH) {
    // SELECT * FROM "<the one path component, quoted>": nothing else can be smuggled in.
    auto tokens = quiver::sql::Tokenize(read->sql);
    QUIVER_FUZZ_CHECK(tokens.size() == 4 && tokens[3].kind == TokenKind::kQuotedIdentifier &&
                          tokens[3].text == descriptor.path.at(0),
                      read->sql);
  } else {
    QUIVER_FUZZ_CHECK(descriptor.cmd.starts_with(read->sql), read->sql);
  }
}

void CheckPut(const flight::FlightDescriptor& descriptor, int64_t max_bytes) {
  auto put = protocol::DecodePutDescriptor(descriptor, max_bytes);
  if (!put.ok()) return;
  if (auto* load = std::get_if<protocol::PutRequest::Load>(&put->action)) {
    QUIVER_FUZZ_CHECK(!load->table_path.empty() && load->table_path.size() <= 3, descriptor.cmd);
    (void)quiver::sql::QuoteQualifiedName(load->table_path);
  }
}

void CheckDescriptor(const flight::FlightDescriptor& descriptor, int64_t max_bytes) {
  // FlightService routes on these before decoding.
  if (descriptor.type == flight::FlightDescriptor::CMD) {
    (void)quiver::flight_sql::ParseFlightSqlAny(descriptor.cmd);
  }
  (void)quiver::cloudquery::CloudQueryTarget::TableOf(descriptor);
  CheckRead(descriptor, max_bytes);
  CheckPut(descriptor, max_bytes);
}

void CheckTicket(const flight::Ticket& ticket, int64_t max_bytes) {
  auto request = protocol::DecodeTicket(ticket, max_bytes);
  if (!request.ok()) return;
  if (request->stored_ticket) {
    QUIVER_FUZZ_CHECK(request->stored_ticket->starts_with(protocol::kTicketPrefix), ticket.ticket);
  } else {
    QUIVER_FUZZ_CHECK(ticket.ticket.starts_with(request->sql), request->sql);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [selector, rest] = quiver::fuzz::Select(data, size);
  const int64_t max_bytes = (selector >> 2) == 0 ? 16 * 1024 * 1024 : (selector >> 2);
  const std::string body(rest);
  (void)protocol::AnyTypeUrl(body);
  switch (selector & 3) {
    case 0: {  // PATH components separated by NUL bytes
      CheckDescriptor(flight::FlightDescriptor::Path(quiver::fuzz::Split(body, '\0')), max_bytes);
      break;
    }
    case 1:
      CheckDescriptor(flight::FlightDescriptor::Command(body), max_bytes);
      break;
    case 2:
      CheckTicket(flight::Ticket{body}, max_bytes);
      break;
    default: {  // the serialized protobuf forms (Flight's own decoders, then ours)
      if (auto descriptor = flight::FlightDescriptor::Deserialize(body); descriptor.ok()) {
        CheckDescriptor(*descriptor, max_bytes);
      }
      if (auto ticket = flight::Ticket::Deserialize(body); ticket.ok()) {
        CheckTicket(*ticket, max_bytes);
      }
      break;
    }
  }
  return 0;
}
