// Static tokens for `auth-token-bin` / Handshake payloads: configuration and the token store.
#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/config.h"
#include "server/auth/token_store.h"

namespace quiver {
namespace {

TEST(TokensConfigTest, ReadsTokensAndDigests) {
  ServerConfig config;
  auto status = ApplyYamlText(R"(
users:
  - name: etl
    password: secret
tokens:
  - user: etl
    token: cq-token
  - user: etl
    token_sha256: "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
)",
                              &config);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(config.tokens.size(), 2u);
  EXPECT_EQ(config.tokens[0].user, "etl");
  EXPECT_EQ(config.tokens[0].token_sha256, Sha256Hex("cq-token"));
  EXPECT_EQ(config.tokens[1].token_sha256,
            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  EXPECT_TRUE(config.Validate().ok());
  // The clear-text token is never logged.
  EXPECT_EQ(config.Describe().find("cq-token"), std::string::npos);
}

TEST(TokensConfigTest, ErrorsNameTheKey) {
  struct Case {
    const char* yaml;
    const char* message;
  };
  for (const auto& c : std::vector<Case>{
           {"tokens: {user: a}", "config key 'tokens' must be a list"},
           {"tokens: [{token: t}]", "config key 'tokens[0].user' is missing"},
           {"tokens: [{user: default}]", "config key 'tokens[0]' needs 'token' or 'token_sha256'"},
           {"tokens: [{user: default, token: ''}]",
            "config key 'tokens[0].token' must not be empty"},
           {"tokens: [{user: default, token_sha256: abc}]",
            "config key 'tokens[0].token_sha256' must be 64 hex digits"},
           {"tokens: [{user: default, token: t, scope: x}]",
            "unknown config key 'tokens[0].scope'"},
       }) {
    ServerConfig config;
    auto status = ApplyYamlText(c.yaml, &config);
    ASSERT_FALSE(status.ok()) << c.yaml;
    EXPECT_EQ(status.message(), c.message) << c.yaml;
  }
}

TEST(TokensConfigTest, TokensBelongToKnownUsers) {
  ServerConfig anonymous;
  ASSERT_TRUE(ApplyYamlText("tokens: [{user: default, token: t}]", &anonymous).ok());
  EXPECT_TRUE(anonymous.Validate().ok());
  ServerConfig unknown;
  ASSERT_TRUE(
      ApplyYamlText("users: [{name: a, password: p}]\ntokens: [{user: b, token: t}]", &unknown)
          .ok());
  EXPECT_EQ(unknown.Validate().message(), "tokens: user 'b' is not a configured user");
}

TEST(PermanentTokensTest, AcceptedAlongsideIssuedTokensAndNeverExpire) {
  FakeClock clock;
  auth::TokenStore tokens(clock, std::chrono::seconds(60));
  tokens.AddPermanent(Sha256Hex("static"), "etl");
  const std::string issued = tokens.Issue("alice");
  EXPECT_EQ(tokens.Use("static"), "etl");
  EXPECT_EQ(tokens.PermanentUser("static"), "etl");
  EXPECT_FALSE(tokens.PermanentUser(issued));
  EXPECT_EQ(tokens.Use(issued), "alice");
  clock.Advance(std::chrono::hours(24));
  EXPECT_FALSE(tokens.Use(issued));
  EXPECT_EQ(tokens.Use("static"), "etl");
  EXPECT_FALSE(tokens.Use("other"));
}

}  // namespace
}  // namespace quiver
