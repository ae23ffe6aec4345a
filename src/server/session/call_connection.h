// The DuckDB connection one call runs on: its session's (held exclusively for the call) or a
// fresh one.
#pragma once

#include <chrono>
#include <memory>

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "engine/database.h"
#include "server/session/session_store.h"

namespace quiver::session {

// Owns exclusive use of a session's connection until destroyed.
class SessionHold {
 public:
  explicit SessionHold(std::shared_ptr<Session> session) : session_(std::move(session)) {}
  ~SessionHold() {
    if (session_) session_->busy.release();
  }
  SessionHold(const SessionHold&) = delete;
  SessionHold& operator=(const SessionHold&) = delete;

 private:
  std::shared_ptr<Session> session_;
};

struct CallConnection {
  std::shared_ptr<engine::Connection> connection;
  // Whatever keeps the connection reserved for this call (a session or transaction hold).
  std::shared_ptr<void> hold;
};

// The session's connection once no other call of the session uses it (waiting up to `wait`),
// or a fresh connection when there is no session.
arrow::Result<CallConnection> ConnectionForCall(engine::Database& database,
                                                const std::shared_ptr<Session>& session,
                                                std::chrono::milliseconds wait =
                                                    std::chrono::seconds(30));

// A reader that keeps its call's connection reserved until the stream is finished.
class HeldReader : public arrow::RecordBatchReader {
 public:
  HeldReader(std::shared_ptr<arrow::RecordBatchReader> source, CallConnection call)
      : schema_(source->schema()), source_(std::move(source)), call_(std::move(call)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    *batch = nullptr;
    if (!source_) return arrow::Status::OK();
    ARROW_RETURN_NOT_OK(source_->ReadNext(batch));
    if (*batch == nullptr) {
      // Finished: free the session for its next call before the client sees the end.
      source_.reset();
      call_ = {};
    }
    return arrow::Status::OK();
  }

 private:
  std::shared_ptr<arrow::Schema> schema_;
  std::shared_ptr<arrow::RecordBatchReader> source_;
  CallConnection call_;
};

}  // namespace quiver::session
