#include "common/sql_text.h"

#include <cctype>

namespace quiver::sql {
namespace {

bool IsWordStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsWordChar(char c) {
  return IsWordStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

bool IsKeyword(const Token& token, std::string_view keyword) {
  return token.kind == TokenKind::kWord && EqualsIgnoreCase(token.text, keyword);
}
bool IsSymbol(const Token& token, std::string_view symbol) {
  return token.kind == TokenKind::kSymbol && token.text == symbol;
}
bool IsName(const Token& token) {
  return token.kind == TokenKind::kWord || token.kind == TokenKind::kQuotedIdentifier;
}

// Reads a quoted run starting at `pos` (the opening quote); a doubled quote is an escaped quote.
size_t ReadQuoted(std::string_view sql, size_t pos, std::string* out) {
  const char quote = sql[pos];
  size_t i = pos + 1;
  while (i < sql.size()) {
    if (sql[i] == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        out->push_back(quote);
        i += 2;
        continue;
      }
      return i + 1;
    }
    out->push_back(sql[i++]);
  }
  return i;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::vector<Token> Tokenize(std::string_view sql) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else if (c == '\'' || c == '"' || c == '`') {
      Token token{c == '\'' ? TokenKind::kString : TokenKind::kQuotedIdentifier, "", i};
      i = ReadQuoted(sql, i, &token.text);
      tokens.push_back(std::move(token));
    } else if (IsWordStart(c)) {
      const size_t start = i;
      while (i < sql.size() && IsWordChar(sql[i])) ++i;
      tokens.push_back({TokenKind::kWord, std::string(sql.substr(start, i - start)), start});
    } else {
      tokens.push_back({TokenKind::kSymbol, std::string(1, c), i});
      ++i;
    }
  }
  return tokens;
}

arrow::Result<std::string> StripArrowFormat(std::string_view sql) {
  auto tokens = Tokenize(sql);
  while (!tokens.empty() && IsSymbol(tokens.back(), ";")) tokens.pop_back();
  if (tokens.size() < 3 || !IsKeyword(tokens[tokens.size() - 2], "FORMAT") ||
      tokens.back().kind != TokenKind::kWord) {
    return std::string(sql);
  }
  const std::string& format = tokens.back().text;
  if (!EqualsIgnoreCase(format, "Arrow")) {
    return arrow::Status::ExecutionError("Invalid format, only 'Arrow' format is supported (got ",
                                         format, ")");
  }
  return std::string(sql.substr(0, tokens[tokens.size() - 2].offset));
}

std::optional<InsertFormat> ParseInsertFormat(std::string_view sql) {
  auto tokens = Tokenize(sql);
  while (!tokens.empty() && IsSymbol(tokens.back(), ";")) tokens.pop_back();
  size_t i = 0;
  auto at = [&](size_t k) -> const Token* { return k < tokens.size() ? &tokens[k] : nullptr; };
  if (!at(1) || !IsKeyword(tokens[0], "INSERT") || !IsKeyword(tokens[1], "INTO")) {
    return std::nullopt;
  }
  i = 2;
  InsertFormat insert;
  while (true) {
    if (!at(i) || !IsName(tokens[i])) return std::nullopt;
    insert.table_path.push_back(tokens[i++].text);
    if (at(i) && IsSymbol(tokens[i], ".") && insert.table_path.size() < 3) {
      ++i;
      continue;
    }
    break;
  }
  if (at(i) && IsSymbol(tokens[i], "(")) {
    ++i;
    while (true) {
      if (!at(i) || !IsName(tokens[i])) return std::nullopt;
      insert.columns.push_back(tokens[i++].text);
      if (at(i) && IsSymbol(tokens[i], ",")) {
        ++i;
        continue;
      }
      if (at(i) && IsSymbol(tokens[i], ")")) {
        ++i;
        break;
      }
      return std::nullopt;
    }
  }
  if (!at(i + 1) || !IsKeyword(tokens[i], "FORMAT") || tokens[i + 1].kind != TokenKind::kWord ||
      i + 2 != tokens.size()) {
    return std::nullopt;
  }
  insert.format = tokens[i + 1].text;
  return insert;
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string QuoteQualifiedName(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out.push_back('.');
    out += QuoteIdentifier(parts[i]);
  }
  return out;
}

std::string QuoteString(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

}  // namespace quiver::sql
