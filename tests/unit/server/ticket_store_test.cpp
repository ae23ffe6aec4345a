#include "server/results/ticket_store.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <regex>
#include <set>
#include <string>

#include "common/clock.h"

namespace quiver::results {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::shared_ptr<const StoredResult> MakeResult(int64_t bytes, int64_t rows = 1) {
  auto result = std::make_shared<StoredResult>();
  result->schema = arrow::schema({arrow::field("x", arrow::int64())});
  result->rows = rows;
  result->bytes = bytes;
  return result;
}

TEST(TicketStoreTest, AddAndFind) {
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  auto first = MakeResult(100);
  auto second = MakeResult(250, 7);
  const auto issued_first = store.Add(first);
  const auto issued_second = store.Add(second);
  EXPECT_NE(issued_first.ticket, issued_second.ticket);
  EXPECT_EQ(store.Find(issued_first.ticket), first);
  EXPECT_EQ(store.Find(issued_second.ticket), second);
  EXPECT_EQ(store.Find(issued_second.ticket)->rows, 7);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.bytes(), 350);
  // Finding does not consume.
  EXPECT_EQ(store.Find(issued_first.ticket), first);
}

TEST(TicketStoreTest, UnknownTicket) {
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  EXPECT_EQ(store.Find("~TICKET-00000000-0000-4000-8000-000000000000"), nullptr);
  EXPECT_EQ(store.Find(""), nullptr);
  const auto issued = store.Add(MakeResult(1));
  EXPECT_EQ(store.Find(issued.ticket + "0"), nullptr);
  EXPECT_EQ(store.Renew("~TICKET-unknown"), std::nullopt);
  store.Remove("~TICKET-unknown");  // no effect
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.bytes(), 1);
}

TEST(TicketStoreTest, TicketNamesArePrefixedUuids) {
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  const std::regex pattern(
      "~TICKET-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> tickets;
  for (int i = 0; i < 100; ++i) {
    const auto issued = store.Add(MakeResult(1));
    EXPECT_EQ(issued.ticket.rfind("~TICKET-", 0), 0u) << issued.ticket;
    EXPECT_TRUE(std::regex_match(issued.ticket, pattern)) << issued.ticket;
    tickets.insert(issued.ticket);
  }
  EXPECT_EQ(tickets.size(), 100u);
  EXPECT_EQ(store.size(), 100u);
  EXPECT_EQ(store.bytes(), 100);
}

TEST(TicketStoreTest, ExpiresAfterLifetime) {
  FakeClock clock;
  TicketStore store(clock, seconds(10));
  const TimePoint now = clock.Now();
  const auto issued = store.Add(MakeResult(64));
  ASSERT_TRUE(issued.expires.has_value());
  EXPECT_GT(*issued.expires, now);
  EXPECT_LE(*issued.expires, now + seconds(10));
  EXPECT_GT(*issued.expires, now + seconds(9));

  clock.Advance(seconds(10) - milliseconds(1));
  EXPECT_NE(store.Find(issued.ticket), nullptr);
  EXPECT_EQ(store.bytes(), 64);
  clock.Advance(milliseconds(1));
  EXPECT_EQ(store.Find(issued.ticket), nullptr);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.bytes(), 0);
  EXPECT_EQ(store.Renew(issued.ticket), std::nullopt);
}

TEST(TicketStoreTest, ExpiryIsInWholeMicroseconds) {
  FakeClock clock;
  clock.Advance(std::chrono::nanoseconds(1234));  // not a whole microsecond
  TicketStore store(clock, seconds(5));
  const TimePoint now = clock.Now();
  const auto issued = store.Add(MakeResult(1));
  ASSERT_TRUE(issued.expires.has_value());
  EXPECT_GT(*issued.expires, now);
  EXPECT_LE(*issued.expires, now + seconds(5));
  EXPECT_EQ(issued.expires->time_since_epoch().count() % 1000, 0);
}

TEST(TicketStoreTest, LifetimeZeroNeverExpires) {
  FakeClock clock;
  TicketStore store(clock, seconds(0));
  auto result = MakeResult(42);
  const auto issued = store.Add(result);
  EXPECT_EQ(issued.expires, std::nullopt);
  clock.Advance(std::chrono::hours(24 * 365 * 10));
  EXPECT_EQ(store.Find(issued.ticket), result);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.bytes(), 42);
  const auto renewed = store.Renew(issued.ticket);
  ASSERT_TRUE(renewed.has_value());
  EXPECT_EQ(*renewed, std::nullopt);
}

TEST(TicketStoreTest, Remove) {
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  const auto kept = store.Add(MakeResult(10));
  const auto removed = store.Add(MakeResult(20));
  EXPECT_EQ(store.bytes(), 30);
  store.Remove(removed.ticket);
  EXPECT_EQ(store.Find(removed.ticket), nullptr);
  EXPECT_NE(store.Find(kept.ticket), nullptr);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.bytes(), 10);
  // Removing twice is harmless and does not double-count.
  store.Remove(removed.ticket);
  EXPECT_EQ(store.bytes(), 10);
  store.Remove(kept.ticket);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.bytes(), 0);
}

TEST(TicketStoreTest, RenewExtends) {
  FakeClock clock;
  TicketStore store(clock, seconds(10));
  const auto issued = store.Add(MakeResult(5));
  clock.Advance(seconds(8));
  const TimePoint renewed_at = clock.Now();
  const auto renewed = store.Renew(issued.ticket);
  ASSERT_TRUE(renewed.has_value());
  ASSERT_TRUE(renewed->has_value());
  EXPECT_GT(**renewed, *issued.expires);
  EXPECT_GT(**renewed, renewed_at);
  EXPECT_LE(**renewed, renewed_at + seconds(10));

  clock.Advance(seconds(8));  // 16 s after issue, 8 s after renewal
  EXPECT_NE(store.Find(issued.ticket), nullptr);
  clock.Advance(seconds(2));  // 10 s after renewal
  EXPECT_EQ(store.Find(issued.ticket), nullptr);
  EXPECT_EQ(store.bytes(), 0);
}

TEST(TicketStoreTest, BytesAccountingAcrossExpiryAndRemoval) {
  FakeClock clock;
  TicketStore store(clock, seconds(10));
  const auto early = store.Add(MakeResult(1000));
  clock.Advance(seconds(5));
  const auto late = store.Add(MakeResult(300));
  const auto gone = store.Add(MakeResult(7));
  EXPECT_EQ(store.bytes(), 1307);
  store.Remove(gone.ticket);
  EXPECT_EQ(store.bytes(), 1300);
  clock.Advance(seconds(5));  // `early` expires
  EXPECT_EQ(store.bytes(), 300);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.Find(early.ticket), nullptr);
  EXPECT_NE(store.Find(late.ticket), nullptr);
  clock.Advance(seconds(5));  // `late` expires
  EXPECT_EQ(store.bytes(), 0);
  EXPECT_EQ(store.size(), 0u);
  // Removing an expired ticket does not make the count negative.
  store.Remove(late.ticket);
  EXPECT_EQ(store.bytes(), 0);
}

TEST(TicketStoreTest, AddPurgesExpiredTickets) {
  FakeClock clock;
  TicketStore store(clock, seconds(1));
  store.Add(MakeResult(50));
  clock.Advance(seconds(2));
  const auto fresh = store.Add(MakeResult(5));
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.bytes(), 5);
  EXPECT_NE(store.Find(fresh.ticket), nullptr);
}

}  // namespace
}  // namespace quiver::results
