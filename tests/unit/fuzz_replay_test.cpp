// Replays the committed fuzz corpora (tests/fuzz/corpus/<target>/) through the fuzz targets,
// built here with the normal compiler: every seed and every crash that fuzzing found (and that
// was fixed) runs in each `make test`. A target reports a failure by crashing or aborting.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#define QUIVER_FUZZ_TARGET(name) extern "C" int QuiverFuzz_##name(const uint8_t*, size_t);
#include "fuzz_targets.inc"
#undef QUIVER_FUZZ_TARGET

namespace {

using TargetFunction = int (*)(const uint8_t*, size_t);

struct Target {
  const char* name;
  TargetFunction function;
};

const std::vector<Target>& Targets() {
  static const std::vector<Target> targets = {
#define QUIVER_FUZZ_TARGET(name) {#name, &QuiverFuzz_##name},
#include "fuzz_targets.inc"
#undef QUIVER_FUZZ_TARGET
  };
  return targets;
}

class FuzzReplay : public testing::TestWithParam<Target> {};

TEST_P(FuzzReplay, CorpusRunsClean) {
  const std::filesystem::path directory =
      std::filesystem::path(QUIVER_FUZZ_CORPUS_DIR) / GetParam().name;
  ASSERT_TRUE(std::filesystem::is_directory(directory)) << directory << " has no seed corpus";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << directory << " is empty";
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(GetParam().function(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, FuzzReplay, testing::ValuesIn(Targets()),
                         [](const testing::TestParamInfo<Target>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
