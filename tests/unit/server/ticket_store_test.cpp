#include "server/results/ticket_store.h"

#include <arrow/api.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/random_id.h"

namespace quiver::results {
namespace {

const std::string kOwner = "alice";

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A result whose `bytes` is whatever the test says (the store trusts the builder's count).
std::shared_ptr<const StoredResult> MakeResult(int64_t bytes, int64_t rows = 1) {
  auto result = std::make_shared<StoredResult>();
  result->schema = arrow::schema({arrow::field("x", arrow::int64())});
  result->rows = rows;
  result->bytes = bytes;
  return result;
}

// A result with real batches: ids from `first`, strings (some null), in `batch_count` batches.
// The announced schema carries field metadata that the batches' own schema lacks, as Flight SQL
// results do.
std::shared_ptr<StoredResult> MakeBatchResult(int batch_count, int64_t rows_per_batch,
                                              int64_t first = 0) {
  auto plain = arrow::schema(
      {arrow::field("id", arrow::int64(), false), arrow::field("name", arrow::utf8())});
  auto result = std::make_shared<StoredResult>();
  result->schema = arrow::schema({plain->field(0)->WithMetadata(arrow::key_value_metadata(
                                      {"ARROW:FLIGHT:SQL:TYPE_NAME"}, {"BIGINT"})),
                                  plain->field(1)});
  for (int b = 0; b < batch_count; ++b) {
    arrow::Int64Builder ids;
    arrow::StringBuilder names;
    for (int64_t i = 0; i < rows_per_batch; ++i) {
      const int64_t id = first + b * rows_per_batch + i;
      EXPECT_TRUE(ids.Append(id).ok());
      EXPECT_TRUE(
          (id % 7 == 0 ? names.AppendNull() : names.Append("name-" + std::to_string(id))).ok());
    }
    auto batch = arrow::RecordBatch::Make(plain, rows_per_batch,
                                          {ids.Finish().ValueOrDie(), names.Finish().ValueOrDie()});
    result->rows += batch->num_rows();
    result->bytes += 1000;
    result->batches.push_back(std::move(batch));
  }
  return result;
}

TicketStore::Issued MustAdd(TicketStore& store, std::shared_ptr<const StoredResult> result) {
  auto issued = store.Add(std::move(result), kOwner);
  EXPECT_TRUE(issued.ok()) << issued.status().ToString();
  return issued.ok() ? *issued : TicketStore::Issued{};
}

bool Live(TicketStore& store, const std::string& ticket) { return store.Open(ticket, kOwner).ok(); }

arrow::RecordBatchVector ReadAll(arrow::RecordBatchReader& reader) {
  arrow::RecordBatchVector batches;
  while (true) {
    auto batch = reader.Next();
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    if (!batch.ok() || !*batch) return batches;
    batches.push_back(*batch);
  }
}

arrow::RecordBatchVector ReadTicket(TicketStore& store, const std::string& ticket) {
  auto reader = store.Open(ticket, kOwner);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  return reader.ok() ? ReadAll(**reader) : arrow::RecordBatchVector{};
}

void ExpectSameBatches(const arrow::RecordBatchVector& actual,
                       const arrow::RecordBatchVector& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_TRUE(actual[i]->Equals(*expected[i])) << "batch " << i;
  }
}

size_t FileCount(const std::string& directory) {
  size_t count = 0;
  for (const auto& entry : fs::directory_iterator(directory)) count += entry.is_regular_file();
  return count;
}

// A private parent directory for one test's spill directories, removed afterwards.
class SpillParent {
 public:
  SpillParent()
      : path_((fs::temp_directory_path() / ("ticket_store_test-" + RandomUuid())).string()) {
    fs::create_directories(path_);
  }
  ~SpillParent() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(TicketStoreTest, AddAndOpen) {
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  auto first = MakeBatchResult(2, 5);
  auto second = MakeBatchResult(1, 7, 100);
  const auto issued_first = MustAdd(store, first);
  const auto issued_second = MustAdd(store, second);
  EXPECT_NE(issued_first.ticket, issued_second.ticket);
  ExpectSameBatches(ReadTicket(store, issued_first.ticket), first->batches);
  ExpectSameBatches(ReadTicket(store, issued_second.ticket), second->batches);
  auto reader = store.Open(issued_second.ticket, kOwner);
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE((*reader)->schema()->Equals(*second->schema, /*check_metadata=*/true));
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.bytes(), 3000);
  EXPECT_EQ(store.spilled_bytes(), 0);
  // Reading does not consume.
  ExpectSameBatches(ReadTicket(store, issued_first.ticket), first->batches);
}

TEST(TicketStoreTest, TicketsBelongToTheirOwner) {
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  const auto issued = MustAdd(store, MakeResult(1));
  // Another user learns nothing, not even that the ticket exists.
  auto other = store.Open(issued.ticket, "mallory");
  ASSERT_TRUE(other.status().IsKeyError());
  EXPECT_EQ(other.status().message(), "Ticket '" + issued.ticket + "' not found");
  EXPECT_EQ(store.Renew(issued.ticket, "mallory"), std::nullopt);
  EXPECT_TRUE(store.Open(issued.ticket, kOwner).ok());
}

TEST(TicketStoreTest, MaxTicketsPerUser) {
  FakeClock clock;
  TicketStore store(clock, seconds(10), /*max_per_user=*/2);
  const auto first = MustAdd(store, MakeResult(1));
  MustAdd(store, MakeResult(1));
  auto third = store.Add(MakeResult(1), kOwner);
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.status().message().find("max_tickets_per_user = 2"), std::string::npos)
      << third.status().ToString();
  EXPECT_TRUE(store.Add(MakeResult(1), "bob").ok());  // the cap is per user
  store.Remove(first.ticket);
  EXPECT_TRUE(store.Add(MakeResult(1), kOwner).ok());
  clock.Advance(seconds(11));  // expired tickets no longer count
  EXPECT_TRUE(store.Add(MakeResult(1), kOwner).ok());
  EXPECT_TRUE(store.Add(MakeResult(1), kOwner).ok());
}

TEST(TicketStoreTest, UnknownTicket) {
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  auto missing = store.Open("~TICKET-00000000-0000-4000-8000-000000000000", kOwner);
  ASSERT_TRUE(missing.status().IsKeyError());
  EXPECT_EQ(missing.status().message(),
            "Ticket '~TICKET-00000000-0000-4000-8000-000000000000' not found");
  EXPECT_TRUE(store.Open("", kOwner).status().IsKeyError());
  const auto issued = MustAdd(store, MakeResult(1));
  EXPECT_TRUE(store.Open(issued.ticket + "0", kOwner).status().IsKeyError());
  EXPECT_EQ(store.Renew("~TICKET-unknown", kOwner), std::nullopt);
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
    const auto issued = MustAdd(store, MakeResult(1));
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
  const auto issued = MustAdd(store, MakeResult(64));
  ASSERT_TRUE(issued.expires.has_value());
  EXPECT_GT(*issued.expires, now);
  EXPECT_LE(*issued.expires, now + seconds(10));
  EXPECT_GT(*issued.expires, now + seconds(9));

  clock.Advance(seconds(10) - milliseconds(1));
  EXPECT_TRUE(Live(store, issued.ticket));
  EXPECT_EQ(store.bytes(), 64);
  clock.Advance(milliseconds(1));
  EXPECT_FALSE(Live(store, issued.ticket));
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.bytes(), 0);
  EXPECT_EQ(store.Renew(issued.ticket, kOwner), std::nullopt);
}

TEST(TicketStoreTest, ExpiryIsInWholeMicroseconds) {
  FakeClock clock;
  clock.Advance(std::chrono::nanoseconds(1234));  // not a whole microsecond
  TicketStore store(clock, seconds(5));
  const TimePoint now = clock.Now();
  const auto issued = MustAdd(store, MakeResult(1));
  ASSERT_TRUE(issued.expires.has_value());
  EXPECT_GT(*issued.expires, now);
  EXPECT_LE(*issued.expires, now + seconds(5));
  EXPECT_EQ(issued.expires->time_since_epoch().count() % 1000, 0);
}

TEST(TicketStoreTest, LifetimeZeroNeverExpires) {
  FakeClock clock;
  TicketStore store(clock, seconds(0));
  const auto issued = MustAdd(store, MakeResult(42));
  EXPECT_EQ(issued.expires, std::nullopt);
  clock.Advance(std::chrono::hours(24 * 365 * 10));
  EXPECT_TRUE(Live(store, issued.ticket));
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.bytes(), 42);
  const auto renewed = store.Renew(issued.ticket, kOwner);
  ASSERT_TRUE(renewed.has_value());
  EXPECT_EQ(*renewed, std::nullopt);
}

TEST(TicketStoreTest, Remove) {
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  const auto kept = MustAdd(store, MakeResult(10));
  const auto removed = MustAdd(store, MakeResult(20));
  EXPECT_EQ(store.bytes(), 30);
  store.Remove(removed.ticket);
  EXPECT_FALSE(Live(store, removed.ticket));
  EXPECT_TRUE(Live(store, kept.ticket));
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
  const auto issued = MustAdd(store, MakeResult(5));
  clock.Advance(seconds(8));
  const TimePoint renewed_at = clock.Now();
  const auto renewed = store.Renew(issued.ticket, kOwner);
  ASSERT_TRUE(renewed.has_value());
  ASSERT_TRUE(renewed->has_value());
  EXPECT_GT(**renewed, *issued.expires);
  EXPECT_GT(**renewed, renewed_at);
  EXPECT_LE(**renewed, renewed_at + seconds(10));

  clock.Advance(seconds(8));  // 16 s after issue, 8 s after renewal
  EXPECT_TRUE(Live(store, issued.ticket));
  clock.Advance(seconds(2));  // 10 s after renewal
  EXPECT_FALSE(Live(store, issued.ticket));
  EXPECT_EQ(store.bytes(), 0);
}

TEST(TicketStoreTest, BytesAccountingAcrossExpiryAndRemoval) {
  FakeClock clock;
  TicketStore store(clock, seconds(10));
  const auto early = MustAdd(store, MakeResult(1000));
  clock.Advance(seconds(5));
  const auto late = MustAdd(store, MakeResult(300));
  const auto gone = MustAdd(store, MakeResult(7));
  EXPECT_EQ(store.bytes(), 1307);
  store.Remove(gone.ticket);
  EXPECT_EQ(store.bytes(), 1300);
  clock.Advance(seconds(5));  // `early` expires
  EXPECT_EQ(store.bytes(), 300);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_FALSE(Live(store, early.ticket));
  EXPECT_TRUE(Live(store, late.ticket));
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
  MustAdd(store, MakeResult(50));
  clock.Advance(seconds(2));
  const auto fresh = MustAdd(store, MakeResult(5));
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.bytes(), 5);
  EXPECT_TRUE(Live(store, fresh.ticket));
}

TEST(TicketStoreTest, WithoutSpillingEverythingStaysInMemory) {
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  MustAdd(store, MakeResult(int64_t{1} << 40));
  EXPECT_EQ(store.bytes(), int64_t{1} << 40);
  EXPECT_EQ(store.spilled_bytes(), 0);
  EXPECT_EQ(store.spill_directory(), "");
}

TEST(TicketStoreSpillTest, SpillDirectoryIsPrivateAndNamedAfterTheProcess) {
  SpillParent parent;
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  ASSERT_TRUE(store.EnableSpilling(100, parent.path()).ok());
  const fs::path directory = store.spill_directory();
  EXPECT_EQ(directory.parent_path(), fs::path(parent.path()));
  EXPECT_TRUE(std::regex_match(directory.filename().string(),
                               std::regex("quiver-spill-" + std::to_string(getpid()) + "-.{6}")))
      << directory;
  struct stat info {};
  ASSERT_EQ(stat(directory.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  EXPECT_TRUE(store.EnableSpilling(100, parent.path()).IsInvalid());  // only once
}

TEST(TicketStoreSpillTest, MissingParentIsCreatedAndDefaultIsTmpdir) {
  SpillParent parent;
  FakeClock clock;
  TicketStore nested(clock, seconds(600));
  ASSERT_TRUE(nested.EnableSpilling(100, parent.path() + "/a/b").ok());
  EXPECT_EQ(fs::path(nested.spill_directory()).parent_path(), fs::path(parent.path() + "/a/b"));

  const char* saved = std::getenv("TMPDIR");
  const std::string saved_value = saved ? saved : "";
  setenv("TMPDIR", parent.path().c_str(), 1);
  TicketStore defaulted(clock, seconds(600));
  const auto status = defaulted.EnableSpilling(100, "");
  saved ? setenv("TMPDIR", saved_value.c_str(), 1) : unsetenv("TMPDIR");
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(fs::path(defaulted.spill_directory()).parent_path(), fs::path(parent.path()));
}

TEST(TicketStoreSpillTest, UnusableDirectoryOrNegativeBudgetIsAnError) {
  SpillParent parent;
  const std::string file = parent.path() + "/not-a-directory";
  std::ofstream(file) << "x";
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  auto status = store.EnableSpilling(100, file);
  EXPECT_TRUE(status.IsIOError()) << status.ToString();
  EXPECT_NE(status.message().find("spill_directory '" + file + "'"), std::string::npos)
      << status.message();
  status = store.EnableSpilling(100, file + "/below");
  EXPECT_NE(status.message().find(file + "/below"), std::string::npos) << status.message();
  EXPECT_TRUE(store.EnableSpilling(-1, parent.path()).IsInvalid());
  EXPECT_EQ(store.spill_directory(), "");
  // The failures enabled nothing.
  MustAdd(store, MakeResult(1000));
  EXPECT_EQ(store.bytes(), 1000);
}

TEST(TicketStoreSpillTest, BudgetIsRespected) {
  SpillParent parent;
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  ASSERT_TRUE(store.EnableSpilling(1000, parent.path()).ok());
  const auto a = MustAdd(store, MakeResult(400));
  const auto b = MustAdd(store, MakeResult(400));
  EXPECT_EQ(store.bytes(), 800);
  EXPECT_EQ(FileCount(store.spill_directory()), 0u);
  const auto c = MustAdd(store, MakeResult(400));  // 1200 would exceed the budget: spilled
  EXPECT_EQ(store.bytes(), 800);
  EXPECT_EQ(store.spilled_bytes(), 400);
  EXPECT_EQ(FileCount(store.spill_directory()), 1u);
  const auto d = MustAdd(store, MakeResult(200));  // exactly fills the budget: kept in memory
  EXPECT_EQ(store.bytes(), 1000);
  const auto e = MustAdd(store, MakeResult(1));
  EXPECT_EQ(store.bytes(), 1000);
  EXPECT_EQ(store.spilled_bytes(), 401);
  EXPECT_EQ(FileCount(store.spill_directory()), 2u);
  for (const auto* issued : {&a, &b, &c, &d, &e}) EXPECT_TRUE(Live(store, issued->ticket));
  // Memory freed by a removal is available to the next result again.
  store.Remove(a.ticket);
  MustAdd(store, MakeResult(400));
  EXPECT_EQ(store.bytes(), 1000);
  EXPECT_EQ(FileCount(store.spill_directory()), 2u);
}

TEST(TicketStoreSpillTest, ConcurrentAddsNeverExceedTheBudget) {
  SpillParent parent;
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  ASSERT_TRUE(store.EnableSpilling(1000, parent.path()).ok());
  std::atomic<bool> over_budget{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (!store.Add(MakeResult(70), kOwner).ok()) over_budget = true;
        if (store.bytes() > 1000) over_budget = true;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_FALSE(over_budget);
  EXPECT_EQ(store.size(), 80u);
  EXPECT_EQ(store.bytes(), 14 * 70);
  EXPECT_EQ(store.bytes() + store.spilled_bytes(), 80 * 70);
  EXPECT_EQ(FileCount(store.spill_directory()), 80u - 14u);
}

TEST(TicketStoreSpillTest, SpilledTicketReadsBackIdenticalBatches) {
  SpillParent parent;
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  ASSERT_TRUE(store.EnableSpilling(0, parent.path()).ok());
  auto result = MakeBatchResult(5, 1000);
  const auto expected = result->batches;
  const auto schema = result->schema;
  std::weak_ptr<const StoredResult> watch = result;
  const auto issued = MustAdd(store, std::move(result));
  // The store was the result's last owner: its batches left memory once written.
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(store.bytes(), 0);
  EXPECT_EQ(store.spilled_bytes(), 5000);

  auto reader = store.Open(issued.ticket, kOwner);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  // The announced schema, field metadata included, as an in-memory ticket would stream it.
  EXPECT_TRUE((*reader)->schema()->Equals(*schema, /*check_metadata=*/true));
  const auto batches = ReadAll(**reader);
  // Batch by batch, as written (not one concatenated table).
  ExpectSameBatches(batches, expected);
  for (const auto& batch : batches) {
    EXPECT_TRUE(batch->schema()->Equals(*schema, /*check_metadata=*/true));
  }
  // A ticket can be read again, also concurrently.
  auto first = store.Open(issued.ticket, kOwner);
  auto second = store.Open(issued.ticket, kOwner);
  ASSERT_TRUE(first.ok() && second.ok());
  ExpectSameBatches(ReadAll(**second), expected);
  ExpectSameBatches(ReadAll(**first), expected);
}

TEST(TicketStoreSpillTest, EmptyResultRoundTrips) {
  SpillParent parent;
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  ASSERT_TRUE(store.EnableSpilling(0, parent.path()).ok());
  auto empty = MakeBatchResult(0, 0);
  const auto issued = MustAdd(store, empty);
  auto reader = store.Open(issued.ticket, kOwner);
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE((*reader)->schema()->Equals(*empty->schema, /*check_metadata=*/true));
  EXPECT_TRUE(ReadAll(**reader).empty());
}

TEST(TicketStoreSpillTest, BudgetZeroSpillsEverything) {
  SpillParent parent;
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  ASSERT_TRUE(store.EnableSpilling(0, parent.path()).ok());
  std::vector<TicketStore::Issued> issued;
  for (int i = 0; i < 4; ++i) issued.push_back(MustAdd(store, MakeBatchResult(i, 10, i * 100)));
  issued.push_back(MustAdd(store, MakeResult(0, 0)));
  EXPECT_EQ(store.bytes(), 0);
  EXPECT_EQ(store.spilled_bytes(), (0 + 1 + 2 + 3) * 1000);
  EXPECT_EQ(FileCount(store.spill_directory()), 5u);
  EXPECT_EQ(ReadTicket(store, issued[3].ticket).size(), 3u);
}

TEST(TicketStoreSpillTest, ExpiryAndRemovalDeleteFiles) {
  SpillParent parent;
  FakeClock clock;
  TicketStore store(clock, seconds(10));
  ASSERT_TRUE(store.EnableSpilling(0, parent.path()).ok());
  auto result = MakeBatchResult(3, 100);
  const auto expected = result->batches;
  const auto expiring = MustAdd(store, result);
  clock.Advance(seconds(5));
  const auto removed = MustAdd(store, MakeResult(10));
  const auto kept = MustAdd(store, MakeResult(20));
  EXPECT_EQ(FileCount(store.spill_directory()), 3u);

  store.Remove(removed.ticket);
  EXPECT_EQ(FileCount(store.spill_directory()), 2u);
  EXPECT_EQ(store.spilled_bytes(), 3000 + 20);

  // A stream opened before the ticket expires reads to its end after the file is deleted.
  auto open_before = store.Open(expiring.ticket, kOwner);
  ASSERT_TRUE(open_before.ok());
  clock.Advance(seconds(5));
  EXPECT_EQ(store.size(), 1u);  // purges `expiring`
  EXPECT_EQ(FileCount(store.spill_directory()), 1u);
  EXPECT_EQ(store.spilled_bytes(), 20);
  EXPECT_TRUE(store.Open(expiring.ticket, kOwner).status().IsKeyError());
  ExpectSameBatches(ReadAll(**open_before), expected);
  EXPECT_TRUE(Live(store, kept.ticket));
}

TEST(TicketStoreSpillTest, SweeperDeletesExpiredFilesWithoutAnyCall) {
  SpillParent parent;
  FakeClock clock;
  TicketStore store(clock, seconds(1));
  ASSERT_TRUE(store.EnableSpilling(0, parent.path()).ok());
  MustAdd(store, MakeResult(10));
  const std::string directory = store.spill_directory();
  ASSERT_EQ(FileCount(directory), 1u);
  clock.Advance(seconds(1));
  // Only the filesystem is watched: no call on the store could purge the ticket itself.
  const auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while (FileCount(directory) > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(FileCount(directory), 0u);
}

TEST(TicketStoreSpillTest, DestructorRemovesFilesAndDirectory) {
  SpillParent parent;
  FakeClock clock;
  std::string directory;
  std::shared_ptr<arrow::RecordBatchReader> outliving;
  auto result = MakeBatchResult(2, 50);
  const auto expected = result->batches;
  {
    TicketStore store(clock, seconds(0));
    ASSERT_TRUE(store.EnableSpilling(1500, parent.path()).ok());
    MustAdd(store, MakeResult(1000));  // in memory
    const auto spilled = MustAdd(store, result);
    MustAdd(store, MakeResult(700));
    directory = store.spill_directory();
    EXPECT_EQ(FileCount(directory), 2u);
    outliving = store.Open(spilled.ticket, kOwner).ValueOrDie();
  }
  EXPECT_FALSE(fs::exists(directory));
  EXPECT_TRUE(fs::exists(parent.path()));  // only Quiver's own subdirectory goes
  ExpectSameBatches(ReadAll(*outliving), expected);
}

TEST(TicketStoreSpillTest, WriteFailureIsAnErrorAndIssuesNothing) {
  SpillParent parent;
  FakeClock clock;
  TicketStore store(clock, seconds(600));
  ASSERT_TRUE(store.EnableSpilling(0, parent.path()).ok());
  fs::remove_all(store.spill_directory());  // as if someone cleaned /tmp
  auto issued = store.Add(MakeBatchResult(1, 10), kOwner);
  ASSERT_FALSE(issued.ok());
  EXPECT_NE(issued.status().message().find("cannot write spill file"), std::string::npos)
      << issued.status().ToString();
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.spilled_bytes(), 0);
}

}  // namespace
}  // namespace quiver::results
