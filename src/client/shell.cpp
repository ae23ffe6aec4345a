#include "client/shell.h"

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

#include "client/result_writer.h"
#include "client/statement_splitter.h"

namespace quiver::client {
namespace {

constexpr const char* kPrompt = "quiver> ";
constexpr const char* kContinuationPrompt = "   ...> ";

bool IsMetaLine(const std::string& line) {
  const std::string text = Trim(line);
  return !text.empty() && text.front() == '\\';
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The string in column `name` of `batch` at `row`; nullopt when null or not a string column.
std::optional<std::string> StringAt(const arrow::RecordBatch& batch, const std::string& name,
                                    int64_t row) {
  auto column = batch.GetColumnByName(name);
  if (column == nullptr || column->IsNull(row)) return std::nullopt;
  switch (column->type_id()) {
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return std::string(static_cast<const arrow::BinaryArray&>(*column).GetView(row));
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
      return std::string(static_cast<const arrow::LargeBinaryArray&>(*column).GetView(row));
    default:
      return std::nullopt;
  }
}

struct FoundTable {
  std::optional<std::string> catalog;
  std::optional<std::string> schema;
  std::string name;
  std::string serialized_schema;

  std::string QualifiedName() const {
    std::string out;
    if (catalog) out += *catalog + ".";
    if (schema) out += *schema + ".";
    return out + name;
  }
};

std::string SqlTypeName(const arrow::Field& field) {
  if (field.metadata() != nullptr) {
    auto name = field.metadata()->Get("ARROW:FLIGHT:SQL:TYPE_NAME");
    if (name.ok() && !name->empty()) return *name;
  }
  return field.type()->ToString();
}

// Every table GetTables lists for `filter`, with its serialized schema.
arrow::Result<std::vector<FoundTable>> FindTables(const FlightSqlClient& client,
                                                  const TablesFilter& filter) {
  ARROW_ASSIGN_OR_RAISE(auto tables, client.GetTables(filter, /*include_schema=*/true));
  std::vector<FoundTable> found;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(auto batch, tables->Next());
    if (batch == nullptr) break;
    for (int64_t row = 0; row < batch->num_rows(); ++row) {
      found.push_back({StringAt(*batch, "catalog_name", row),
                       StringAt(*batch, "db_schema_name", row),
                       StringAt(*batch, "table_name", row).value_or(""),
                       StringAt(*batch, "table_schema", row).value_or("")});
    }
  }
  return found;
}

}  // namespace

std::string ShellHelp() {
  return "  \\d              list tables\n"
         "  \\d NAME         describe a table ([catalog.][schema.]table)\n"
         "  \\dt [PATTERN]   list tables whose name matches an SQL LIKE pattern\n"
         "  \\dn [PATTERN]   list schemas\n"
         "  \\l              list catalogs\n"
         "  \\?              show this help\n"
         "  \\q              quit (Ctrl-D also quits)\n"
         "SQL statements end with ';' and may span several lines. Up/Down recall earlier input;\n"
         "Ctrl-C abandons the statement being typed.\n";
}

Shell::Shell(const FlightSqlClient& client, OutputFormat format,
             std::shared_ptr<arrow::io::OutputStream> sink, std::ostream* messages)
    : client_(client), format_(format), sink_(std::move(sink)), messages_(messages) {}

arrow::Status Shell::WriteResult(arrow::RecordBatchReader& result) {
  if (IsBinary(format_) && results_written_ > 0) {
    return arrow::Status::Invalid("the ", OutputFormatName(format_),
                                  " format holds a single result: run one query at a time");
  }
  WriterOptions options;
  ARROW_ASSIGN_OR_RAISE(auto writer, MakeResultWriter(format_, result.schema(), sink_, options));
  ARROW_RETURN_NOT_OK(WriteAll(result, *writer).status());
  ++results_written_;
  if (interactive_ && format_ == OutputFormat::kTable) ARROW_RETURN_NOT_OK(sink_->Write("\n"));
  return sink_->Flush();
}

arrow::Status Shell::RunStatement(const std::string& sql) {
  if (IsQuery(sql)) {
    ARROW_ASSIGN_OR_RAISE(auto result, client_.Execute(sql));
    return WriteResult(*result);
  }
  ARROW_ASSIGN_OR_RAISE(const int64_t rows, client_.ExecuteUpdate(sql));
  if (rows < 0) {
    *messages_ << "OK\n";
  } else {
    *messages_ << rows << (rows == 1 ? " row" : " rows") << " affected\n";
  }
  messages_->flush();
  return arrow::Status::OK();
}

arrow::Status Shell::DescribeTable(const TableName& name) {
  // Names are sent as SQL LIKE patterns ('_' matches any character): keep the exact matches.
  TablesFilter filter;
  filter.catalog = name.catalog;
  filter.schema_pattern = name.schema;
  filter.table_pattern = name.table;
  ARROW_ASSIGN_OR_RAISE(auto candidates, FindTables(client_, filter));
  std::vector<FoundTable> matches;
  for (auto& table : candidates) {
    if (table.name == name.table && (!name.schema || table.schema == name.schema)) {
      matches.push_back(std::move(table));
    }
  }
  // Else names that differ only in case (patterns are case-sensitive on most servers).
  if (matches.empty()) {
    filter.schema_pattern.reset();
    filter.table_pattern.reset();
    ARROW_ASSIGN_OR_RAISE(candidates, FindTables(client_, filter));
    for (auto& table : candidates) {
      if (EqualsIgnoreCase(table.name, name.table) &&
          (!name.schema || (table.schema && EqualsIgnoreCase(*table.schema, *name.schema)))) {
        matches.push_back(std::move(table));
      }
    }
  }
  if (matches.empty()) return arrow::Status::KeyError("no table named '", name.table, "'");
  if (matches.size() > 1) {
    std::string names;
    for (const auto& match : matches) names += (names.empty() ? "" : ", ") + match.QualifiedName();
    return arrow::Status::Invalid("'", name.table, "' is ambiguous (", names,
                                  "): qualify it as schema.table");
  }
  const FoundTable& table = matches.front();
  if (table.serialized_schema.empty()) {
    return arrow::Status::NotImplemented("the server sent no schema for '", table.QualifiedName(),
                                         "'");
  }
  ARROW_ASSIGN_OR_RAISE(auto schema, DecodeTableSchema(table.serialized_schema));

  // Primary keys are optional: servers that do not implement them just show none.
  std::set<std::string> key_columns;
  auto keys = client_.GetPrimaryKeys(table.catalog, table.schema, table.name);
  while (keys.ok()) {
    auto batch = (*keys)->Next();
    if (!batch.ok() || *batch == nullptr) break;
    for (int64_t row = 0; row < (*batch)->num_rows(); ++row) {
      if (auto column = StringAt(**batch, "column_name", row)) key_columns.insert(*column);
    }
  }

  arrow::StringBuilder names, types, arrow_types;
  arrow::BooleanBuilder nullable, primary_key;
  for (const auto& field : schema->fields()) {
    ARROW_RETURN_NOT_OK(names.Append(field->name()));
    ARROW_RETURN_NOT_OK(types.Append(SqlTypeName(*field)));
    ARROW_RETURN_NOT_OK(arrow_types.Append(field->type()->ToString()));
    ARROW_RETURN_NOT_OK(nullable.Append(field->nullable()));
    ARROW_RETURN_NOT_OK(primary_key.Append(key_columns.count(field->name()) > 0));
  }
  std::vector<std::shared_ptr<arrow::Array>> columns(5);
  ARROW_RETURN_NOT_OK(names.Finish(&columns[0]));
  ARROW_RETURN_NOT_OK(types.Finish(&columns[1]));
  ARROW_RETURN_NOT_OK(arrow_types.Finish(&columns[2]));
  ARROW_RETURN_NOT_OK(nullable.Finish(&columns[3]));
  ARROW_RETURN_NOT_OK(primary_key.Finish(&columns[4]));
  auto description_schema = arrow::schema({arrow::field("column_name", arrow::utf8(), false),
                                           arrow::field("type", arrow::utf8(), false),
                                           arrow::field("arrow_type", arrow::utf8(), false),
                                           arrow::field("nullable", arrow::boolean(), false),
                                           arrow::field("primary_key", arrow::boolean(), false)});
  auto batch = arrow::RecordBatch::Make(description_schema, schema->num_fields(), columns);
  ARROW_ASSIGN_OR_RAISE(auto reader, arrow::RecordBatchReader::Make({batch}, description_schema));
  return WriteResult(*reader);
}

arrow::Status Shell::RunMetaCommand(const std::string& line, bool* quit) {
  std::string text = Trim(line);
  while (!text.empty() && text.back() == ';') text.pop_back();
  const size_t space = text.find_first_of(" \t");
  const std::string command = text.substr(0, space);
  const std::string argument = space == std::string::npos ? "" : Trim(text.substr(space));
  const std::optional<std::string> pattern =
      argument.empty() ? std::nullopt : std::optional<std::string>(argument);
  *quit = false;
  if (command == "\\q" || command == "\\quit") {
    *quit = true;
    return arrow::Status::OK();
  }
  if (command == "\\?" || command == "\\h" || command == "\\help") {
    *messages_ << ShellHelp();
    messages_->flush();
    return arrow::Status::OK();
  }
  if ((command == "\\d" && argument.empty()) || command == "\\dt") {
    TablesFilter filter;
    filter.table_pattern = pattern;
    ARROW_ASSIGN_OR_RAISE(auto tables, client_.GetTables(filter, /*include_schema=*/false));
    return WriteResult(*tables);
  }
  if (command == "\\d") {
    ARROW_ASSIGN_OR_RAISE(auto name, ParseTableName(argument));
    return DescribeTable(name);
  }
  if (command == "\\dn") {
    ARROW_ASSIGN_OR_RAISE(auto schemas, client_.GetDbSchemas(std::nullopt, pattern));
    return WriteResult(*schemas);
  }
  if (command == "\\l") {
    ARROW_ASSIGN_OR_RAISE(auto catalogs, client_.GetCatalogs());
    return WriteResult(*catalogs);
  }
  return arrow::Status::Invalid("unknown command '", command, "': \\? lists the commands");
}

int Shell::RunScript(LineEditor& input, std::ostream& errors) {
  StatementSplitter splitter;
  std::string line;
  const auto run = [&](const std::string& statement) {
    const arrow::Status status = RunStatement(statement);
    if (!status.ok()) errors << "error: " << status.message() << std::endl;
    return status.ok();
  };
  while (input.ReadLine("", &line) == LineEditor::Outcome::kLine) {
    if (!splitter.HasPendingStatement() && IsMetaLine(line)) {
      bool quit = false;
      const arrow::Status status = RunMetaCommand(line, &quit);
      if (!status.ok()) {
        errors << "error: " << status.message() << std::endl;
        return 1;
      }
      if (quit) return 0;
      continue;
    }
    splitter.Append(line);
    splitter.Append("\n");
    for (const std::string& statement : splitter.TakeStatements()) {
      if (!run(statement)) return 1;
    }
  }
  const std::string last = splitter.TakeRemainder();
  if (!last.empty() && !run(last)) return 1;
  return 0;
}

int Shell::RunInteractive(LineEditor& editor, const std::string& history_path,
                          std::ostream& errors) {
  interactive_ = true;
  if (!history_path.empty()) editor.LoadHistory(history_path);
  // A statement typed over several lines is one history entry, unless a `--` comment would
  // swallow the lines after it once joined.
  const auto remember = [&](const std::vector<std::string>& lines) {
    const bool has_comment = std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
      return l.find("--") != std::string::npos;
    });
    std::vector<std::string> entries;
    for (const std::string& l : lines) {
      const std::string trimmed = Trim(l);
      if (trimmed.empty()) continue;
      if (has_comment || entries.empty()) {
        entries.push_back(trimmed);
      } else {
        entries.back() += " " + trimmed;
      }
    }
    for (const std::string& entry : entries) {
      const size_t before = editor.history().size();
      editor.AddHistory(entry);
      if (!history_path.empty() && editor.history().size() > before) {
        LineEditor::AppendHistoryFile(history_path, entry);
      }
    }
  };
  const auto report = [&](const arrow::Status& status) {
    if (!status.ok()) errors << "ERROR: " << status.message() << std::endl;
  };
  StatementSplitter splitter;
  std::vector<std::string> entry_lines;
  std::string line;
  while (true) {
    const bool continuing = splitter.HasPendingStatement();
    const auto outcome = editor.ReadLine(continuing ? kContinuationPrompt : kPrompt, &line);
    if (outcome == LineEditor::Outcome::kEnd) break;
    if (outcome == LineEditor::Outcome::kInterrupted) {
      splitter.Clear();
      entry_lines.clear();
      continue;
    }
    if (!continuing && IsMetaLine(line)) {
      remember({line});
      bool quit = false;
      report(RunMetaCommand(line, &quit));
      if (quit) break;
      continue;
    }
    entry_lines.push_back(line);
    splitter.Append(line);
    splitter.Append("\n");
    const auto statements = splitter.TakeStatements();
    if (!splitter.HasPendingStatement()) {
      remember(entry_lines);
      entry_lines.clear();
    }
    for (const std::string& statement : statements) report(RunStatement(statement));
  }
  return 0;
}

}  // namespace quiver::client
