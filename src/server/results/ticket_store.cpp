#include "server/results/ticket_store.h"

#include <arrow/flight/types.h>
#include <arrow/io/file.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <spdlog/spdlog.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "common/random_id.h"
#include "server/protocol/descriptor.h"

namespace quiver::results {

namespace fs = std::filesystem;

// Spill files of tickets that are gone, deleted when this goes out of scope. Methods declare it
// before their lock_guard so that the files are unlinked after the mutex is released. Deleting a
// file that a DoGet is still reading is harmless: its open descriptor keeps the data alive.
class TicketStore::DoomedFiles {
 public:
  DoomedFiles() = default;
  DoomedFiles(const DoomedFiles&) = delete;
  DoomedFiles& operator=(const DoomedFiles&) = delete;
  ~DoomedFiles() {
    for (const auto& path : paths_) {
      std::error_code error;
      if (!fs::remove(path, error) && error) {
        spdlog::warn("cannot delete spill file {}: {}", path, error.message());
      }
    }
  }
  void Add(std::string path) { paths_.push_back(std::move(path)); }

 private:
  std::vector<std::string> paths_;
};

namespace {

// How often the sweeper purges expired tickets, in real time whatever the store's clock.
constexpr auto kSweepInterval = std::chrono::seconds(1);

// Spill directories left behind by Quiver processes that no longer exist (killed, so they could
// not clean up): their tickets died with them.
void RemoveOrphanedSpillDirectories(const std::string& parent) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(parent, error)) {
    const std::string name = entry.path().filename().string();
    constexpr std::string_view kPrefix = "quiver-spill-";
    if (name.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    const size_t dash = name.find('-', kPrefix.size());
    if (dash == std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::atoll(name.substr(kPrefix.size(), dash).c_str()));
    if (pid <= 0 || pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code ignored;
    if (fs::remove_all(entry.path(), ignored) > 0) {
      spdlog::info("removed spill directory {} of a Quiver process that is gone",
                   entry.path().string());
    }
  }
}

arrow::Result<std::string> CreateSpillDirectory(const std::string& configured_parent) {
  std::string parent = configured_parent;
  std::string what = "spill_directory '" + parent + "'";
  if (parent.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    parent = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
    what = "temporary directory '" + parent + "' (spill_directory is not set)";
  }
  std::error_code error;
  fs::create_directories(parent, error);
  if (error) return arrow::Status::IOError("cannot create ", what, ": ", error.message());
  RemoveOrphanedSpillDirectories(parent);
  // mkdtemp picks a name no other process uses and makes the directory private to this user:
  // spill files hold query results.
  std::string path =
      (fs::path(parent) / ("quiver-spill-" + std::to_string(getpid()) + "-XXXXXX")).string();
  if (mkdtemp(path.data()) == nullptr) {
    return arrow::Status::IOError("cannot create a directory for spill files in ", what, ": ",
                                  std::error_code(errno, std::generic_category()).message());
  }
  return path;
}

// The file carries the announced schema rather than the batches' own (which may lack the
// announced field metadata), so that a spilled ticket streams exactly what an in-memory one does.
arrow::Status WriteSpillFile(const std::string& path, const StoredResult& result) {
  ARROW_ASSIGN_OR_RAISE(auto file, arrow::io::FileOutputStream::Open(path));
  ARROW_ASSIGN_OR_RAISE(auto writer, arrow::ipc::MakeStreamWriter(file, result.schema));
  for (const auto& batch : result.batches) {
    ARROW_ASSIGN_OR_RAISE(auto announced, batch->ReplaceSchema(result.schema));
    ARROW_RETURN_NOT_OK(writer->WriteRecordBatch(*announced));
  }
  ARROW_RETURN_NOT_OK(writer->Close());
  return file->Close();
}

}  // namespace

TicketStore::~TicketStore() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
  if (spill_directory_.empty()) return;
  // Every spill file is inside the directory, and the directory is this store's alone.
  std::error_code error;
  fs::remove_all(spill_directory_, error);
  if (error) {
    spdlog::warn("cannot delete spill directory {}: {}", spill_directory_, error.message());
  }
}

arrow::Status TicketStore::EnableSpilling(int64_t memory_budget_bytes,
                                          const std::string& parent_directory) {
  if (memory_budget_bytes < 0) {
    return arrow::Status::Invalid("tickets_memory_budget_bytes must be >= 0");
  }
  std::lock_guard lock(mutex_);
  if (memory_budget_bytes_) return arrow::Status::Invalid("ticket spilling is already enabled");
  ARROW_ASSIGN_OR_RAISE(spill_directory_, CreateSpillDirectory(parent_directory));
  memory_budget_bytes_ = memory_budget_bytes;
  sweeper_ = std::thread([this] { SweepUntilStopped(); });
  return arrow::Status::OK();
}

void TicketStore::SweepUntilStopped() {
  while (true) {
    // Declared first so that, at the end of each round, the mutex is released before the files
    // are deleted.
    DoomedFiles doomed;
    std::unique_lock lock(mutex_);
    if (stop_.wait_for(lock, kSweepInterval, [this] { return stopping_; })) return;
    PurgeExpiredLocked(clock_.Now(), doomed);
  }
}

std::string TicketStore::spill_directory() {
  std::lock_guard lock(mutex_);
  return spill_directory_;
}

std::optional<TimePoint> TicketStore::ExpiryFrom(TimePoint now) const {
  if (lifetime_.count() == 0) return std::nullopt;
  // Whole microseconds: clients (pyarrow without pandas) cannot show finer timestamps.
  return std::chrono::floor<std::chrono::microseconds>(now + lifetime_);
}

// When the budget is full, the result being added goes to disk, never one already in memory:
// - memory stays within the budget at every moment, whereas writing out an older result frees
//   nothing while a DoGet is still streaming it from memory;
// - the call that overflows the budget pays for the IO in its own thread, so a large query slows
//   down itself rather than pushing other clients' small results out to disk;
// - an entry never moves from memory to a file, so Open never races with such a move.
// The price is that, with a full budget, the newest results are the ones read from disk.
bool TicketStore::FitsInMemoryLocked(int64_t bytes) const {
  if (!memory_budget_bytes_) return true;
  // A budget of 0 means "spill everything", empty results included.
  return *memory_budget_bytes_ > 0 && bytes_ + bytes <= *memory_budget_bytes_;
}

arrow::Result<TicketStore::Issued> TicketStore::Add(std::shared_ptr<const StoredResult> result,
                                                    const std::string& owner) {
  Issued issued{std::string(protocol::kTicketPrefix) + RandomUuid(), std::nullopt};
  const TimePoint now = clock_.Now();
  issued.expires = ExpiryFrom(now);
  const int64_t bytes = result->bytes;
  std::string spill_file;
  {
    DoomedFiles doomed;
    std::lock_guard lock(mutex_);
    PurgeExpiredLocked(now, doomed);
    int64_t& held = per_user_[owner];
    if (max_per_user_ > 0 && held >= max_per_user_) {
      return arrow::flight::MakeFlightError(
          arrow::flight::FlightStatusCode::Unavailable,
          "Too many tickets for user '" + owner + "' (max_tickets_per_user = " +
              std::to_string(max_per_user_) + "): read them or let them expire first");
    }
    // Counted now, so that concurrent adds of one user cannot overshoot while this one spills.
    ++held;
    if (FitsInMemoryLocked(bytes)) {
      bytes_ += bytes;
      entries_[issued.ticket] = Entry{std::move(result), "", bytes, issued.expires, owner};
      return issued;
    }
    spill_file =
        (fs::path(spill_directory_) / ("result-" + std::to_string(next_spill_file_++) + ".arrows"))
            .string();
  }
  // Written without the mutex: a piece of a result can be tens of MiB, and other calls (other
  // GetFlightInfos, DoGets of other tickets) must not wait for the disk meanwhile.
  if (auto status = WriteSpillFile(spill_file, *result); !status.ok()) {
    std::error_code ignored;
    fs::remove(spill_file, ignored);
    {
      std::lock_guard lock(mutex_);
      ForgetOwnerLocked(owner);
    }
    return status.WithMessage("cannot write spill file '", spill_file, "': ", status.message());
  }
  spdlog::debug("ticket result of {} bytes spilled to {}", bytes, spill_file);
  // When the caller handed over its reference, this frees the batches before the next piece of
  // the result is read, which is what keeps a large GetFlightInfo within its memory bound.
  result.reset();
  std::lock_guard lock(mutex_);
  spilled_bytes_ += bytes;
  entries_[issued.ticket] = Entry{nullptr, std::move(spill_file), bytes, issued.expires, owner};
  return issued;
}

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> TicketStore::Open(
    const std::string& ticket, const std::string& user) {
  std::shared_ptr<arrow::io::ReadableFile> file;
  {
    DoomedFiles doomed;
    std::lock_guard lock(mutex_);
    PurgeExpiredLocked(clock_.Now(), doomed);
    auto it = entries_.find(ticket);
    if (it == entries_.end() || it->second.owner != user) {
      return arrow::Status::KeyError("Ticket '", ticket, "' not found");
    }
    const Entry& entry = it->second;
    if (entry.spill_file.empty()) {
      return arrow::RecordBatchReader::Make(entry.result->batches, entry.result->schema);
    }
    // Opened under the mutex: a file is deleted only after its entry left the map, so it still
    // exists here, and from now on the descriptor keeps it readable whatever happens to the
    // ticket. A plain file rather than a memory map: mapped pages count towards the server's
    // resident memory as they are streamed, plain reads cost one batch at a time.
    ARROW_ASSIGN_OR_RAISE(file, arrow::io::ReadableFile::Open(entry.spill_file));
  }
  // Reads the schema now and each batch only when the stream asks for it.
  ARROW_ASSIGN_OR_RAISE(auto reader, arrow::ipc::RecordBatchStreamReader::Open(file));
  return reader;
}

void TicketStore::Remove(const std::string& ticket) {
  DoomedFiles doomed;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(ticket);
  if (it != entries_.end()) EraseLocked(it, doomed);
}

std::optional<std::optional<TimePoint>> TicketStore::Renew(const std::string& ticket,
                                                           const std::string& user) {
  const TimePoint now = clock_.Now();
  DoomedFiles doomed;
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(now, doomed);
  auto it = entries_.find(ticket);
  if (it == entries_.end() || it->second.owner != user) return std::nullopt;
  it->second.expires = ExpiryFrom(now);
  return it->second.expires;
}

size_t TicketStore::size() {
  DoomedFiles doomed;
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(clock_.Now(), doomed);
  return entries_.size();
}

int64_t TicketStore::bytes() {
  DoomedFiles doomed;
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(clock_.Now(), doomed);
  return bytes_;
}

int64_t TicketStore::spilled_bytes() {
  DoomedFiles doomed;
  std::lock_guard lock(mutex_);
  PurgeExpiredLocked(clock_.Now(), doomed);
  return spilled_bytes_;
}

TicketStore::Entries::iterator TicketStore::EraseLocked(Entries::iterator it, DoomedFiles& doomed) {
  Entry& entry = it->second;
  if (entry.spill_file.empty()) {
    bytes_ -= entry.bytes;
  } else {
    spilled_bytes_ -= entry.bytes;
    doomed.Add(std::move(entry.spill_file));
  }
  ForgetOwnerLocked(entry.owner);
  return entries_.erase(it);
}

void TicketStore::ForgetOwnerLocked(const std::string& owner) {
  auto it = per_user_.find(owner);
  if (it != per_user_.end() && --it->second <= 0) per_user_.erase(it);
}

void TicketStore::PurgeExpiredLocked(TimePoint now, DoomedFiles& doomed) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.expires && *it->second.expires <= now) {
      it = EraseLocked(it, doomed);
    } else {
      ++it;
    }
  }
}

}  // namespace quiver::results
