#include "client/statement_splitter.h"

#include <gtest/gtest.h>

namespace quiver::client {
namespace {

using Statements = std::vector<std::string>;

TEST(StatementSplitter, SplitsOnSemicolonsOutsideQuotesAndComments) {
  StatementSplitter splitter;
  splitter.Append(
      "SELECT 'a;b', \"c;d\" -- e;f\n FROM t; /* g; /* nested; */ h; */ SELECT $$i;j$$, "
      "$tag$k;$$;l$tag$;;  ; SELECT $1");
  EXPECT_EQ(splitter.TakeStatements(),
            (Statements{"SELECT 'a;b', \"c;d\" -- e;f\n FROM t",
                        "/* g; /* nested; */ h; */ SELECT $$i;j$$, $tag$k;$$;l$tag$"}));
  EXPECT_TRUE(splitter.HasPendingStatement());
  EXPECT_EQ(splitter.TakeRemainder(), "SELECT $1");
  EXPECT_FALSE(splitter.HasPendingStatement());
}

TEST(StatementSplitter, LinesArriveOneAtATime) {
  StatementSplitter splitter;
  splitter.Append("SELECT 1,\n");
  EXPECT_TRUE(splitter.TakeStatements().empty());
  EXPECT_TRUE(splitter.HasPendingStatement());
  splitter.Append("  'x;\n");
  splitter.Append("y' AS s; SELECT\n");
  EXPECT_EQ(splitter.TakeStatements(), (Statements{"SELECT 1,\n  'x;\ny' AS s"}));
  splitter.Append("2;\n");
  EXPECT_EQ(splitter.TakeStatements(), (Statements{"SELECT\n2"}));
  EXPECT_FALSE(splitter.HasPendingStatement());
}

TEST(StatementSplitter, TokensCutAtTheEndOfATextWaitForMore) {
  StatementSplitter splitter;
  splitter.Append("SELECT 1 -");
  splitter.Append("- comment; still\n;");
  EXPECT_EQ(splitter.TakeStatements(), (Statements{"SELECT 1 -- comment; still"}));
  splitter.Append("SELECT $a");
  splitter.Append("b$;$ab$;");
  EXPECT_EQ(splitter.TakeStatements(), (Statements{"SELECT $ab$;$ab$"}));
  splitter.Append("SELECT $q$a;$");
  splitter.Append("q$;");
  EXPECT_EQ(splitter.TakeStatements(), (Statements{"SELECT $q$a;$q$"}));
}

TEST(StatementSplitter, CommentsAloneAreNotStatements) {
  StatementSplitter splitter;
  splitter.Append("-- only a comment\n/* and another */;\n");
  EXPECT_TRUE(splitter.TakeStatements().empty());
  EXPECT_FALSE(splitter.HasPendingStatement());
  splitter.Append("SELECT 1;");
  splitter.Clear();
  EXPECT_TRUE(splitter.TakeStatements().empty());
}

TEST(StatementSplitter, QueriesAreToldFromUpdatesByTheirFirstWord) {
  EXPECT_TRUE(IsQuery("select 1"));
  EXPECT_TRUE(IsQuery("  -- c\n /* d */ (SELECT 1) UNION (SELECT 2)"));
  EXPECT_TRUE(IsQuery("WITH x AS (SELECT 1) SELECT * FROM x"));
  EXPECT_TRUE(IsQuery("from t"));
  EXPECT_TRUE(IsQuery("SHOW TABLES"));
  EXPECT_TRUE(IsQuery("describe t"));
  EXPECT_FALSE(IsQuery("INSERT INTO t VALUES (1)"));
  EXPECT_FALSE(IsQuery("CREATE TABLE selection (a INT)"));
  EXPECT_FALSE(IsQuery("SELECTED"));
  EXPECT_FALSE(IsQuery(""));
}

TEST(StatementSplitter, TrimRemovesWhiteSpace) {
  EXPECT_EQ(Trim("  a b \n\t"), "a b");
  EXPECT_EQ(Trim("   "), "");
}

}  // namespace
}  // namespace quiver::client
