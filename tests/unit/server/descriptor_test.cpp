#include "server/protocol/descriptor.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace quiver::protocol {
namespace {

using arrow::flight::FlightDescriptor;
using arrow::flight::Ticket;
using Strings = std::vector<std::string>;

constexpr int64_t kMax = 16 * 1024 * 1024;
constexpr const char* kStatementQueryUrl =
    "type.googleapis.com/arrow.flight.protocol.sql.CommandStatementQuery";
constexpr const char* kInvalidFormat = "Invalid format, only 'Arrow' format is supported";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string Varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
  return out;
}

// A serialized google.protobuf.Any, built by hand: field 1 (type_url) and field 2 (value).
std::string AnyBytes(const std::string& type_url, const std::string& value) {
  return "\x0A" + Varint(type_url.size()) + type_url + "\x12" + Varint(value.size()) + value;
}

// A CommandStatementQuery { string query = 1; } wrapped in an Any.
std::string StatementQueryAny(const std::string& query) {
  return AnyBytes(kStatementQueryUrl, "\x0A" + Varint(query.size()) + query);
}

// ---------------------------------------------------------------------------------------------
// AnyTypeUrl

TEST(AnyTypeUrlTest, RecognisesAny) {
  EXPECT_EQ(AnyTypeUrl(StatementQueryAny("SELECT 1")), kStatementQueryUrl);
  EXPECT_EQ(AnyTypeUrl(AnyBytes("type.googleapis.com/x.Y", "")), "type.googleapis.com/x.Y");
  // The type URL alone (an Any with an empty value omits field 2).
  const std::string url = "type.googleapis.com/a.B";
  EXPECT_EQ(AnyTypeUrl("\x0A" + Varint(url.size()) + url), url);
  // A value longer than 127 bytes needs a multi-byte length.
  EXPECT_EQ(AnyTypeUrl(AnyBytes(kStatementQueryUrl, std::string(300, 'v'))), kStatementQueryUrl);
}

TEST(AnyTypeUrlTest, RawSqlIsNotAny) {
  for (const char* sql : {"SELECT 1", "select * from t", "~TICKET-abc",
                          "INSERT INTO t FORMAT Arrow", "\n\nSELECT 1", "\nSELECT 1 FROM t"}) {
    EXPECT_EQ(AnyTypeUrl(sql), std::nullopt) << sql;
  }
  EXPECT_EQ(AnyTypeUrl(""), std::nullopt);
}

TEST(AnyTypeUrlTest, TruncatedBytesAreNotAny) {
  const std::string any = StatementQueryAny("SELECT 1");
  for (size_t length = 1; length < any.size(); ++length) {
    const std::string truncated = any.substr(0, length);
    // A prefix that ends exactly after the type URL is still a valid (value-less) Any.
    const size_t url_end = 2 + std::string(kStatementQueryUrl).size();
    if (length == url_end) {
      EXPECT_EQ(AnyTypeUrl(truncated), kStatementQueryUrl);
      continue;
    }
    EXPECT_EQ(AnyTypeUrl(truncated), std::nullopt) << "length " << length;
  }
  // A length varint that never ends.
  EXPECT_EQ(AnyTypeUrl(std::string("\x0A\xFF\xFF", 3)), std::nullopt);
}

TEST(AnyTypeUrlTest, OtherShapesAreNotAny) {
  // No '/' in the type URL.
  EXPECT_EQ(AnyTypeUrl(AnyBytes("not-a-url", "x")), std::nullopt);
  // Only a value, no type URL.
  EXPECT_EQ(AnyTypeUrl("\x12\x01x"), std::nullopt);
  // An unknown field.
  EXPECT_EQ(AnyTypeUrl(AnyBytes(kStatementQueryUrl, "x") + "\x1A\x01x"), std::nullopt);
  // A varint-typed field 1.
  EXPECT_EQ(AnyTypeUrl(std::string("\x08\x01", 2)), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// DecodeReadDescriptor

TEST(DecodeReadDescriptorTest, PathReadsQuotedTable) {
  auto request = DecodeReadDescriptor(FlightDescriptor::Path({"t"}), kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->sql, "SELECT * FROM \"t\"");

  request = DecodeReadDescriptor(FlightDescriptor::Path({"My Table"}), kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->sql, "SELECT * FROM \"My Table\"");
}

TEST(DecodeReadDescriptorTest, PathNameWithQuoteIsEscaped) {
  auto request =
      DecodeReadDescriptor(FlightDescriptor::Path({"we\"ird\"; DROP TABLE x; --"}), kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->sql, "SELECT * FROM \"we\"\"ird\"\"; DROP TABLE x; --\"");
}

TEST(DecodeReadDescriptorTest, PathMustHaveOneComponent) {
  auto request = DecodeReadDescriptor(FlightDescriptor::Path({}), kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsInvalid()) << request.status().ToString();
  EXPECT_TRUE(Contains(request.status().message(), "should be one-component (got 0 components)"))
      << request.status().message();

  request = DecodeReadDescriptor(FlightDescriptor::Path({"s", "t"}), kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsInvalid()) << request.status().ToString();
  EXPECT_TRUE(Contains(request.status().message(), "should be one-component (got 2 components)"))
      << request.status().message();
}

TEST(DecodeReadDescriptorTest, PathComponentMustNotBeEmpty) {
  auto request = DecodeReadDescriptor(FlightDescriptor::Path({""}), kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsInvalid()) << request.status().ToString();
  EXPECT_TRUE(Contains(request.status().message(), "should specify the name of a table"))
      << request.status().message();
}

TEST(DecodeReadDescriptorTest, PathTooLong) {
  auto request = DecodeReadDescriptor(FlightDescriptor::Path({std::string(2048, 't')}), 1024);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsInvalid()) << request.status().ToString();
  EXPECT_TRUE(DecodeReadDescriptor(FlightDescriptor::Path({std::string(1024, 't')}), 1024).ok());
}

TEST(DecodeReadDescriptorTest, EmptyCommand) {
  auto request = DecodeReadDescriptor(FlightDescriptor::Command(""), kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsInvalid()) << request.status().ToString();
  EXPECT_EQ(request.status().message(), "Empty command.");
}

TEST(DecodeReadDescriptorTest, CommandTooLarge) {
  const std::string sql = "SELECT '" + std::string(2000, 'x') + "'";
  auto request = DecodeReadDescriptor(FlightDescriptor::Command(sql), 1024);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsInvalid()) << request.status().ToString();
  EXPECT_TRUE(Contains(request.status().message(), "too large")) << request.status().message();

  // Exactly at the limit is fine.
  request = DecodeReadDescriptor(FlightDescriptor::Command(sql), static_cast<int64_t>(sql.size()));
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->sql, sql);
}

TEST(DecodeReadDescriptorTest, PollDescriptorIsRefused) {
  auto request = DecodeReadDescriptor(FlightDescriptor::Command("~POLL-1234"), kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsInvalid()) << request.status().ToString();
  EXPECT_TRUE(Contains(request.status().message(), "PollFlightInfo")) << request.status().message();
}

TEST(DecodeReadDescriptorTest, FlightSqlCommandIsNotImplemented) {
  auto request =
      DecodeReadDescriptor(FlightDescriptor::Command(StatementQueryAny("SELECT 1")), kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsNotImplemented()) << request.status().ToString();
  EXPECT_TRUE(Contains(request.status().message(), kStatementQueryUrl))
      << request.status().message();
}

TEST(DecodeReadDescriptorTest, CommandSqlPassesThrough) {
  auto request =
      DecodeReadDescriptor(FlightDescriptor::Command("SELECT * FROM t WHERE a = 'x'"), kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->sql, "SELECT * FROM t WHERE a = 'x'");
}

TEST(DecodeReadDescriptorTest, CommandFormatHandling) {
  auto request = DecodeReadDescriptor(FlightDescriptor::Command("SELECT 1 FORMAT Arrow"), kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->sql, "SELECT 1 ");

  request = DecodeReadDescriptor(FlightDescriptor::Command("select 1 format ARROW;"), kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->sql, "select 1 ");

  request = DecodeReadDescriptor(FlightDescriptor::Command("SELECT 'FORMAT JSON'"), kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->sql, "SELECT 'FORMAT JSON'");

  request = DecodeReadDescriptor(FlightDescriptor::Command("SELECT 1 FORMAT JSON"), kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsExecutionError()) << request.status().ToString();
  EXPECT_TRUE(Contains(request.status().message(), kInvalidFormat)) << request.status().message();
}

TEST(DecodeReadDescriptorTest, UnknownDescriptorType) {
  FlightDescriptor descriptor;
  auto request = DecodeReadDescriptor(descriptor, kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsTypeError()) << request.status().ToString();
}

// ---------------------------------------------------------------------------------------------
// DecodePutDescriptor

TEST(DecodePutDescriptorTest, PathLoadsAndCreates) {
  auto request = DecodePutDescriptor(FlightDescriptor::Path({"t"}), kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  const auto* load = std::get_if<PutRequest::Load>(&request->action);
  ASSERT_NE(load, nullptr);
  EXPECT_EQ(load->table_path, (Strings{"t"}));
  EXPECT_TRUE(load->columns.empty());
  EXPECT_TRUE(load->create_if_missing);
}

TEST(DecodePutDescriptorTest, PathKeepsTheNameVerbatim) {
  auto request = DecodePutDescriptor(FlightDescriptor::Path({"s.t \"x\""}), kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  const auto* load = std::get_if<PutRequest::Load>(&request->action);
  ASSERT_NE(load, nullptr);
  EXPECT_EQ(load->table_path, (Strings{"s.t \"x\""}));
}

TEST(DecodePutDescriptorTest, PathErrors) {
  auto request = DecodePutDescriptor(FlightDescriptor::Path({"a", "b", "c"}), kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsInvalid());
  EXPECT_TRUE(Contains(request.status().message(), "should be one-component (got 3 components)"))
      << request.status().message();

  request = DecodePutDescriptor(FlightDescriptor::Path({""}), kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(Contains(request.status().message(), "should specify the name of a table"))
      << request.status().message();
}

TEST(DecodePutDescriptorTest, InsertFormatArrowLoadsWithoutCreating) {
  auto request =
      DecodePutDescriptor(FlightDescriptor::Command("INSERT INTO s.t (a,b) FORMAT Arrow"), kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  const auto* load = std::get_if<PutRequest::Load>(&request->action);
  ASSERT_NE(load, nullptr);
  EXPECT_EQ(load->table_path, (Strings{"s", "t"}));
  EXPECT_EQ(load->columns, (Strings{"a", "b"}));
  EXPECT_FALSE(load->create_if_missing);

  request = DecodePutDescriptor(FlightDescriptor::Command("insert into T format arrow;"), kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  load = std::get_if<PutRequest::Load>(&request->action);
  ASSERT_NE(load, nullptr);
  EXPECT_EQ(load->table_path, (Strings{"T"}));
  EXPECT_TRUE(load->columns.empty());
  EXPECT_FALSE(load->create_if_missing);
}

TEST(DecodePutDescriptorTest, InsertWithOtherFormatIsExecutionError) {
  auto request = DecodePutDescriptor(FlightDescriptor::Command("INSERT INTO t FORMAT JSON"), kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsExecutionError()) << request.status().ToString();
  EXPECT_TRUE(Contains(request.status().message(), kInvalidFormat)) << request.status().message();
  EXPECT_TRUE(Contains(request.status().message(), "JSON")) << request.status().message();
}

TEST(DecodePutDescriptorTest, OtherSqlIsAStatement) {
  for (const char* sql : {"INSERT INTO t VALUES (1)", "CREATE TABLE x (a INTEGER)", "DELETE FROM t",
                          "INSERT INTO t SELECT * FROM u"}) {
    auto request = DecodePutDescriptor(FlightDescriptor::Command(sql), kMax);
    ASSERT_TRUE(request.ok()) << sql << ": " << request.status().ToString();
    const auto* statement = std::get_if<std::string>(&request->action);
    ASSERT_NE(statement, nullptr) << sql;
    EXPECT_EQ(*statement, sql);
  }
}

TEST(DecodePutDescriptorTest, StatementFormatHandling) {
  auto request = DecodePutDescriptor(FlightDescriptor::Command("SELECT 1 FORMAT Arrow"), kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  const auto* statement = std::get_if<std::string>(&request->action);
  ASSERT_NE(statement, nullptr);
  EXPECT_EQ(*statement, "SELECT 1 ");

  request = DecodePutDescriptor(FlightDescriptor::Command("SELECT 1 FORMAT CSV"), kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsExecutionError()) << request.status().ToString();
  EXPECT_TRUE(Contains(request.status().message(), kInvalidFormat)) << request.status().message();
}

TEST(DecodePutDescriptorTest, CommandErrors) {
  auto request = DecodePutDescriptor(FlightDescriptor::Command(""), kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsInvalid());
  EXPECT_EQ(request.status().message(), "Empty command.");

  request = DecodePutDescriptor(FlightDescriptor::Command(std::string(1025, 'x')), 1024);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsInvalid());
  EXPECT_TRUE(Contains(request.status().message(), "too large")) << request.status().message();

  request = DecodePutDescriptor(FlightDescriptor::Command(StatementQueryAny("SELECT 1")), kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsNotImplemented()) << request.status().ToString();

  request = DecodePutDescriptor(FlightDescriptor{}, kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsTypeError()) << request.status().ToString();
}

// ---------------------------------------------------------------------------------------------
// DecodeTicket

TEST(DecodeTicketTest, StoredTicket) {
  const std::string name = std::string(kTicketPrefix) + "0b1c2d3e-aaaa-4bbb-8ccc-123456789abc";
  auto request = DecodeTicket(Ticket{name}, kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  ASSERT_TRUE(request->stored_ticket.has_value());
  EXPECT_EQ(*request->stored_ticket, name);
  EXPECT_TRUE(request->sql.empty());
}

TEST(DecodeTicketTest, RawSql) {
  auto request = DecodeTicket(Ticket{"SELECT 42"}, kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_FALSE(request->stored_ticket.has_value());
  EXPECT_EQ(request->sql, "SELECT 42");

  request = DecodeTicket(Ticket{"SELECT 42 FORMAT Arrow;"}, kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_FALSE(request->stored_ticket.has_value());
  EXPECT_EQ(request->sql, "SELECT 42 ");

  // A ticket prefix that does not start the ticket is just SQL.
  request = DecodeTicket(Ticket{"SELECT '~TICKET-x'"}, kMax);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_FALSE(request->stored_ticket.has_value());
}

TEST(DecodeTicketTest, RawSqlWithOtherFormat) {
  auto request = DecodeTicket(Ticket{"SELECT 42 FORMAT JSON"}, kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsExecutionError()) << request.status().ToString();
  EXPECT_TRUE(Contains(request.status().message(), kInvalidFormat)) << request.status().message();
}

TEST(DecodeTicketTest, Errors) {
  auto request = DecodeTicket(Ticket{""}, kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsInvalid()) << request.status().ToString();

  request = DecodeTicket(Ticket{std::string(2000, 'x')}, 1024);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsInvalid()) << request.status().ToString();
  EXPECT_TRUE(Contains(request.status().message(), "too large")) << request.status().message();

  request = DecodeTicket(Ticket{StatementQueryAny("SELECT 1")}, kMax);
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(request.status().IsNotImplemented()) << request.status().ToString();
  EXPECT_TRUE(Contains(request.status().message(), kStatementQueryUrl))
      << request.status().message();
}

}  // namespace
}  // namespace quiver::protocol
