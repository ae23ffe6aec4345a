#include "client/line_editor.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

namespace quiver::client {
namespace {

constexpr char kCtrlA = 1, kCtrlB = 2, kCtrlC = 3, kCtrlD = 4, kCtrlE = 5, kCtrlF = 6, kCtrlH = 8,
               kCtrlK = 11, kCtrlL = 12, kCtrlN = 14, kCtrlP = 16, kCtrlU = 21, kCtrlW = 23,
               kEscape = 27, kBackspace = 127;

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

size_t Width(const std::string& text, size_t end) {
  size_t width = 0;
  for (size_t i = 0; i < end && i < text.size(); ++i) {
    if (!IsContinuation(text[i])) ++width;
  }
  return width;
}

// Start of the UTF-8 character before `at`.
size_t PreviousChar(const std::string& text, size_t at) {
  if (at == 0) return 0;
  --at;
  while (at > 0 && IsContinuation(text[at])) --at;
  return at;
}

// End of the UTF-8 character at `at`.
size_t NextChar(const std::string& text, size_t at) {
  if (at >= text.size()) return text.size();
  ++at;
  while (at < text.size() && IsContinuation(text[at])) ++at;
  return at;
}

// Raw mode for as long as it lives.
class RawMode {
 public:
  explicit RawMode(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_iflag &= ~static_cast<tcflag_t>(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
    raw.c_cflag |= CS8;
    raw.c_lflag &= ~static_cast<tcflag_t>(ECHO | ICANON | IEXTEN | ISIG);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    // TCSANOW, not TCSAFLUSH: input typed ahead (or pasted) must not be lost.
    active_ = tcsetattr(fd_, TCSANOW, &raw) == 0;
  }
  ~RawMode() {
    if (active_) tcsetattr(fd_, TCSANOW, &saved_);
  }
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

}  // namespace

LineEditor::LineEditor(int in_fd, int out_fd, bool edit)
    : in_fd_(in_fd), out_fd_(out_fd), edit_(edit) {}

bool LineEditor::ReadByte(char* c) {
  while (buffer_begin_ == buffer_end_) {
    const ssize_t n = read(in_fd_, buffer_, sizeof(buffer_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer_begin_ = 0;
    buffer_end_ = static_cast<size_t>(n);
  }
  *c = buffer_[buffer_begin_++];
  return true;
}

void LineEditor::Write(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(out_fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

LineEditor::Outcome LineEditor::ReadLine(const std::string& prompt, std::string* line) {
  line->clear();
  if (edit_) return Edit(prompt, line);
  char c;
  bool any = false;
  while (ReadByte(&c)) {
    any = true;
    if (c == '\n') {
      if (!line->empty() && line->back() == '\r') line->pop_back();
      return Outcome::kLine;
    }
    line->push_back(c);
  }
  return any ? Outcome::kLine : Outcome::kEnd;
}

void LineEditor::Refresh(const std::string& prompt, const std::string& text, size_t cursor) {
  std::string out = "\r" + prompt + text + "\x1b[K\r";
  const size_t column = Width(prompt, prompt.size()) + Width(text, cursor);
  if (column > 0) out += "\x1b[" + std::to_string(column) + "C";
  Write(out);
}

LineEditor::Outcome LineEditor::Edit(const std::string& prompt, std::string* line) {
  RawMode raw(in_fd_);
  std::string& text = *line;
  size_t cursor = 0;
  size_t history_index = history_.size();
  std::string draft;  // the new line, while browsing history
  const auto show_history = [&](size_t index) {
    if (history_index == history_.size()) draft = text;
    history_index = index;
    text = index == history_.size() ? draft : history_[index];
    cursor = text.size();
  };
  int utf8_pending = 0;  // continuation bytes still to come for the character being typed
  Write(prompt);
  char c;
  while (ReadByte(&c)) {
    switch (c) {
      case '\r':
      case '\n':
        Write("\r\n");
        return Outcome::kLine;
      case kCtrlC:
        Write("^C\r\n");
        text.clear();
        return Outcome::kInterrupted;
      case kCtrlD:
        if (text.empty()) {
          Write("\r\n");
          return Outcome::kEnd;
        }
        text.erase(cursor, NextChar(text, cursor) - cursor);
        break;
      case kBackspace:
      case kCtrlH: {
        const size_t start = PreviousChar(text, cursor);
        text.erase(start, cursor - start);
        cursor = start;
        break;
      }
      case kCtrlA:
        cursor = 0;
        break;
      case kCtrlE:
        cursor = text.size();
        break;
      case kCtrlB:
        cursor = PreviousChar(text, cursor);
        break;
      case kCtrlF:
        cursor = NextChar(text, cursor);
        break;
      case kCtrlK:
        text.erase(cursor);
        break;
      case kCtrlU:
        text.erase(0, cursor);
        cursor = 0;
        break;
      case kCtrlW: {
        size_t start = cursor;
        while (start > 0 && text[start - 1] == ' ') --start;
        while (start > 0 && text[start - 1] != ' ') --start;
        text.erase(start, cursor - start);
        cursor = start;
        break;
      }
      case kCtrlL:
        Write("\x1b[H\x1b[2J");
        break;
      case kCtrlP:
        if (history_index > 0) show_history(history_index - 1);
        break;
      case kCtrlN:
        if (history_index < history_.size()) show_history(history_index + 1);
        break;
      case kEscape: {
        char kind;
        char code;
        if (!ReadByte(&kind) || (kind != '[' && kind != 'O')) break;
        std::string parameters;
        while (ReadByte(&code) && ((code >= '0' && code <= '9') || code == ';')) {
          parameters.push_back(code);
        }
        if (code == '~') {
          if (parameters == "1" || parameters == "7") code = 'H';
          if (parameters == "4" || parameters == "8") code = 'F';
          if (parameters == "3") code = 'X';  // Delete
        }
        switch (code) {
          case 'A':
            if (history_index > 0) show_history(history_index - 1);
            break;
          case 'B':
            if (history_index < history_.size()) show_history(history_index + 1);
            break;
          case 'C':
            cursor = NextChar(text, cursor);
            break;
          case 'D':
            cursor = PreviousChar(text, cursor);
            break;
          case 'H':
            cursor = 0;
            break;
          case 'F':
            cursor = text.size();
            break;
          case 'X':
            text.erase(cursor, NextChar(text, cursor) - cursor);
            break;
          default:
            break;
        }
        break;
      }
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') {
          const auto byte = static_cast<unsigned char>(c);
          if (byte >= 0xC0) {
            utf8_pending = byte >= 0xF0 ? 3 : (byte >= 0xE0 ? 2 : 1);
          } else if (IsContinuation(c) && utf8_pending > 0) {
            --utf8_pending;
          }
          text.insert(cursor, 1, c == '\t' ? ' ' : c);
          ++cursor;
        }
        break;
    }
    // Redraw only between whole UTF-8 characters.
    if (utf8_pending == 0) Refresh(prompt, text, cursor);
  }
  Write("\r\n");
  return text.empty() ? Outcome::kEnd : Outcome::kLine;
}

void LineEditor::AddHistory(const std::string& entry) {
  if (entry.empty() || (!history_.empty() && history_.back() == entry)) return;
  history_.push_back(entry);
}

void LineEditor::LoadHistory(const std::string& path, size_t max_entries) {
  std::ifstream in(path);
  std::string entry;
  while (std::getline(in, entry)) AddHistory(entry);
  if (history_.size() > max_entries) {
    history_.erase(history_.begin(),
                   history_.begin() + static_cast<std::ptrdiff_t>(history_.size() - max_entries));
  }
}

void LineEditor::AppendHistoryFile(const std::string& path, const std::string& entry) {
  const int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  const std::string line = entry + "\n";
  [[maybe_unused]] const ssize_t written = write(fd, line.data(), line.size());
  close(fd);
}

}  // namespace quiver::client
