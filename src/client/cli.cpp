#include "client/cli.h"

#include <arrow/io/file.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "client/cli_options.h"
#include "client/flight_sql_client.h"
#include "client/input_files.h"
#include "client/line_editor.h"
#include "client/progress.h"
#include "client/result_writer.h"
#include "client/shell.h"
#include "client/statement_splitter.h"

namespace quiver::client {

struct ClientCommands::Flags {
  // Connection (every subcommand).
  std::string address = "grpc://127.0.0.1:9090";
  std::string user;
  std::optional<std::string> password;
  std::string tls_ca;
  bool tls_skip_verify = false;
  std::vector<std::string> headers;
  double timeout = 0;
  // Output (sql, get, tables, schema) or input (put) format, and files.
  std::string format;
  std::string output;
  bool no_progress = false;
  // sql, get
  std::string query;
  // put
  std::string file;
  std::string table;
  std::string mode;
  char delimiter = ',';
  // tables
  std::optional<std::string> catalog;
  std::optional<std::string> schema_pattern;
  std::optional<std::string> table_pattern;
  std::vector<std::string> table_types;

  CLI::App* sql = nullptr;
  CLI::App* put = nullptr;
  CLI::App* get = nullptr;
  CLI::App* tables = nullptr;
  CLI::App* schema = nullptr;
};

namespace {

using Flags = ClientCommands::Flags;

void AddConnectionFlags(CLI::App* command, Flags* flags) {
  command
      ->add_option(
          "--addr,--address", flags->address,
          "Server: grpc://host:port or grpc+tls://host:port (default grpc://127.0.0.1:9090)")
      ->envname("QUIVER_ADDR");
  command->add_option("-u,--user", flags->user, "User for Basic authentication")
      ->envname("QUIVER_USER");
  command
      ->add_option("--password", flags->password,
                   "Password (else $QUIVER_PASSWORD, else asked for on a terminal)")
      ->envname("QUIVER_PASSWORD");
  command->add_option("--tls-ca", flags->tls_ca, "PEM file of the CA that signed the server")
      ->check(CLI::ExistingFile);
  command->add_flag("--tls-skip-verify", flags->tls_skip_verify,
                    "Accept any server certificate (testing only)");
  command
      ->add_option("-H,--header", flags->headers,
                   "Extra header on every call, key=value (repeatable; e.g. session ids)")
      ->allow_extra_args(false);
  command->add_option("--timeout", flags->timeout,
                      "Seconds each call may take (default: no limit)");
}

void AddOutputFlags(CLI::App* command, Flags* flags) {
  command->add_option("-f,--format", flags->format,
                      "table, csv, jsonl, arrow (IPC stream) or parquet (default: by --output's "
                      "extension, else a table on a terminal and csv otherwise)");
  command->add_option("-o,--output", flags->output, "Write the result to this file");
}

// Reads a password from the terminal on standard input without echoing it.
std::string AskPassword(const std::string& user) {
  std::cerr << "Password for " << user << ": " << std::flush;
  termios saved{};
  const bool terminal = tcgetattr(STDIN_FILENO, &saved) == 0;
  if (terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  // Byte by byte: nothing after the line may be taken from standard input.
  std::string password;
  char c;
  while (true) {
    const ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    if (c != '\r') password.push_back(c);
  }
  if (terminal) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  std::cerr << std::endl;
  return password;
}

arrow::Result<std::unique_ptr<FlightSqlClient>> Connect(const Flags& flags) {
  ConnectionOptions options;
  options.address = NormalizeAddress(flags.address);
  options.user = flags.user;
  if (flags.password) {
    options.password = *flags.password;
  } else if (!flags.user.empty() && isatty(STDIN_FILENO)) {
    options.password = AskPassword(flags.user);
  }
  options.tls_ca_file = flags.tls_ca;
  options.tls_skip_verify = flags.tls_skip_verify;
  for (const std::string& header : flags.headers) {
    ARROW_ASSIGN_OR_RAISE(auto entry, ParseHeader(header));
    options.headers.push_back(std::move(entry));
  }
  options.timeout_seconds = flags.timeout;
  return FlightSqlClient::Connect(std::move(options));
}

arrow::Result<OutputFormat> OutputFormatFor(const Flags& flags) {
  const bool terminal = isatty(STDOUT_FILENO) != 0;
  ARROW_ASSIGN_OR_RAISE(auto format, ChooseOutputFormat(flags.format, flags.output, terminal));
  if (IsBinary(format) && flags.output.empty() && terminal) {
    return arrow::Status::Invalid("not writing ", OutputFormatName(format),
                                  " data to a terminal: use --output FILE or redirect the output");
  }
  return format;
}

arrow::Result<std::shared_ptr<arrow::io::OutputStream>> OpenSink(const std::string& path) {
  if (path.empty()) return std::make_shared<OstreamOutputStream>(&std::cout);
  auto file = arrow::io::FileOutputStream::Open(path);
  if (!file.ok())
    return arrow::Status::IOError("cannot write '", path, "': ", file.status().message());
  return std::static_pointer_cast<arrow::io::OutputStream>(*file);
}

// Update counts and notes: next to the data, unless binary data goes to standard output.
std::ostream* MessagesFor(const Flags& flags, OutputFormat format) {
  return flags.output.empty() && IsBinary(format) ? &std::cerr : &std::cout;
}

std::string HistoryPath() {
  if (const char* path = std::getenv("QUIVER_HISTORY")) return path;
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.quiver_history";
  }
  return "";
}

int Report(const arrow::Status& status) {
  if (status.ok()) return EXIT_SUCCESS;
  std::cerr << "error: " << status.message() << std::endl;
  return EXIT_FAILURE;
}

// The exit status of `quiver sql`.
arrow::Result<int> Sql(const Flags& flags) {
  ARROW_ASSIGN_OR_RAISE(const OutputFormat format, OutputFormatFor(flags));
  ARROW_ASSIGN_OR_RAISE(auto client, Connect(flags));
  ARROW_ASSIGN_OR_RAISE(auto sink, OpenSink(flags.output));
  Shell shell(*client, format, sink, MessagesFor(flags, format));
  int code = EXIT_SUCCESS;
  if (!flags.query.empty()) {
    StatementSplitter splitter;
    splitter.Append(flags.query);
    std::vector<std::string> statements = splitter.TakeStatements();
    if (std::string last = splitter.TakeRemainder(); !last.empty()) statements.push_back(last);
    for (const std::string& statement : statements) {
      code = Report(shell.RunStatement(statement));
      if (code != EXIT_SUCCESS) break;
    }
  } else if (isatty(STDIN_FILENO)) {
    const bool stdout_terminal = isatty(STDOUT_FILENO) != 0;
    std::ostream& notes = stdout_terminal ? std::cout : std::cerr;
    notes << "Connected to " << client->address() << ". Type \\? for help, \\q to quit."
          << std::endl;
    LineEditor editor(STDIN_FILENO, stdout_terminal ? STDOUT_FILENO : STDERR_FILENO, true);
    code = shell.RunInteractive(editor, HistoryPath(), std::cerr);
  } else {
    LineEditor input(STDIN_FILENO, STDERR_FILENO, false);
    code = shell.RunScript(input, std::cerr);
  }
  ARROW_RETURN_NOT_OK(sink->Close());
  if (code != EXIT_SUCCESS && !flags.output.empty() && shell.results_written() == 0) {
    std::remove(flags.output.c_str());  // no empty file for a failed query
  }
  return code;
}

arrow::Status Get(const Flags& flags) {
  ARROW_ASSIGN_OR_RAISE(const OutputFormat format,
                        ChooseOutputFormat(flags.format, flags.output, false));
  ARROW_ASSIGN_OR_RAISE(auto client, Connect(flags));
  ARROW_ASSIGN_OR_RAISE(auto result, client->Execute(flags.query));
  ARROW_ASSIGN_OR_RAISE(auto sink, OpenSink(flags.output));
  ARROW_ASSIGN_OR_RAISE(auto writer, MakeResultWriter(format, result->schema(), sink));
  ProgressBar bar("get", !flags.no_progress && isatty(STDERR_FILENO));
  auto rows = WriteAll(*result, *writer, [&](int64_t rows, int64_t bytes) {
    bar.Update({rows, bytes, result->total_records(), -1});
  });
  bar.Finish();
  const arrow::Status closed = sink->Close();
  if (!rows.ok() || !closed.ok()) {
    std::remove(flags.output.c_str());  // no half-written file
    return rows.ok() ? closed : rows.status();
  }
  std::cout << *rows << (*rows == 1 ? " row" : " rows") << " written to " << flags.output
            << std::endl;
  return arrow::Status::OK();
}

arrow::Result<IngestMode> ParseMode(const std::string& mode) {
  if (mode.empty()) return IngestMode::kCreateOrAppend;
  if (mode == "create") return IngestMode::kCreate;
  if (mode == "append") return IngestMode::kAppend;
  if (mode == "replace") return IngestMode::kReplace;
  return arrow::Status::Invalid("unknown mode '", mode, "' (expected create, append or replace)");
}

arrow::Status Put(const Flags& flags) {
  ARROW_ASSIGN_OR_RAISE(const InputFormat format, ChooseInputFormat(flags.format, flags.file));
  ARROW_ASSIGN_OR_RAISE(const IngestMode mode, ParseMode(flags.mode));
  ARROW_ASSIGN_OR_RAISE(const TableName name, ParseTableName(flags.table));
  CsvInputOptions csv;
  csv.delimiter = flags.delimiter;
  auto input = OpenInputFile(flags.file, format, csv);
  if (!input.ok()) {
    return input.status().WithMessage("cannot read '", flags.file, "': ", input.status().message());
  }
  ARROW_ASSIGN_OR_RAISE(auto client, Connect(flags));
  ProgressBar bar("put", !flags.no_progress && isatty(STDERR_FILENO));
  auto rows = client->Ingest(name.catalog, name.schema, name.table, mode, *input->reader,
                             [&](int64_t rows, int64_t bytes) {
                               Progress progress;
                               progress.rows = rows;
                               if (input->total_rows >= 0) {
                                 progress.total_rows = input->total_rows;
                                 progress.bytes = bytes;
                               } else {
                                 progress.bytes = input->bytes_read();
                                 progress.total_bytes = input->total_bytes;
                               }
                               bar.Update(progress);
                             });
  bar.Finish();
  ARROW_RETURN_NOT_OK(rows.status());
  std::cout << *rows << (*rows == 1 ? " row" : " rows") << " written to " << flags.table
            << std::endl;
  return arrow::Status::OK();
}

arrow::Status Tables(const Flags& flags) {
  ARROW_ASSIGN_OR_RAISE(const OutputFormat format, OutputFormatFor(flags));
  ARROW_ASSIGN_OR_RAISE(auto client, Connect(flags));
  TablesFilter filter;
  filter.catalog = flags.catalog;
  filter.schema_pattern = flags.schema_pattern;
  filter.table_pattern = flags.table_pattern;
  filter.table_types = flags.table_types;
  ARROW_ASSIGN_OR_RAISE(auto tables, client->GetTables(filter, /*include_schema=*/false));
  ARROW_ASSIGN_OR_RAISE(auto sink, OpenSink(flags.output));
  Shell shell(*client, format, sink, MessagesFor(flags, format));
  ARROW_RETURN_NOT_OK(shell.WriteResult(*tables));
  return sink->Close();
}

arrow::Status Schema(const Flags& flags) {
  ARROW_ASSIGN_OR_RAISE(const OutputFormat format, OutputFormatFor(flags));
  ARROW_ASSIGN_OR_RAISE(TableName name, ParseTableName(flags.table));
  if (flags.catalog && !name.catalog) name.catalog = flags.catalog;
  ARROW_ASSIGN_OR_RAISE(auto client, Connect(flags));
  ARROW_ASSIGN_OR_RAISE(auto sink, OpenSink(flags.output));
  Shell shell(*client, format, sink, MessagesFor(flags, format));
  ARROW_RETURN_NOT_OK(shell.DescribeTable(name));
  return sink->Close();
}

}  // namespace

ClientCommands::ClientCommands(CLI::App* app) : flags_(std::make_unique<Flags>()) {
  Flags* f = flags_.get();

  f->sql = app->add_subcommand(
      "sql", "Run SQL on a Flight SQL server; without a query: a prompt (or a script on stdin)");
  f->sql->add_option("query", f->query, "Statements to run, separated by ';'");
  AddConnectionFlags(f->sql, f);
  AddOutputFlags(f->sql, f);

  f->get = app->add_subcommand("get", "Download the result of a query to a file");
  f->get->add_option("query", f->query, "The query")->required();
  AddConnectionFlags(f->get, f);
  AddOutputFlags(f->get, f);
  f->get->get_option("--output")->required();
  f->get->add_flag("--no-progress", f->no_progress, "No progress bar");

  f->put = app->add_subcommand("put", "Upload a CSV, Parquet or Arrow IPC file into a table");
  f->put->add_option("file", f->file, "The file")->required()->check(CLI::ExistingFile);
  f->put->add_option("-t,--table", f->table, "Target table: [catalog.][schema.]table")->required();
  f->put->add_option("-f,--format", f->format,
                     "csv, parquet or arrow (default: by the file's extension)");
  f->put
      ->add_option("--mode", f->mode,
                   "create (fail if it exists), append (fail if missing) or replace; default: "
                   "create when missing, append otherwise")
      ->check(CLI::IsMember({"create", "append", "replace"}));
  f->put->add_option("--delimiter", f->delimiter, "CSV field delimiter (default ,)");
  f->put->add_flag("--no-progress", f->no_progress, "No progress bar");
  AddConnectionFlags(f->put, f);

  f->tables = app->add_subcommand("tables", "List tables (Flight SQL GetTables)");
  f->tables->add_option("--catalog", f->catalog, "Only this catalog");
  f->tables->add_option("--schema-pattern", f->schema_pattern, "SQL LIKE pattern of schemas");
  f->tables->add_option("--table-pattern", f->table_pattern, "SQL LIKE pattern of table names");
  f->tables->add_option("--type", f->table_types, "Only this table type (repeatable)")
      ->allow_extra_args(false);
  AddConnectionFlags(f->tables, f);
  AddOutputFlags(f->tables, f);

  f->schema = app->add_subcommand("schema", "Show the columns of a table");
  f->schema->add_option("table", f->table, "[catalog.][schema.]table")->required();
  f->schema->add_option("--catalog", f->catalog, "Catalog of the table");
  AddConnectionFlags(f->schema, f);
  AddOutputFlags(f->schema, f);
}

ClientCommands::~ClientCommands() = default;

std::optional<int> ClientCommands::Run() {
  const Flags& f = *flags_;
  // gRPC (in the wheel) logs failed TLS handshakes and the like on standard error at INFO level;
  // the client reports errors itself.
  setenv("GRPC_VERBOSITY", "ERROR", /*overwrite=*/0);
  if (f.sql->parsed()) {
    auto code = Sql(f);
    return code.ok() ? *code : Report(code.status());
  }
  if (f.get->parsed()) return Report(Get(f));
  if (f.put->parsed()) return Report(Put(f));
  if (f.tables->parsed()) return Report(Tables(f));
  if (f.schema->parsed()) return Report(Schema(f));
  return std::nullopt;
}

}  // namespace quiver::client
