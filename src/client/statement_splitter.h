// Splits SQL text into statements ended by `;`, for the `quiver sql` prompt and scripts. Only
// lexical: a `;` inside quotes ('...', "...", $tag$...$tag$) or comments (-- and /* */) does not
// end a statement. Text is fed incrementally (a line at a time) without rescanning.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace quiver::client {

class StatementSplitter {
 public:
  // Adds text (for the prompt: a line and its '\n').
  void Append(std::string_view text);
  // The statements completed so far, in order, trimmed and without their `;`; statements that
  // are empty (or only comments) are dropped.
  std::vector<std::string> TakeStatements();
  // The text after the last completed statement, trimmed ("" when there is none): what a final
  // statement without `;` holds at the end of a script.
  std::string TakeRemainder();
  // True when text after the last completed statement holds more than white space and comments.
  bool HasPendingStatement() const;
  // Forgets everything (Ctrl-C at the prompt).
  void Clear();

 private:
  enum class State { kNormal, kSingleQuote, kDoubleQuote, kLineComment, kBlockComment, kDollar };
  // Scans buffer_ from `i`, collecting statements; `start` follows the beginning of the current
  // one. Returns where scanning stopped (the end, or a token that needs more text).
  size_t Scan(size_t i, size_t* start);

  std::string buffer_;       // text after the last completed statement
  size_t scanned_ = 0;       // bytes of buffer_ already scanned
  bool meaningful_ = false;  // buffer_ holds something other than white space and comments
  State state_ = State::kNormal;
  int comment_depth_ = 0;   // nesting of /* */ comments
  std::string dollar_tag_;  // "$tag$" while inside a dollar-quoted string
  std::vector<std::string> statements_;
};

// Trims ASCII white space at both ends.
std::string Trim(std::string_view text);

// True when `statement` returns rows (run with CommandStatementQuery) rather than a row count
// (CommandStatementUpdate): its first word (after white space, comments and opening
// parentheses) is SELECT, WITH, FROM, VALUES, TABLE, SHOW, DESCRIBE, DESC, SUMMARIZE, EXPLAIN,
// PRAGMA, CALL, PIVOT or UNPIVOT, in any case.
bool IsQuery(std::string_view statement);

}  // namespace quiver::client
