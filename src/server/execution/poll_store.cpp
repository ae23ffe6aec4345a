#include "server/execution/poll_store.h"

#include "common/random_id.h"

namespace quiver::execution {

namespace flight = arrow::flight;

namespace {

constexpr auto kSweepInterval = std::chrono::seconds(1);

arrow::Status NotFound(const std::string& descriptor) {
  return arrow::Status::KeyError("Poll descriptor '", descriptor, "' not found");
}

// Errors keep their status class when they carry one (timeouts, shutdown, cancellation); the
// others are the query's own errors.
arrow::Status PollError(const arrow::Status& error, const std::string& query_id) {
  if (flight::FlightStatusDetail::UnwrapStatus(error)) return error;
  if (error.IsCancelled()) return arrow::Status::Cancelled("Query '", query_id, "' was cancelled");
  return arrow::Status::ExecutionError("Poll: Failed to get next block: ", error.message());
}

}  // namespace

PollStore::PollStore(const Clock& clock, Options options)
    : clock_(clock), options_(options), sweeper_([this] { SweepUntilStopped(); }) {}

PollStore::~PollStore() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  sweeper_.join();
  CancelAll();
}

bool PollStore::IsPollDescriptor(const flight::FlightDescriptor& descriptor) {
  return descriptor.type == flight::FlightDescriptor::CMD &&
         descriptor.cmd.compare(0, kPollPrefix.size(), kPollPrefix) == 0;
}

std::optional<TimePoint> PollStore::ExpiryFrom(TimePoint now) const {
  if (options_.lifetime.count() == 0) return std::nullopt;
  return std::chrono::floor<std::chrono::microseconds>(now + options_.lifetime);
}

std::pair<std::string, std::optional<TimePoint>> PollStore::AddDescriptorLocked(
    const std::shared_ptr<Query>& query, size_t known_endpoints, TimePoint now) {
  std::string name = std::string(kPollPrefix) + RandomUuid();
  const auto expires = ExpiryFrom(now);
  descriptors_[name] = Descriptor{query, known_endpoints, expires, std::make_shared<Evaluation>()};
  return {std::move(name), expires};
}

arrow::Result<flight::PollInfo> PollStore::Start(const std::string& user,
                                                 const flight::FlightDescriptor& original,
                                                 std::shared_ptr<BackgroundResult> result) {
  auto query = std::make_shared<Query>(Query{RandomUuid(), user, original, std::move(result)});
  ARROW_ASSIGN_OR_RAISE(auto info, flight::FlightInfo::Make(*query->result->schema(), original,
                                                            {}, 0, 0, /*ordered=*/true,
                                                            query->id));
  flight::PollInfo reply;
  reply.info = std::make_unique<flight::FlightInfo>(std::move(info));
  std::lock_guard lock(mutex_);
  running_[query->id] = query;
  auto [name, expires] = AddDescriptorLocked(query, 0, clock_.Now());
  reply.descriptor = flight::FlightDescriptor::Command(name);
  reply.expiration_time = expires;
  return reply;
}

arrow::Result<PollStore::Descriptor> PollStore::FindLocked(const std::string& descriptor,
                                                           const std::string& user,
                                                           TimePoint now) {
  auto it = descriptors_.find(descriptor);
  if (it == descriptors_.end() || it->second.query->user != user ||
      (it->second.expires && *it->second.expires <= now)) {
    return NotFound(descriptor);
  }
  // Sliding: every use keeps the descriptor alive for another lifetime.
  it->second.expires = ExpiryFrom(now);
  return it->second;
}

arrow::Result<flight::PollInfo> PollStore::Poll(const std::string& descriptor,
                                                const std::string& user) {
  Descriptor entry;
  {
    std::lock_guard lock(mutex_);
    ARROW_ASSIGN_OR_RAISE(entry, FindLocked(descriptor, user, clock_.Now()));
  }
  auto reply = Evaluate(entry);
  if (options_.drop_after_answer) {
    std::lock_guard lock(mutex_);
    descriptors_.erase(descriptor);
  }
  return reply;
}

arrow::Result<flight::PollInfo> PollStore::Evaluate(const Descriptor& entry) {
  auto& answer = *entry.answer;
  // Concurrent polls of one descriptor wait for the first to answer, then share its answer.
  std::lock_guard answer_lock(answer.mutex);
  if (answer.done) return answer.reply;
  const Query& query = *entry.query;
  ResultSoFar so_far = query.result->WaitBeyond(entry.known_endpoints, options_.poll_wait);
  answer.done = true;
  if (!so_far.error.ok()) {
    answer.reply = PollError(so_far.error, query.id);
    std::lock_guard lock(mutex_);
    DropQueryLocked(query.id);
    return answer.reply;
  }
  auto info = flight::FlightInfo::Make(*query.result->schema(), query.original, so_far.endpoints,
                                       so_far.rows, so_far.bytes, /*ordered=*/true, query.id);
  if (!info.ok()) {
    answer.reply = info.status();
    return answer.reply;
  }
  flight::PollInfo reply;
  reply.info = std::make_unique<flight::FlightInfo>(std::move(*info));
  reply.progress = so_far.finished ? std::optional<double>(1.0) : query.result->progress();
  {
    std::lock_guard lock(mutex_);
    if (so_far.finished) {
      running_.erase(query.id);
    } else {
      auto [next, expires] =
          AddDescriptorLocked(entry.query, so_far.endpoints.size(), clock_.Now());
      reply.descriptor = flight::FlightDescriptor::Command(next);
      reply.expiration_time = expires;
    }
  }
  answer.reply = std::move(reply);
  return answer.reply;
}

arrow::Result<std::shared_ptr<arrow::Schema>> PollStore::Schema(const std::string& descriptor,
                                                                 const std::string& user) {
  std::lock_guard lock(mutex_);
  ARROW_ASSIGN_OR_RAISE(auto entry, FindLocked(descriptor, user, clock_.Now()));
  return entry.query->result->schema();
}

void PollStore::DropQueryLocked(const std::string& query_id) {
  running_.erase(query_id);
  for (auto it = descriptors_.begin(); it != descriptors_.end();) {
    it = it->second.query->id == query_id ? descriptors_.erase(it) : std::next(it);
  }
}

bool PollStore::Cancel(const std::string& query_id, const std::string& user) {
  std::shared_ptr<Query> query;
  {
    std::lock_guard lock(mutex_);
    auto it = running_.find(query_id);
    if (it == running_.end() || it->second->user != user) return false;
    query = it->second;
    DropQueryLocked(query_id);
  }
  // Outside the lock: cancelling waits for nothing, but the last reference may join the thread.
  return query->result->Cancel();
}

void PollStore::CancelAll() {
  std::unordered_map<std::string, std::shared_ptr<Query>> running;
  {
    std::lock_guard lock(mutex_);
    running.swap(running_);
    descriptors_.clear();
  }
  for (auto& [id, query] : running) query->result->Cancel();
}

size_t PollStore::running_queries() {
  std::lock_guard lock(mutex_);
  return running_.size();
}

std::vector<std::shared_ptr<PollStore::Query>> PollStore::PurgeExpiredLocked(TimePoint now) {
  std::vector<std::shared_ptr<Query>> abandoned;
  for (auto it = descriptors_.begin(); it != descriptors_.end();) {
    const Descriptor& entry = it->second;
    if (!entry.expires || *entry.expires > now) {
      ++it;
      continue;
    }
    // Nobody will learn the rest of a query whose next step expired unasked: stop it.
    if (!entry.answer->done) abandoned.push_back(entry.query);
    it = descriptors_.erase(it);
  }
  for (const auto& query : abandoned) DropQueryLocked(query->id);
  return abandoned;
}

void PollStore::SweepUntilStopped() {
  while (true) {
    std::vector<std::shared_ptr<Query>> abandoned;
    {
      std::unique_lock lock(mutex_);
      if (stop_.wait_for(lock, kSweepInterval, [this] { return stopping_; })) return;
      abandoned = PurgeExpiredLocked(clock_.Now());
    }
    for (const auto& query : abandoned) query->result->Cancel();
  }
}

}  // namespace quiver::execution
