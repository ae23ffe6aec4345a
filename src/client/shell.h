// Running SQL and backslash commands for `quiver sql`: one statement at a time from the command
// line, a script on standard input, or the interactive prompt.
#pragma once

#include <arrow/io/interfaces.h>
#include <arrow/result.h>
#include <arrow/status.h>

#include <memory>
#include <ostream>
#include <string>

#include "client/cli_options.h"
#include "client/flight_sql_client.h"
#include "client/line_editor.h"

namespace quiver::client {

class Shell {
 public:
  // Results go to `sink` in `format`; update counts and notes to `messages`.
  Shell(const FlightSqlClient& client, OutputFormat format,
        std::shared_ptr<arrow::io::OutputStream> sink, std::ostream* messages);

  // Runs one statement: a query's rows are written, an update's row count is reported.
  arrow::Status RunStatement(const std::string& sql);
  // Runs `\d`, `\d NAME`, `\dn`, `\l`, `\?`; sets *quit for `\q`.
  arrow::Status RunMetaCommand(const std::string& line, bool* quit);

  // Statements (ended by `;`, the last one possibly not) and backslash commands (one per line)
  // read from `input` until its end; stops at the first error. Returns the exit status.
  int RunScript(LineEditor& input, std::ostream& errors);
  // The interactive prompt: errors are shown and the prompt goes on; history is kept in memory
  // and appended to `history_path` (when not empty). Returns the exit status.
  int RunInteractive(LineEditor& editor, const std::string& history_path, std::ostream& errors);

  // Writes the columns of one table (`\d NAME`, `quiver schema`).
  arrow::Status DescribeTable(const TableName& name);
  // Writes a result (a query's, or tables, schemas, catalogs) in the shell's format.
  arrow::Status WriteResult(arrow::RecordBatchReader& result);

  // How many query results have been written.
  int results_written() const { return results_written_; }

 private:
  const FlightSqlClient& client_;
  OutputFormat format_;
  std::shared_ptr<arrow::io::OutputStream> sink_;
  std::ostream* messages_;
  bool interactive_ = false;
  int results_written_ = 0;
};

// The help text of the interactive prompt.
std::string ShellHelp();

}  // namespace quiver::client
