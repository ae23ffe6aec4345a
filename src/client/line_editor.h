// A small line editor for the `quiver sql` prompt, with no readline dependency. On a terminal it
// puts the terminal in raw mode while a line is read and supports: printable input (UTF-8),
// Left/Right, Home/End (also Ctrl-A/Ctrl-E), Backspace, Delete, Ctrl-U/Ctrl-K (erase to start/end),
// Ctrl-W (erase word), Up/Down (history), Ctrl-L (clear screen), Ctrl-C (abandon the input) and
// Ctrl-D (end, on an empty line). A line wider than the terminal wraps but is redrawn as if it
// did not (the display can be off; the text is right). Off a terminal it just reads lines.
#pragma once

#include <string>
#include <vector>

namespace quiver::client {

class LineEditor {
 public:
  // Reads from `in_fd` and draws on `out_fd`; `edit` turns on raw-mode editing (callers pass
  // whether `in_fd` is a terminal).
  LineEditor(int in_fd, int out_fd, bool edit);
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  enum class Outcome { kLine, kInterrupted, kEnd };
  // Reads one line (without its end of line) after showing `prompt` (when editing).
  Outcome ReadLine(const std::string& prompt, std::string* line);

  // History, oldest first. Empty entries and repeats of the last entry are not added.
  void AddHistory(const std::string& entry);
  const std::vector<std::string>& history() const { return history_; }
  // The last `max_entries` lines of a history file (a missing file is an empty history).
  void LoadHistory(const std::string& path, size_t max_entries = 1000);
  // Appends one entry to a history file (created with mode 0600); errors are ignored.
  static void AppendHistoryFile(const std::string& path, const std::string& entry);

 private:
  // Next input byte; false at end of input.
  bool ReadByte(char* c);
  Outcome Edit(const std::string& prompt, std::string* line);
  void Refresh(const std::string& prompt, const std::string& text, size_t cursor);
  void Write(const std::string& text);

  int in_fd_;
  int out_fd_;
  bool edit_;
  std::vector<std::string> history_;
  char buffer_[4096];
  size_t buffer_begin_ = 0;
  size_t buffer_end_ = 0;
};

}  // namespace quiver::client
