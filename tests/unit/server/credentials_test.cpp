#include "server/auth/credentials.h"

#include <gtest/gtest.h>

#include <string>

#include "common/config.h"
#include "server/auth/user_store.h"

namespace quiver::auth {
namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// DecodeBase64

TEST(DecodeBase64Test, Padded) {
  EXPECT_EQ(DecodeBase64(""), std::string());
  EXPECT_EQ(DecodeBase64("Zg=="), "f");
  EXPECT_EQ(DecodeBase64("Zm8="), "fo");
  EXPECT_EQ(DecodeBase64("Zm9v"), "foo");
  EXPECT_EQ(DecodeBase64("Zm9vYg=="), "foob");
  EXPECT_EQ(DecodeBase64("Zm9vYmE="), "fooba");
  EXPECT_EQ(DecodeBase64("Zm9vYmFy"), "foobar");
  EXPECT_EQ(DecodeBase64("dXNlcjpwYXNz"), "user:pass");
}

TEST(DecodeBase64Test, Unpadded) {
  EXPECT_EQ(DecodeBase64("Zg"), "f");
  EXPECT_EQ(DecodeBase64("Zm8"), "fo");
  EXPECT_EQ(DecodeBase64("Zm9vYg"), "foob");
  EXPECT_EQ(DecodeBase64("Zm9vYmE"), "fooba");
  EXPECT_EQ(DecodeBase64("YWxpY2U6cHc"), "alice:pw");
}

TEST(DecodeBase64Test, BinaryAndHighAlphabet) {
  EXPECT_EQ(DecodeBase64("//4AAQ=="), std::string("\xff\xfe\x00\x01", 4));
  EXPECT_EQ(DecodeBase64("+/+/"), std::string("\xfb\xff\xbf", 3));
}

TEST(DecodeBase64Test, InvalidCharacters) {
  for (const char* text : {"Zm9v!", "Zm 9v", "Zm9-", "Zm9_", "Zm9v\n",
                           "Zg==Zg==", "Z=g=", "Zm9v====", "\xc3\xa4\xc3\xa4"}) {
    EXPECT_FALSE(DecodeBase64(text).has_value()) << text;
  }
}

TEST(DecodeBase64Test, BadLength) {
  for (const char* text : {"Z", "Zm9vY", "Zm9vY=", "Zg=", "Zm8==", "=", "==", "==="}) {
    EXPECT_FALSE(DecodeBase64(text).has_value()) << text;
  }
}

// ---------------------------------------------------------------------------------------------
// ParseAuthorization

TEST(ParseAuthorizationTest, NoHeader) {
  auto credentials = ParseAuthorization(std::nullopt);
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_TRUE(std::holds_alternative<NoCredentials>(*credentials));
}

TEST(ParseAuthorizationTest, BasicInAnyCase) {
  for (const char* header : {"Basic dXNlcjpwYXNz", "basic dXNlcjpwYXNz", "BASIC dXNlcjpwYXNz",
                             "bAsIc   dXNlcjpwYXNz  ", "  Basic dXNlcjpwYXNz"}) {
    auto credentials = ParseAuthorization(std::string_view(header));
    ASSERT_TRUE(credentials.ok()) << header << ": " << credentials.status().ToString();
    const auto* basic = std::get_if<BasicCredentials>(&*credentials);
    ASSERT_NE(basic, nullptr) << header;
    EXPECT_EQ(basic->user, "user");
    EXPECT_EQ(basic->password, "pass");
  }
}

TEST(ParseAuthorizationTest, UnpaddedBasic) {
  auto credentials = ParseAuthorization(std::string_view("Basic YWxpY2U6cHc"));
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  const auto* basic = std::get_if<BasicCredentials>(&*credentials);
  ASSERT_NE(basic, nullptr);
  EXPECT_EQ(basic->user, "alice");
  EXPECT_EQ(basic->password, "pw");
}

TEST(ParseAuthorizationTest, PasswordContainingColons) {
  auto credentials = ParseAuthorization(std::string_view("Basic Ym9iOmE6Yjpj"));  // bob:a:b:c
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  const auto* basic = std::get_if<BasicCredentials>(&*credentials);
  ASSERT_NE(basic, nullptr);
  EXPECT_EQ(basic->user, "bob");
  EXPECT_EQ(basic->password, "a:b:c");
}

TEST(ParseAuthorizationTest, EmptyUserAndPassword) {
  auto credentials = ParseAuthorization(std::string_view("Basic Og=="));  // ":"
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  const auto* basic = std::get_if<BasicCredentials>(&*credentials);
  ASSERT_NE(basic, nullptr);
  EXPECT_EQ(basic->user, "");
  EXPECT_EQ(basic->password, "");

  credentials = ParseAuthorization(std::string_view("Basic ZGVmYXVsdDo="));  // "default:"
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  basic = std::get_if<BasicCredentials>(&*credentials);
  ASSERT_NE(basic, nullptr);
  EXPECT_EQ(basic->user, "default");
  EXPECT_EQ(basic->password, "");
}

TEST(ParseAuthorizationTest, Utf8Password) {
  auto credentials = ParseAuthorization(std::string_view("Basic dXNlcjpww6Rzcw=="));
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  const auto* basic = std::get_if<BasicCredentials>(&*credentials);
  ASSERT_NE(basic, nullptr);
  EXPECT_EQ(basic->password, "p\xc3\xa4ss");
}

TEST(ParseAuthorizationTest, NoColonIsMalformed) {
  auto credentials = ParseAuthorization(std::string_view("Basic dXNlcm9ubHk="));  // useronly
  ASSERT_FALSE(credentials.ok());
  EXPECT_TRUE(credentials.status().IsInvalid());
  EXPECT_TRUE(Contains(credentials.status().message(), "Malformed credentials"))
      << credentials.status().message();

  credentials = ParseAuthorization(std::string_view("Basic  "));  // no credentials at all
  ASSERT_FALSE(credentials.ok());
  EXPECT_TRUE(credentials.status().IsInvalid());
}

TEST(ParseAuthorizationTest, BadBase64) {
  for (const char* header : {"Basic !!!!", "Basic dXNlcjpwYXNz=", "Basic Z", "Basic dXNl cjpw"}) {
    auto credentials = ParseAuthorization(std::string_view(header));
    ASSERT_FALSE(credentials.ok()) << header;
    EXPECT_TRUE(credentials.status().IsInvalid());
    EXPECT_TRUE(
        Contains(credentials.status().message(), "Cannot decode the Base64-encoded credentials"))
        << header << ": " << credentials.status().message();
  }
}

TEST(ParseAuthorizationTest, Bearer) {
  for (const char* header : {"Bearer abc-123", "bearer abc-123", "BEARER   abc-123 "}) {
    auto credentials = ParseAuthorization(std::string_view(header));
    ASSERT_TRUE(credentials.ok()) << header << ": " << credentials.status().ToString();
    const auto* bearer = std::get_if<BearerToken>(&*credentials);
    ASSERT_NE(bearer, nullptr) << header;
    EXPECT_EQ(bearer->token, "abc-123");
  }
}

TEST(ParseAuthorizationTest, EmptyBearerIsRejected) {
  auto credentials = ParseAuthorization(std::string_view("Bearer    "));
  ASSERT_FALSE(credentials.ok());
  EXPECT_TRUE(credentials.status().IsInvalid());
}

TEST(ParseAuthorizationTest, UnsupportedScheme) {
  for (const char* header :
       {"Digest abc", "Token xyz", "", "Basic", "Bearer", "Basicdxnl", "NotBasic dXNlcjpwYXNz"}) {
    auto credentials = ParseAuthorization(std::string_view(header));
    ASSERT_FALSE(credentials.ok()) << header;
    EXPECT_TRUE(credentials.status().IsInvalid());
    EXPECT_TRUE(Contains(credentials.status().message(), "Unsupported 'authorization' header"))
        << header << ": " << credentials.status().message();
  }
}

// ---------------------------------------------------------------------------------------------
// UserStore

constexpr const char* kFailureSuffix =
    ": Authentication failed: password is incorrect, or there is no user with such name.";

TEST(UserStoreTest, AnonymousDefaultUserWhenNoUsers) {
  UserStore store({});
  EXPECT_EQ(std::string(UserStore::kAnonymousUser), "default");
  auto status = store.Authenticate("default", "");
  EXPECT_TRUE(status.ok()) << status.ToString();

  status = store.Authenticate("default", "something");
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_EQ(status.message(), std::string("default") + kFailureSuffix);

  status = store.Authenticate("someone", "");
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_EQ(status.message(), std::string("someone") + kFailureSuffix);
}

TEST(UserStoreTest, ConfiguredUsers) {
  UserStore store({{"alice", Sha256Hex("wonderland")}, {"bob", Sha256Hex("")}});
  EXPECT_TRUE(store.Authenticate("alice", "wonderland").ok());
  EXPECT_TRUE(store.Authenticate("bob", "").ok());

  auto status = store.Authenticate("alice", "Wonderland");
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_EQ(status.message(), std::string("alice") + kFailureSuffix);

  status = store.Authenticate("bob", "wonderland");
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_EQ(status.message(), std::string("bob") + kFailureSuffix);

  // User names are case-sensitive.
  status = store.Authenticate("Alice", "wonderland");
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_EQ(status.message(), std::string("Alice") + kFailureSuffix);

  // Configuring users removes the anonymous default user.
  status = store.Authenticate("default", "");
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_EQ(status.message(), std::string("default") + kFailureSuffix);
}

TEST(UserStoreTest, ConfiguredDefaultUserNeedsItsPassword) {
  UserStore store({{"default", Sha256Hex("secret")}});
  EXPECT_TRUE(store.Authenticate("default", "secret").ok());
  EXPECT_TRUE(store.Authenticate("default", "").IsInvalid());
}

TEST(UserStoreTest, UsersFromYaml) {
  ServerConfig config;
  ASSERT_TRUE(ApplyYamlText("users:\n  - name: carol\n    password: c:o:l\n", &config).ok());
  UserStore store(config.users);
  EXPECT_TRUE(store.Authenticate("carol", "c:o:l").ok());
  EXPECT_TRUE(store.Authenticate("carol", "c").IsInvalid());
}

TEST(UserStoreTest, DigestItselfIsNotAPassword) {
  const std::string digest = Sha256Hex("pw");
  UserStore store({{"dave", digest}});
  EXPECT_TRUE(store.Authenticate("dave", "pw").ok());
  EXPECT_TRUE(store.Authenticate("dave", digest).IsInvalid());
}

}  // namespace
}  // namespace quiver::auth
