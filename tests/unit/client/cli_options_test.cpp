#include "client/cli_options.h"

#include <gtest/gtest.h>

namespace quiver::client {
namespace {

TEST(CliOptions, HeadersAreKeyValueWithLowerCaseKeys) {
  auto header = ParseHeader("X-Session-Id=abc=def");
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->first, "x-session-id");
  EXPECT_EQ(header->second, "abc=def");
  EXPECT_TRUE(ParseHeader("k=").ok());
  EXPECT_FALSE(ParseHeader("novalue").ok());
  EXPECT_FALSE(ParseHeader("=v").ok());
}

TEST(CliOptions, AddressesWithoutSchemeAreGrpc) {
  EXPECT_EQ(NormalizeAddress("localhost:9090"), "grpc://localhost:9090");
  EXPECT_EQ(NormalizeAddress("grpc+tls://h:1"), "grpc+tls://h:1");
}

TEST(CliOptions, OutputFormatFromFlagThenExtensionThenTerminal) {
  EXPECT_EQ(*ChooseOutputFormat("jsonl", "out.csv", true), OutputFormat::kJsonLines);
  EXPECT_EQ(*ChooseOutputFormat("", "dir.x/out.PARQUET", true), OutputFormat::kParquet);
  EXPECT_EQ(*ChooseOutputFormat("", "out.arrow", false), OutputFormat::kArrow);
  EXPECT_EQ(*ChooseOutputFormat("", "out.ndjson", false), OutputFormat::kJsonLines);
  EXPECT_EQ(*ChooseOutputFormat("", "", true), OutputFormat::kTable);
  EXPECT_EQ(*ChooseOutputFormat("", "", false), OutputFormat::kCsv);
  EXPECT_FALSE(ChooseOutputFormat("", "out.xlsx", false).ok());
  EXPECT_FALSE(ChooseOutputFormat("yaml", "", false).ok());
  EXPECT_TRUE(IsBinary(OutputFormat::kParquet));
  EXPECT_FALSE(IsBinary(OutputFormat::kCsv));
}

TEST(CliOptions, InputFormatFromFlagThenExtension) {
  EXPECT_EQ(*ChooseInputFormat("", "data.csv"), InputFormat::kCsv);
  EXPECT_EQ(*ChooseInputFormat("", "data.parquet"), InputFormat::kParquet);
  EXPECT_EQ(*ChooseInputFormat("", "data.arrows"), InputFormat::kArrow);
  EXPECT_EQ(*ChooseInputFormat("parquet", "data.bin"), InputFormat::kParquet);
  EXPECT_FALSE(ChooseInputFormat("", "data").ok());
  EXPECT_FALSE(ChooseInputFormat("", "data.txt").ok());
}

TEST(CliOptions, TableNamesHaveOptionalCatalogAndSchema) {
  auto name = ParseTableName("t");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->table, "t");
  EXPECT_FALSE(name->schema.has_value());
  name = ParseTableName("db.main.t");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name->catalog, "db");
  EXPECT_EQ(*name->schema, "main");
  EXPECT_EQ(name->table, "t");
  name = ParseTableName(R"(s."a.b ""c""")");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name->schema, "s");
  EXPECT_EQ(name->table, R"(a.b "c")");
  EXPECT_FALSE(ParseTableName("a.b.c.d").ok());
  EXPECT_FALSE(ParseTableName("a..b").ok());
  EXPECT_FALSE(ParseTableName("\"open").ok());
}

}  // namespace
}  // namespace quiver::client
