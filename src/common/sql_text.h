// Small lexical helpers over SQL text: enough to find a ClickHouse-style trailing
// `FORMAT <name>` clause and `INSERT INTO t [(cols)] FORMAT Arrow`, without parsing SQL.
#pragma once

#include <arrow/result.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace quiver::sql {

enum class TokenKind { kWord, kQuotedIdentifier, kString, kSymbol };

struct Token {
  TokenKind kind;
  std::string text;  // words as written; quoted identifiers unquoted; strings unquoted
  size_t offset;     // byte offset of the token in the source text
};

// Splits SQL into tokens, skipping whitespace and `--` / `/* */` comments. Unterminated quotes
// or comments end the text (DuckDB reports the syntax error when the SQL runs).
std::vector<Token> Tokenize(std::string_view sql);

// A query with an optional trailing `FORMAT Arrow` removed. Any other trailing format is an
// ExecutionError: "Invalid format, only 'Arrow' format is supported (got JSON)".
arrow::Result<std::string> StripArrowFormat(std::string_view sql);

// `INSERT INTO [catalog.][schema.]table [(col, ...)] FORMAT <name>`: the statement whose data is
// the DoPut stream.
struct InsertFormat {
  std::vector<std::string> table_path;  // 1 to 3 unquoted name parts
  std::vector<std::string> columns;     // empty when no column list was given
  std::string format;
};
std::optional<InsertFormat> ParseInsertFormat(std::string_view sql);

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// "name" with embedded quotes doubled: safe to paste any string as an identifier.
std::string QuoteIdentifier(std::string_view name);
// Dot-joined quoted identifiers.
std::string QuoteQualifiedName(const std::vector<std::string>& parts);
// 'text' with embedded quotes doubled.
std::string QuoteString(std::string_view text);

}  // namespace quiver::sql
