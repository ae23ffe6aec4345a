#include "common/sql_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace quiver::sql {
namespace {

using Strings = std::vector<std::string>;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

Strings Texts(const std::vector<Token>& tokens) {
  Strings out;
  for (const auto& token : tokens) out.push_back(token.text);
  return out;
}

std::vector<TokenKind> Kinds(const std::vector<Token>& tokens) {
  std::vector<TokenKind> out;
  for (const auto& token : tokens) out.push_back(token.kind);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tokenize

TEST(TokenizeTest, WordsSymbolsAndOffsets) {
  const auto tokens = Tokenize("SELECT a,b FROM t;");
  EXPECT_EQ(Texts(tokens), (Strings{"SELECT", "a", ",", "b", "FROM", "t", ";"}));
  EXPECT_EQ(Kinds(tokens),
            (std::vector<TokenKind>{TokenKind::kWord, TokenKind::kWord, TokenKind::kSymbol,
                                    TokenKind::kWord, TokenKind::kWord, TokenKind::kWord,
                                    TokenKind::kSymbol}));
  ASSERT_EQ(tokens.size(), 7u);
  EXPECT_EQ(tokens[0].offset, 0u);
  EXPECT_EQ(tokens[1].offset, 7u);
  EXPECT_EQ(tokens[2].offset, 8u);
  EXPECT_EQ(tokens[3].offset, 9u);
  EXPECT_EQ(tokens[4].offset, 11u);
  EXPECT_EQ(tokens[5].offset, 16u);
  EXPECT_EQ(tokens[6].offset, 17u);
}

TEST(TokenizeTest, EmptyAndWhitespaceOnly) {
  EXPECT_TRUE(Tokenize("").empty());
  EXPECT_TRUE(Tokenize(" \t\r\n ").empty());
}

TEST(TokenizeTest, WordCharacters) {
  const auto tokens = Tokenize("_a1$ b_2");
  EXPECT_EQ(Texts(tokens), (Strings{"_a1$", "b_2"}));
}

TEST(TokenizeTest, LineCommentsAreSkipped) {
  const auto tokens = Tokenize("SELECT 1 -- FORMAT JSON\n, x -- trailing");
  EXPECT_EQ(Texts(tokens), (Strings{"SELECT", "1", ",", "x"}));
}

TEST(TokenizeTest, BlockCommentsAreSkipped) {
  const auto tokens = Tokenize("SELECT /* a 'quote' and \"ident\"\n */ x/**/y");
  EXPECT_EQ(Texts(tokens), (Strings{"SELECT", "x", "y"}));
  EXPECT_EQ(tokens[1].offset, 36u);
}

TEST(TokenizeTest, UnterminatedBlockCommentEndsText) {
  EXPECT_EQ(Texts(Tokenize("SELECT /* FORMAT JSON")), (Strings{"SELECT"}));
}

TEST(TokenizeTest, SingleMinusAndSlashAreSymbols) {
  EXPECT_EQ(Texts(Tokenize("a-b/c")), (Strings{"a", "-", "b", "/", "c"}));
}

TEST(TokenizeTest, StringsWithDoubledQuotes) {
  const auto tokens = Tokenize("SELECT 'it''s -- not a comment', ''");
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_EQ(tokens[1].kind, TokenKind::kString);
  EXPECT_EQ(tokens[1].text, "it's -- not a comment");
  EXPECT_EQ(tokens[1].offset, 7u);
  EXPECT_EQ(tokens[2].kind, TokenKind::kSymbol);
  EXPECT_EQ(tokens[3].kind, TokenKind::kString);
  EXPECT_EQ(tokens[3].text, "");
}

TEST(TokenizeTest, QuotedIdentifiers) {
  const auto tokens = Tokenize(R"(SELECT "my ""col""" FROM "s"."t" , `b`)");
  ASSERT_EQ(tokens.size(), 8u);
  EXPECT_EQ(tokens[1].kind, TokenKind::kQuotedIdentifier);
  EXPECT_EQ(tokens[1].text, "my \"col\"");
  EXPECT_EQ(tokens[3].kind, TokenKind::kQuotedIdentifier);
  EXPECT_EQ(tokens[3].text, "s");
  EXPECT_EQ(tokens[4].kind, TokenKind::kSymbol);
  EXPECT_EQ(tokens[4].text, ".");
  EXPECT_EQ(tokens[5].kind, TokenKind::kQuotedIdentifier);
  EXPECT_EQ(tokens[5].text, "t");
  EXPECT_EQ(tokens[7].kind, TokenKind::kQuotedIdentifier);
  EXPECT_EQ(tokens[7].text, "b");
}

TEST(TokenizeTest, CommentMarkersInsideQuotesAreText) {
  const auto tokens = Tokenize("'/* x */' \"-- y\"");
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].text, "/* x */");
  EXPECT_EQ(tokens[1].text, "-- y");
}

TEST(TokenizeTest, UnterminatedStringEndsText) {
  const auto tokens = Tokenize("SELECT 'abc FORMAT JSON");
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[1].kind, TokenKind::kString);
  EXPECT_EQ(tokens[1].text, "abc FORMAT JSON");
}

// ---------------------------------------------------------------------------------------------
// StripArrowFormat

TEST(StripArrowFormatTest, NoFormatClauseIsUnchanged) {
  for (const char* sql : {"SELECT 1", "SELECT 1;", "SELECT format FROM t", "", "  ",
                          "SELECT * FROM format", "SELECT 1 FORMAT"}) {
    auto result = StripArrowFormat(sql);
    ASSERT_TRUE(result.ok()) << sql << ": " << result.status().ToString();
    EXPECT_EQ(*result, sql);
  }
}

TEST(StripArrowFormatTest, TrailingArrowFormatRemovedInAnyCase) {
  for (const char* sql : {"SELECT 1 FORMAT Arrow", "SELECT 1 format arrow", "SELECT 1 FoRmAt ARROW",
                          "SELECT 1 FORMAT Arrow;", "SELECT 1 FORMAT Arrow ; ;",
                          "SELECT 1 FORMAT Arrow -- comment", "SELECT 1 FORMAT /* c */ Arrow"}) {
    auto result = StripArrowFormat(sql);
    ASSERT_TRUE(result.ok()) << sql << ": " << result.status().ToString();
    EXPECT_EQ(*result, "SELECT 1 ") << sql;
  }
}

TEST(StripArrowFormatTest, KeepsTheRestOfTheQuery) {
  auto result = StripArrowFormat("SELECT 'FORMAT JSON' AS f\nFROM t\nWHERE x = 1\nFORMAT Arrow");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(*result, "SELECT 'FORMAT JSON' AS f\nFROM t\nWHERE x = 1\n");
}

TEST(StripArrowFormatTest, OtherFormatIsExecutionError) {
  auto result = StripArrowFormat("SELECT 1 FORMAT JSON");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsExecutionError()) << result.status().ToString();
  EXPECT_TRUE(
      Contains(result.status().message(), "Invalid format, only 'Arrow' format is supported"))
      << result.status().message();
  EXPECT_TRUE(Contains(result.status().message(), "JSON")) << result.status().message();

  result = StripArrowFormat("select 1 format CSV;");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsExecutionError());
  EXPECT_TRUE(Contains(result.status().message(), "(got CSV)")) << result.status().message();
}

TEST(StripArrowFormatTest, FormatInsideStringOrCommentIsNotAClause) {
  for (const char* sql :
       {"SELECT 'x FORMAT JSON'", "SELECT 'FORMAT JSON'", "SELECT 1 -- FORMAT JSON",
        "SELECT 1 /* FORMAT JSON */", "SELECT 1 AS \"FORMAT JSON\"", "SELECT 'FORMAT' , 'JSON'"}) {
    auto result = StripArrowFormat(sql);
    ASSERT_TRUE(result.ok()) << sql << ": " << result.status().ToString();
    EXPECT_EQ(*result, sql);
  }
}

TEST(StripArrowFormatTest, FormatNameMustBeAWord) {
  // A quoted string after FORMAT is not a format clause; DuckDB reports the error.
  auto result = StripArrowFormat("SELECT 1 FORMAT 'JSON'");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(*result, "SELECT 1 FORMAT 'JSON'");
}

// ---------------------------------------------------------------------------------------------
// ParseInsertFormat

TEST(ParseInsertFormatTest, SimpleTable) {
  auto insert = ParseInsertFormat("INSERT INTO t FORMAT Arrow");
  ASSERT_TRUE(insert.has_value());
  EXPECT_EQ(insert->table_path, (Strings{"t"}));
  EXPECT_TRUE(insert->columns.empty());
  EXPECT_EQ(insert->format, "Arrow");
}

TEST(ParseInsertFormatTest, CaseAndSemicolon) {
  auto insert = ParseInsertFormat("insert into T format arrow;");
  ASSERT_TRUE(insert.has_value());
  EXPECT_EQ(insert->table_path, (Strings{"T"}));
  EXPECT_EQ(insert->format, "arrow");
}

TEST(ParseInsertFormatTest, QualifiedNames) {
  auto insert = ParseInsertFormat("INSERT INTO schema.t FORMAT Arrow");
  ASSERT_TRUE(insert.has_value());
  EXPECT_EQ(insert->table_path, (Strings{"schema", "t"}));

  insert = ParseInsertFormat("INSERT INTO db.main.t FORMAT Arrow");
  ASSERT_TRUE(insert.has_value());
  EXPECT_EQ(insert->table_path, (Strings{"db", "main", "t"}));

  EXPECT_FALSE(ParseInsertFormat("INSERT INTO a.b.c.d FORMAT Arrow").has_value());
  EXPECT_FALSE(ParseInsertFormat("INSERT INTO a. FORMAT Arrow").has_value());
}

TEST(ParseInsertFormatTest, QuotedNames) {
  auto insert = ParseInsertFormat(R"(INSERT INTO "quoted"."t" FORMAT Arrow)");
  ASSERT_TRUE(insert.has_value());
  EXPECT_EQ(insert->table_path, (Strings{"quoted", "t"}));

  insert = ParseInsertFormat(R"(INSERT INTO "my ""odd"" table" ("a b", c) FORMAT Arrow)");
  ASSERT_TRUE(insert.has_value());
  EXPECT_EQ(insert->table_path, (Strings{"my \"odd\" table"}));
  EXPECT_EQ(insert->columns, (Strings{"a b", "c"}));
}

TEST(ParseInsertFormatTest, ColumnList) {
  auto insert = ParseInsertFormat("INSERT INTO s.t (a, b,c) FORMAT Arrow");
  ASSERT_TRUE(insert.has_value());
  EXPECT_EQ(insert->table_path, (Strings{"s", "t"}));
  EXPECT_EQ(insert->columns, (Strings{"a", "b", "c"}));
  EXPECT_EQ(insert->format, "Arrow");

  EXPECT_FALSE(ParseInsertFormat("INSERT INTO t () FORMAT Arrow").has_value());
  EXPECT_FALSE(ParseInsertFormat("INSERT INTO t (a,) FORMAT Arrow").has_value());
  EXPECT_FALSE(ParseInsertFormat("INSERT INTO t (a FORMAT Arrow").has_value());
  EXPECT_FALSE(ParseInsertFormat("INSERT INTO t (a b) FORMAT Arrow").has_value());
}

TEST(ParseInsertFormatTest, OtherFormatIsReturnedForTheCallerToReject) {
  auto insert = ParseInsertFormat("INSERT INTO t FORMAT JSON");
  ASSERT_TRUE(insert.has_value());
  EXPECT_EQ(insert->format, "JSON");
}

TEST(ParseInsertFormatTest, CommentsAreIgnored) {
  auto insert = ParseInsertFormat("/* load */ INSERT INTO t -- the table\n FORMAT Arrow -- end");
  ASSERT_TRUE(insert.has_value());
  EXPECT_EQ(insert->table_path, (Strings{"t"}));
}

TEST(ParseInsertFormatTest, NotAnInsertFormat) {
  for (const char* sql : {
           "INSERT INTO t VALUES (1)",
           "INSERT INTO t (a) VALUES (1)",
           "INSERT INTO t SELECT 1",
           "INSERT INTO t SELECT 1 FORMAT Arrow",
           "INSERT INTO t FORMAT Arrow extra",
           "INSERT INTO t FORMAT",
           "INSERT INTO t FORMAT 'Arrow'",
           "INSERT INTO t",
           "INSERT INTO",
           "INSERT t FORMAT Arrow",
           "INSERT INTO 'string' FORMAT Arrow",
           "SELECT 1",
           "SELECT 1 FORMAT Arrow",
           "SELECT 'INSERT INTO t FORMAT Arrow'",
           "",
       }) {
    EXPECT_FALSE(ParseInsertFormat(sql).has_value()) << sql;
  }
}

// ---------------------------------------------------------------------------------------------
// Quoting and comparison

TEST(QuoteTest, QuoteIdentifier) {
  EXPECT_EQ(QuoteIdentifier("t"), "\"t\"");
  EXPECT_EQ(QuoteIdentifier(""), "\"\"");
  EXPECT_EQ(QuoteIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteIdentifier("\""), "\"\"\"\"");
  EXPECT_EQ(QuoteIdentifier("it's"), "\"it's\"");
  EXPECT_EQ(QuoteIdentifier("x; DROP TABLE y; --"), "\"x; DROP TABLE y; --\"");
}

TEST(QuoteTest, QuoteIdentifierRoundTripsThroughTokenize) {
  const std::string name = "we\"ird \"\" name";
  const auto tokens = Tokenize(QuoteIdentifier(name));
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].kind, TokenKind::kQuotedIdentifier);
  EXPECT_EQ(tokens[0].text, name);
}

TEST(QuoteTest, QuoteQualifiedName) {
  EXPECT_EQ(QuoteQualifiedName({"t"}), "\"t\"");
  EXPECT_EQ(QuoteQualifiedName({"s", "t"}), "\"s\".\"t\"");
  EXPECT_EQ(QuoteQualifiedName({"c", "s\"x", "t"}), "\"c\".\"s\"\"x\".\"t\"");
  EXPECT_EQ(QuoteQualifiedName({}), "");
}

TEST(QuoteTest, QuoteString) {
  EXPECT_EQ(QuoteString("abc"), "'abc'");
  EXPECT_EQ(QuoteString(""), "''");
  EXPECT_EQ(QuoteString("it's"), "'it''s'");
  EXPECT_EQ(QuoteString("''"), "''''''");
  EXPECT_EQ(QuoteString("say \"hi\""), "'say \"hi\"'");
}

TEST(QuoteTest, QuoteStringRoundTripsThroughTokenize) {
  const std::string text = "a'b''c -- /* d";
  const auto tokens = Tokenize(QuoteString(text));
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].kind, TokenKind::kString);
  EXPECT_EQ(tokens[0].text, text);
}

TEST(EqualsIgnoreCaseTest, Cases) {
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_TRUE(EqualsIgnoreCase("Arrow", "arrow"));
  EXPECT_TRUE(EqualsIgnoreCase("ARROW", "aRrOw"));
  EXPECT_TRUE(EqualsIgnoreCase("a_1$", "A_1$"));
  EXPECT_FALSE(EqualsIgnoreCase("Arrow", "Arrows"));
  EXPECT_FALSE(EqualsIgnoreCase("Arrow", "Arrox"));
  EXPECT_FALSE(EqualsIgnoreCase("a", ""));
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));  // differ by 0x20 but are not letters
}

}  // namespace
}  // namespace quiver::sql
