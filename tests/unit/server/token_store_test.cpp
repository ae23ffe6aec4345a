#include "server/auth/token_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"

namespace quiver::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(TokenStoreTest, IssueAndUse) {
  FakeClock clock;
  TokenStore store(clock, seconds(60));
  const std::string alice = store.Issue("alice");
  const std::string bob = store.Issue("bob");
  EXPECT_EQ(store.Use(alice), "alice");
  EXPECT_EQ(store.Use(bob), "bob");
  EXPECT_EQ(store.Use(alice), "alice");
  EXPECT_EQ(store.size(), 2u);
}

TEST(TokenStoreTest, UnknownToken) {
  FakeClock clock;
  TokenStore store(clock, seconds(60));
  EXPECT_EQ(store.Use("no-such-token"), std::nullopt);
  EXPECT_EQ(store.Use(""), std::nullopt);
  const std::string token = store.Issue("alice");
  EXPECT_EQ(store.Use(token + "x"), std::nullopt);
  EXPECT_EQ(store.Use(token.substr(1)), std::nullopt);
  EXPECT_EQ(store.size(), 1u);
}

TEST(TokenStoreTest, SlidingExpiry) {
  FakeClock clock;
  TokenStore store(clock, seconds(3));
  const std::string token = store.Issue("alice");
  EXPECT_EQ(store.Use(token), "alice");  // t = 0
  clock.Advance(seconds(2));
  EXPECT_EQ(store.Use(token), "alice");  // t = 2
  clock.Advance(seconds(2));
  EXPECT_EQ(store.Use(token), "alice");  // t = 4: more than 3 s after issue, but it was used
  clock.Advance(seconds(4));
  EXPECT_EQ(store.Use(token), std::nullopt);  // t = 8: idle for 4 s
  // Once expired, it stays expired.
  clock.Advance(seconds(1));
  EXPECT_EQ(store.Use(token), std::nullopt);
  EXPECT_EQ(store.size(), 0u);
}

TEST(TokenStoreTest, ExpiresExactlyAfterIdleTimeout) {
  FakeClock clock;
  TokenStore store(clock, seconds(3));
  const std::string token = store.Issue("alice");
  clock.Advance(seconds(3) - milliseconds(1));
  EXPECT_EQ(store.Use(token), "alice");
  clock.Advance(seconds(3));
  EXPECT_EQ(store.Use(token), std::nullopt);
}

TEST(TokenStoreTest, UsingOneTokenDoesNotExtendAnother) {
  FakeClock clock;
  TokenStore store(clock, seconds(3));
  const std::string used = store.Issue("alice");
  const std::string idle = store.Issue("bob");
  clock.Advance(seconds(2));
  EXPECT_EQ(store.Use(used), "alice");
  clock.Advance(seconds(2));
  EXPECT_EQ(store.Use(used), "alice");
  EXPECT_EQ(store.Use(idle), std::nullopt);
}

TEST(TokenStoreTest, TokensAreDistinctUuids) {
  FakeClock clock;
  TokenStore store(clock, seconds(60));
  const std::regex uuid_v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> tokens;
  for (int i = 0; i < 200; ++i) {
    const std::string token = store.Issue("alice");
    EXPECT_TRUE(std::regex_match(token, uuid_v4)) << token;
    tokens.insert(token);
  }
  EXPECT_EQ(tokens.size(), 200u);
  EXPECT_EQ(store.size(), 200u);
  // The same user logging in twice gets two independent tokens.
  for (const auto& token : tokens) EXPECT_EQ(store.Use(token), "alice");
}

TEST(TokenStoreTest, SizePurgesExpiredTokens) {
  FakeClock clock;
  TokenStore store(clock, seconds(3));
  store.Issue("a");
  store.Issue("b");
  store.Issue("c");
  EXPECT_EQ(store.size(), 3u);
  clock.Advance(seconds(2));
  const std::string late = store.Issue("d");
  EXPECT_EQ(store.size(), 4u);
  clock.Advance(milliseconds(1500));  // t = 3.5 s: the first three have expired
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.Use(late), "d");
  clock.Advance(seconds(10));
  EXPECT_EQ(store.size(), 0u);
}

TEST(TokenStoreTest, ConcurrentIssueAndUse) {
  FakeClock clock;
  TokenStore store(clock, seconds(60));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string user = "user" + std::to_string(t);
      for (int i = 0; i < 250; ++i) {
        const std::string token = store.Issue(user);
        if (store.Use(token) != user) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store.size(), 1000u);
}

}  // namespace
}  // namespace quiver::auth
