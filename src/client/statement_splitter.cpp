#include "client/statement_splitter.h"

#include <array>
#include <cctype>

namespace quiver::client {
namespace {

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool IsTagStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool IsTagChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

}  // namespace

std::string Trim(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && IsSpace(text[begin])) ++begin;
  while (end > begin && IsSpace(text[end - 1])) --end;
  return std::string(text.substr(begin, end - begin));
}

void StatementSplitter::Append(std::string_view text) {
  buffer_.append(text);
  size_t start = 0;
  const size_t stop = Scan(scanned_, &start);
  buffer_.erase(0, start);
  scanned_ = stop - start;
}

size_t StatementSplitter::Scan(size_t i, size_t* start) {
  // A two-character token cut by the end of the text waits for more text before it is decided.
  const auto at_end = [&](size_t at) { return at + 1 >= buffer_.size(); };
  while (i < buffer_.size()) {
    const char c = buffer_[i];
    switch (state_) {
      case State::kNormal:
        if (c == ';') {
          if (meaningful_) {
            statements_.push_back(Trim(std::string_view(buffer_).substr(*start, i - *start)));
          }
          meaningful_ = false;
          *start = ++i;
          continue;
        }
        if ((c == '-' || c == '/') && at_end(i)) return i;
        if (c == '-' && buffer_[i + 1] == '-') {
          state_ = State::kLineComment;
          i += 2;
          continue;
        }
        if (c == '/' && buffer_[i + 1] == '*') {
          state_ = State::kBlockComment;
          comment_depth_ = 1;
          i += 2;
          continue;
        }
        if (!IsSpace(c)) meaningful_ = true;
        if (c == '\'') state_ = State::kSingleQuote;
        if (c == '"') state_ = State::kDoubleQuote;
        if (c == '$') {
          size_t end = i + 1;
          if (end < buffer_.size() && IsTagStart(buffer_[end])) {
            while (end < buffer_.size() && IsTagChar(buffer_[end])) ++end;
          }
          if (end >= buffer_.size()) return i;
          if (buffer_[end] == '$') {
            dollar_tag_ = buffer_.substr(i, end + 1 - i);
            state_ = State::kDollar;
            i = end + 1;
            continue;
          }
        }
        ++i;
        continue;
      case State::kSingleQuote:
        if (c == '\'') state_ = State::kNormal;
        ++i;
        continue;
      case State::kDoubleQuote:
        if (c == '"') state_ = State::kNormal;
        ++i;
        continue;
      case State::kLineComment:
        if (c == '\n') state_ = State::kNormal;
        ++i;
        continue;
      case State::kBlockComment:
        if ((c == '*' || c == '/') && at_end(i)) return i;
        if (c == '*' && buffer_[i + 1] == '/') {
          if (--comment_depth_ == 0) state_ = State::kNormal;
          i += 2;
          continue;
        }
        if (c == '/' && buffer_[i + 1] == '*') {
          ++comment_depth_;
          i += 2;
          continue;
        }
        ++i;
        continue;
      case State::kDollar:
        if (buffer_.compare(i, dollar_tag_.size(), dollar_tag_) == 0) {
          state_ = State::kNormal;
          i += dollar_tag_.size();
          continue;
        }
        if (c == '$' && buffer_.size() - i < dollar_tag_.size()) return i;
        ++i;
        continue;
    }
  }
  return i;
}

std::vector<std::string> StatementSplitter::TakeStatements() {
  std::vector<std::string> out;
  out.swap(statements_);
  return out;
}

std::string StatementSplitter::TakeRemainder() {
  std::string rest = meaningful_ ? Trim(buffer_) : "";
  Clear();
  return rest;
}

bool StatementSplitter::HasPendingStatement() const { return meaningful_; }

void StatementSplitter::Clear() {
  buffer_.clear();
  scanned_ = 0;
  meaningful_ = false;
  state_ = State::kNormal;
  dollar_tag_.clear();
  comment_depth_ = 0;
  statements_.clear();
}

bool IsQuery(std::string_view statement) {
  static constexpr std::array<std::string_view, 14> kQueryWords = {
      "SELECT", "WITH",      "FROM",    "VALUES", "TABLE", "SHOW",  "DESCRIBE",
      "DESC",   "SUMMARIZE", "EXPLAIN", "PRAGMA", "CALL",  "PIVOT", "UNPIVOT"};
  size_t i = 0;
  while (i < statement.size()) {
    const char c = statement[i];
    if (IsSpace(c) || c == '(') {
      ++i;
    } else if (statement.substr(i, 2) == "--") {
      const size_t end = statement.find('\n', i);
      i = end == std::string_view::npos ? statement.size() : end + 1;
    } else if (statement.substr(i, 2) == "/*") {
      const size_t end = statement.find("*/", i + 2);
      i = end == std::string_view::npos ? statement.size() : end + 2;
    } else {
      break;
    }
  }
  size_t end = i;
  while (end < statement.size() && std::isalpha(static_cast<unsigned char>(statement[end]))) ++end;
  std::string word(statement.substr(i, end - i));
  for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::string_view query_word : kQueryWords) {
    if (word == query_word) return true;
  }
  return false;
}

}  // namespace quiver::client
