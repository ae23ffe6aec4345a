// Prepared statement and transaction stores: ownership, limits, lifetimes.
#include <gtest/gtest.h>

#include <arrow/scalar.h>
#include <arrow/table.h>

#include "common/clock.h"
#include "engine/database.h"
#include "server/flight_sql/prepared_statements.h"
#include "server/flight_sql/transactions.h"

namespace quiver::flight_sql {
namespace {

using std::chrono::seconds;

std::shared_ptr<PreparedStatementEntry> Entry(const std::string& user) {
  auto entry = std::make_shared<PreparedStatementEntry>();
  entry->user = user;
  entry->sql = "SELECT 1";
  return entry;
}

TEST(PreparedStatementStoreTest, OwnedByTheirUser) {
  FakeClock clock;
  PreparedStatementStore store(clock, 0, seconds(0));
  auto handle = store.Add(Entry("alice")).ValueOrDie();
  EXPECT_EQ(handle.rfind("~PREP-", 0), 0u);
  EXPECT_TRUE(store.Find(handle, "alice").ok());
  auto foreign = store.Find(handle, "bob");
  EXPECT_TRUE(foreign.status().IsKeyError());
  EXPECT_NE(foreign.status().message().find("Prepared statement handle not found"),
            std::string::npos);
  store.Close(handle, "bob", std::nullopt);  // another user's close is ignored
  EXPECT_TRUE(store.Find(handle, "alice").ok());
  store.Close(handle, "alice", std::nullopt);
  EXPECT_TRUE(store.Find(handle, "alice").status().IsKeyError());
}

TEST(PreparedStatementStoreTest, LimitPerUserAndBulkClose) {
  FakeClock clock;
  PreparedStatementStore store(clock, 2, seconds(0));
  ASSERT_TRUE(store.Add(Entry("alice")).ok());
  ASSERT_TRUE(store.Add(Entry("alice")).ok());
  auto third = store.Add(Entry("alice"));
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.status().message().find("Too many prepared statements"), std::string::npos);
  auto bobs = store.Add(Entry("bob"));  // the limit is per user
  ASSERT_TRUE(bobs.ok());
  store.Close("", "alice", std::nullopt);  // empty handle: all of alice's session-less ones
  EXPECT_EQ(store.size(), 1u);
  EXPECT_TRUE(store.Find(*bobs, "bob").ok());
  EXPECT_TRUE(store.Add(Entry("alice")).ok());
}

TEST(PreparedStatementStoreTest, LifetimeSlidesWithUse) {
  FakeClock clock;
  PreparedStatementStore store(clock, 1, seconds(2));
  auto handle = store.Add(Entry("alice")).ValueOrDie();
  clock.Advance(seconds(1));
  EXPECT_TRUE(store.Find(handle, "alice").ok());
  clock.Advance(seconds(1));
  EXPECT_TRUE(store.Find(handle, "alice").ok());  // used 1 s ago: still alive
  clock.Advance(seconds(3));
  EXPECT_TRUE(store.Find(handle, "alice").status().IsKeyError());
  EXPECT_TRUE(store.Add(Entry("alice")).ok());  // the expired one no longer counts
}

TEST(PreparedStatementStoreTest, ZeroLifetimeNeverExpires) {
  FakeClock clock;
  PreparedStatementStore store(clock, 0, seconds(0));
  auto handle = store.Add(Entry("alice")).ValueOrDie();
  clock.Advance(seconds(1'000'000));
  EXPECT_TRUE(store.Find(handle, "alice").ok());
}

TEST(TransactionStoreTest, CommitRollbackAndOwnership) {
  auto database = engine::Database::Open(":memory:").ValueOrDie();
  ASSERT_TRUE(database->Connect().ValueOrDie()->Execute("CREATE TABLE t (x INTEGER)").ok());
  TransactionStore transactions(database);

  auto kept = transactions.Begin("alice").ValueOrDie();
  {
    auto lease = transactions.Lease(kept, "alice").ValueOrDie();
    ASSERT_TRUE(lease.connection->Execute("INSERT INTO t VALUES (1)").ok());
  }
  EXPECT_TRUE(transactions.Lease(kept, "bob").status().IsKeyError());
  auto outside = database->Connect().ValueOrDie();
  auto count = [&] {
    auto reader = outside->Query("SELECT count(*) FROM t", {}).ValueOrDie();
    return reader->ToTable().ValueOrDie()->column(0)->GetScalar(0).ValueOrDie()->ToString();
  };
  EXPECT_EQ(count(), "0");  // not committed yet
  ASSERT_TRUE(transactions.End(kept, "alice", /*commit=*/true).ok());
  EXPECT_EQ(count(), "1");
  EXPECT_TRUE(transactions.Lease(kept, "alice").status().IsKeyError());

  auto dropped = transactions.Begin("alice").ValueOrDie();
  {
    auto lease = transactions.Lease(dropped, "alice").ValueOrDie();
    ASSERT_TRUE(lease.connection->Execute("INSERT INTO t VALUES (2)").ok());
  }
  ASSERT_TRUE(transactions.End(dropped, "alice", /*commit=*/false).ok());
  EXPECT_EQ(count(), "1");
  EXPECT_EQ(transactions.size(), 0u);
}

}  // namespace
}  // namespace quiver::flight_sql
