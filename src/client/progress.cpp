#include "client/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace quiver::client {
namespace {

int TerminalWidth() {
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

std::string Format(const char* format, double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

}  // namespace

std::string HumanBytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? std::to_string(bytes) + " B" : Format("%.1f ", value) + kUnits[unit];
}

std::string ProgressLine(const std::string& label, const Progress& progress, double seconds,
                         int width) {
  double fraction = -1;
  if (progress.total_rows > 0) {
    fraction = static_cast<double>(progress.rows) / static_cast<double>(progress.total_rows);
  } else if (progress.total_bytes > 0) {
    fraction = static_cast<double>(progress.bytes) / static_cast<double>(progress.total_bytes);
  }
  std::string counts = std::to_string(progress.rows) + " rows  " + HumanBytes(progress.bytes);
  if (seconds > 0.5) {
    counts += "  " +
              HumanBytes(static_cast<int64_t>(static_cast<double>(progress.bytes) / seconds)) +
              "/s";
  }
  std::string line = label + " ";
  if (fraction >= 0) {
    fraction = std::clamp(fraction, 0.0, 1.0);
    const std::string percent = Format("%3.0f%%", fraction * 100);
    const int bar = std::max(
        0,
        std::min(40, width - static_cast<int>(line.size() + percent.size() + counts.size()) - 6));
    if (bar >= 10) {
      const int filled = static_cast<int>(fraction * bar);
      line += "[" + std::string(filled, '#') + std::string(bar - filled, '.') + "] ";
    }
    line += percent + "  ";
  }
  line += counts;
  if (static_cast<int>(line.size()) >= width) line.resize(std::max(0, width - 1));
  return line;
}

ProgressBar::ProgressBar(std::string label, bool enabled)
    : label_(std::move(label)),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(const Progress& progress) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(progress);
}

void ProgressBar::Draw(const Progress& progress) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::string line = ProgressLine(label_, progress, seconds, TerminalWidth());
  std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\x1b[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace quiver::client
