// Fuzz target: the SQL text helpers (src/common/sql_text.h) that every descriptor, ticket and
// Flight SQL query passes through: Tokenize, StripArrowFormat, ParseInsertFormat and the quoting
// functions, with their invariants checked (quoting round-trips through the tokenizer).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/sql_text.h"
#include "fuzz_util.h"

namespace {

using quiver::sql::TokenKind;

void CheckTokens(std::string_view sql, const std::vector<quiver::sql::Token>& tokens) {
  size_t next = 0;  // tokens never overlap
  for (const auto& token : tokens) {
    QUIVER_FUZZ_CHECK(token.offset >= next && token.offset < sql.size(), token.text);
    switch (token.kind) {
      case TokenKind::kWord:
        QUIVER_FUZZ_CHECK(!token.text.empty() && sql.substr(token.offset, token.text.size()) == token.text,
                          token.text);
        next = token.offset + token.text.size();
        break;
      case TokenKind::kSymbol:
        QUIVER_FUZZ_CHECK(token.text.size() == 1 && sql[token.offset] == token.text[0], token.text);
        next = token.offset + 1;
        break;
      case TokenKind::kString:
      case TokenKind::kQuotedIdentifier:
        // The unquoted text is never longer than its quoted source.
        QUIVER_FUZZ_CHECK(token.text.size() + 1 <= sql.size() - token.offset, token.text);
        next = token.offset + 1;
        break;
    }
  }
}

// A quoted name or string is one token whose text is the original, whatever it contains.
void CheckQuoting(std::string_view text) {
  const std::string identifier = quiver::sql::QuoteIdentifier(text);
  auto tokens = quiver::sql::Tokenize(identifier);
  QUIVER_FUZZ_CHECK(tokens.size() == 1 && tokens[0].kind == TokenKind::kQuotedIdentifier &&
                        tokens[0].text == text,
                    identifier);
  const std::string literal = quiver::sql::QuoteString(text);
  tokens = quiver::sql::Tokenize(literal);
  QUIVER_FUZZ_CHECK(
      tokens.size() == 1 && tokens[0].kind == TokenKind::kString && tokens[0].text == text, literal);
}

// INSERT INTO <quoted parts> (<quoted columns>) FORMAT Arrow parses back to the same names.
void CheckInsertRoundTrip(std::string_view text) {
  auto names = quiver::fuzz::Split(text, '.');
  std::vector<std::string> table(names.begin(), names.begin() + std::min<size_t>(names.size(), 3));
  std::vector<std::string> columns(names.begin() + static_cast<std::ptrdiff_t>(table.size()),
                                   names.end());
  std::string sql = "INSERT INTO " + quiver::sql::QuoteQualifiedName(table);
  if (!columns.empty()) {
    sql += " (";
    for (size_t i = 0; i < columns.size(); ++i) {
      sql += (i ? ", " : "") + quiver::sql::QuoteIdentifier(columns[i]);
    }
    sql += ")";
  }
  sql += " FORMAT Arrow";
  auto insert = quiver::sql::ParseInsertFormat(sql);
  QUIVER_FUZZ_CHECK(insert && insert->table_path == table && insert->columns == columns &&
                        insert->format == "Arrow",
                    sql);
  auto stripped = quiver::sql::StripArrowFormat(sql);
  QUIVER_FUZZ_CHECK(stripped.ok() && sql.starts_with(*stripped), sql);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view sql = quiver::fuzz::AsText(data, size);
  CheckTokens(sql, quiver::sql::Tokenize(sql));

  auto stripped = quiver::sql::StripArrowFormat(sql);
  if (stripped.ok()) QUIVER_FUZZ_CHECK(sql.starts_with(*stripped), *stripped);

  if (auto insert = quiver::sql::ParseInsertFormat(sql)) {
    QUIVER_FUZZ_CHECK(!insert->table_path.empty() && insert->table_path.size() <= 3, sql);
    QUIVER_FUZZ_CHECK(!insert->format.empty(), sql);
  }

  (void)quiver::sql::EqualsIgnoreCase(sql, "INSERT INTO t FORMAT Arrow");
  CheckQuoting(sql);
  CheckInsertRoundTrip(sql);
  return 0;
}
