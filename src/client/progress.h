// A one-line progress bar on standard error, for `quiver put` and `quiver get` on a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace quiver::client {

struct Progress {
  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t total_rows = -1;   // -1: unknown
  int64_t total_bytes = -1;  // -1: unknown
};

// The line shown for `progress` after `seconds`, at most `width` characters wide: a bar and
// percentage when a total is known (rows first, else bytes), then rows, bytes and rate.
std::string ProgressLine(const std::string& label, const Progress& progress, double seconds,
                         int width);
// "12.3 MiB"
std::string HumanBytes(int64_t bytes);

class ProgressBar {
 public:
  // Draws nothing unless `enabled` (callers pass whether standard error is a terminal).
  ProgressBar(std::string label, bool enabled);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Redraws at most ten times a second.
  void Update(const Progress& progress);
  // Erases the bar.
  void Finish();

 private:
  void Draw(const Progress& progress);

  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace quiver::client
