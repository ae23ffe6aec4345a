#include "client/line_editor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace quiver::client {
namespace {

// Feeds `input` to a LineEditor through a pipe (the raw-mode terminal setup is skipped off a
// terminal, the editing logic is the same) and collects what it draws.
class LineEditorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(pipe(in_), 0);
    ASSERT_EQ(pipe(out_), 0);
  }
  void TearDown() override {
    for (int fd : {in_[0], in_[1], out_[0], out_[1]}) close(fd);
  }
  void Feed(const std::string& input) {
    ASSERT_EQ(write(in_[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  }
  void EndInput() {
    close(in_[1]);
    in_[1] = -1;
  }
  int in_[2];
  int out_[2];
};

TEST_F(LineEditorTest, EditsTheLineWithCursorKeys) {
  LineEditor editor(in_[0], out_[1], true);
  // "abc", Left, Backspace, "X", Home, "<", End, ">", Enter
  Feed("abc\x1b[D\x7fX\x01<\x1b[F>\r");
  std::string line;
  ASSERT_EQ(editor.ReadLine("> ", &line), LineEditor::Outcome::kLine);
  EXPECT_EQ(line, "<aXc>");
  // Ctrl-U erases to the start, Ctrl-W a word, Delete the character under the cursor.
  Feed("junk\x15one two\x17three\x1b[D\x1b[D\x1b[3~\n");
  ASSERT_EQ(editor.ReadLine("> ", &line), LineEditor::Outcome::kLine);
  EXPECT_EQ(line, "one thre");
}

TEST_F(LineEditorTest, UpAndDownBrowseHistoryAndKeepTheDraft) {
  LineEditor editor(in_[0], out_[1], true);
  editor.AddHistory("first");
  editor.AddHistory("second");
  editor.AddHistory("second");  // repeats are not kept
  EXPECT_EQ(editor.history().size(), 2u);
  std::string line;
  Feed("dr\x1b[A\x1b[A\x1b[A\r");
  ASSERT_EQ(editor.ReadLine("> ", &line), LineEditor::Outcome::kLine);
  EXPECT_EQ(line, "first");
  Feed("dr\x1b[A\x1b[B\x1b[B!\r");
  ASSERT_EQ(editor.ReadLine("> ", &line), LineEditor::Outcome::kLine);
  EXPECT_EQ(line, "dr!");
}

TEST_F(LineEditorTest, CtrlCInterruptsAndCtrlDEnds) {
  LineEditor editor(in_[0], out_[1], true);
  std::string line;
  Feed("abc\x03");
  EXPECT_EQ(editor.ReadLine("> ", &line), LineEditor::Outcome::kInterrupted);
  EXPECT_EQ(line, "");
  Feed("\x04");
  EXPECT_EQ(editor.ReadLine("> ", &line), LineEditor::Outcome::kEnd);
}

TEST_F(LineEditorTest, MultiByteCharactersMoveAsOne) {
  LineEditor editor(in_[0], out_[1], true);
  std::string line;
  Feed("h\xc3\xa9!\x1b[D\x1b[D\x7f\r");  // "hé!", Left, Left, Backspace -> "é!"
  ASSERT_EQ(editor.ReadLine("> ", &line), LineEditor::Outcome::kLine);
  EXPECT_EQ(line, "\xc3\xa9!");
}

TEST_F(LineEditorTest, WithoutEditingLinesAreReadAsTheyAre) {
  LineEditor editor(in_[0], out_[1], false);
  Feed("one\r\ntwo\nlast");
  EndInput();
  std::string line;
  ASSERT_EQ(editor.ReadLine("", &line), LineEditor::Outcome::kLine);
  EXPECT_EQ(line, "one");
  ASSERT_EQ(editor.ReadLine("", &line), LineEditor::Outcome::kLine);
  EXPECT_EQ(line, "two");
  ASSERT_EQ(editor.ReadLine("", &line), LineEditor::Outcome::kLine);
  EXPECT_EQ(line, "last");
  EXPECT_EQ(editor.ReadLine("", &line), LineEditor::Outcome::kEnd);
}

TEST(LineEditorHistory, FilesKeepTheLastEntries) {
  const auto path =
      std::filesystem::temp_directory_path() / ("quiver_history_test_" + std::to_string(getpid()));
  std::filesystem::remove(path);
  for (int i = 0; i < 5; ++i) LineEditor::AppendHistoryFile(path, "entry " + std::to_string(i));
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  LineEditor editor(-1, -1, false);
  editor.LoadHistory(path, 3);
  EXPECT_EQ(editor.history(), (std::vector<std::string>{"entry 2", "entry 3", "entry 4"}));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace quiver::client
