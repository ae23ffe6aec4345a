#include "common/config.h"

#include <gtest/gtest.h>

#include <string>

namespace quiver {
namespace {

constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kAbcSha256 =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// Sha256Hex

TEST(Sha256HexTest, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), kEmptySha256);
  EXPECT_EQ(Sha256Hex("abc"), kAbcSha256);
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256HexTest, LowerCaseHexOf64Digits) {
  const std::string digest = Sha256Hex("some password");
  ASSERT_EQ(digest.size(), 64u);
  for (char c : digest) {
    EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << digest;
  }
}

TEST(Sha256HexTest, BinaryInputWithNulBytes) {
  const std::string with_nul("a\0b", 3);
  EXPECT_NE(Sha256Hex(with_nul), Sha256Hex("a"));
  EXPECT_NE(Sha256Hex(with_nul), Sha256Hex("ab"));
}

// ---------------------------------------------------------------------------------------------
// Defaults

TEST(ServerConfigTest, DefaultsAreValidAndLoopback) {
  ServerConfig config;
  EXPECT_EQ(config.host, "127.0.0.1");
  EXPECT_EQ(config.port, 9090);
  EXPECT_FALSE(config.allow_anonymous);
  EXPECT_TRUE(config.users.empty());
  EXPECT_TRUE(config.ListensOnLoopbackOnly());
  EXPECT_TRUE(config.Validate().ok()) << config.Validate().ToString();
}

// ---------------------------------------------------------------------------------------------
// ApplyYamlText

TEST(ApplyYamlTextTest, AllKeys) {
  ServerConfig config;
  const std::string yaml = R"(
host: 0.0.0.0
port: 12345
database: /tmp/some.duckdb
allow_anonymous: true
tickets_lifetime_seconds: 30
cancel_ticket_after_do_get: true
default_session_timeout: 10
max_session_timeout: 20
max_batch_bytes: 65536
max_command_bytes: 4096
shutdown_grace_seconds: 7
users:
  - name: alice
    password: secret
  - name: bob
    password_sha256: BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD
)";
  ASSERT_TRUE(ApplyYamlText(yaml, &config).ok()) << ApplyYamlText(yaml, &config).ToString();
  EXPECT_EQ(config.host, "0.0.0.0");
  EXPECT_EQ(config.port, 12345);
  EXPECT_EQ(config.database, "/tmp/some.duckdb");
  EXPECT_TRUE(config.allow_anonymous);
  EXPECT_EQ(config.tickets_lifetime_seconds, 30);
  EXPECT_TRUE(config.cancel_ticket_after_do_get);
  EXPECT_EQ(config.default_session_timeout, 10);
  EXPECT_EQ(config.max_session_timeout, 20);
  EXPECT_EQ(config.max_batch_bytes, 65536);
  EXPECT_EQ(config.max_command_bytes, 4096);
  EXPECT_EQ(config.shutdown_grace_seconds, 7);
  ASSERT_EQ(config.users.size(), 2u);
  EXPECT_EQ(config.users[0].name, "alice");
  EXPECT_EQ(config.users[0].password_sha256, Sha256Hex("secret"));
  EXPECT_EQ(config.users[1].name, "bob");
  // Digests given in upper case are normalised to lower case.
  EXPECT_EQ(config.users[1].password_sha256, kAbcSha256);
  EXPECT_TRUE(config.Validate().ok()) << config.Validate().ToString();
}

TEST(ApplyYamlTextTest, KeysNotMentionedKeepTheirValues) {
  ServerConfig config;
  config.database = "kept.duckdb";
  config.max_batch_bytes = 4096;
  ASSERT_TRUE(ApplyYamlText("port: 1\n", &config).ok());
  EXPECT_EQ(config.port, 1);
  EXPECT_EQ(config.database, "kept.duckdb");
  EXPECT_EQ(config.max_batch_bytes, 4096);
  EXPECT_EQ(config.host, "127.0.0.1");
}

TEST(ApplyYamlTextTest, LargeInt64Values) {
  ServerConfig config;
  ASSERT_TRUE(ApplyYamlText("max_command_bytes: 8589934592\n", &config).ok());
  EXPECT_EQ(config.max_command_bytes, int64_t{8589934592});
}

TEST(ApplyYamlTextTest, UsersListReplacesEarlierUsers) {
  ServerConfig config;
  config.users.push_back({"old", Sha256Hex("x")});
  ASSERT_TRUE(ApplyYamlText("users:\n  - {name: new, password: p}\n", &config).ok());
  ASSERT_EQ(config.users.size(), 1u);
  EXPECT_EQ(config.users[0].name, "new");
  EXPECT_EQ(config.users[0].password_sha256, Sha256Hex("p"));

  ASSERT_TRUE(ApplyYamlText("users: []\n", &config).ok());
  EXPECT_TRUE(config.users.empty());
}

TEST(ApplyYamlTextTest, PlainPasswordIsHashedNotKept) {
  ServerConfig config;
  ASSERT_TRUE(ApplyYamlText("users:\n  - name: u\n    password: hunter2\n", &config).ok());
  ASSERT_EQ(config.users.size(), 1u);
  EXPECT_EQ(config.users[0].password_sha256, Sha256Hex("hunter2"));
  EXPECT_NE(config.users[0].password_sha256, "hunter2");
}

TEST(ApplyYamlTextTest, EmptyPasswordIsAllowed) {
  ServerConfig config;
  ASSERT_TRUE(ApplyYamlText("users:\n  - name: u\n    password: ''\n", &config).ok());
  ASSERT_EQ(config.users.size(), 1u);
  EXPECT_EQ(config.users[0].password_sha256, kEmptySha256);
}

TEST(ApplyYamlTextTest, UnknownTopLevelKeyIsNamed) {
  ServerConfig config;
  auto status = ApplyYamlText("port: 1\ncolour: blue\n", &config);
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "'colour'")) << status.message();
  EXPECT_TRUE(Contains(status.message(), "unknown")) << status.message();
}

TEST(ApplyYamlTextTest, UnknownUserKeyIsNamedWithIndex) {
  ServerConfig config;
  auto status = ApplyYamlText("users:\n  - name: a\n    password: p\n    colour: red\n", &config);
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "users[0].colour")) << status.message();

  status = ApplyYamlText(
      "users:\n  - name: a\n    password: p\n  - name: b\n    password: q\n    colour: red\n",
      &config);
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "users[1].colour")) << status.message();
}

TEST(ApplyYamlTextTest, WrongTypesNameTheKey) {
  struct Case {
    const char* yaml;
    const char* key;
  };
  const Case cases[] = {
      {"port: not-a-number\n", "'port'"},
      {"port: 1.5\n", "'port'"},
      {"port: [1, 2]\n", "'port'"},
      {"host: {a: b}\n", "'host'"},
      {"host: [a]\n", "'host'"},
      {"allow_anonymous: maybe\n", "'allow_anonymous'"},
      {"cancel_ticket_after_do_get: 3\n", "'cancel_ticket_after_do_get'"},
      {"tickets_lifetime_seconds: soon\n", "'tickets_lifetime_seconds'"},
      {"default_session_timeout: x\n", "'default_session_timeout'"},
      {"max_session_timeout: x\n", "'max_session_timeout'"},
      {"max_batch_bytes: 2MB\n", "'max_batch_bytes'"},
      {"max_command_bytes: x\n", "'max_command_bytes'"},
      {"shutdown_grace_seconds: x\n", "'shutdown_grace_seconds'"},
      {"users: alice\n", "'users'"},
      {"users: {name: a}\n", "'users'"},
      {"users:\n  - alice\n", "users[0]"},
      {"users:\n  - name: [a]\n    password: p\n", "users[0].name"},
      {"users:\n  - name: a\n    password: {x: y}\n", "users[0].password"},
      {"users:\n  - name: a\n    password_sha256: abc\n", "users[0].password_sha256"},
  };
  for (const auto& c : cases) {
    ServerConfig config;
    auto status = ApplyYamlText(c.yaml, &config);
    EXPECT_TRUE(status.IsInvalid()) << c.yaml << " -> " << status.ToString();
    EXPECT_TRUE(Contains(status.message(), c.key)) << c.yaml << " -> " << status.message();
  }
}

TEST(ApplyYamlTextTest, PasswordSha256MustBeHex) {
  ServerConfig config;
  // 64 characters, but not all hex digits.
  const std::string not_hex(64, 'g');
  auto status =
      ApplyYamlText("users:\n  - name: a\n    password_sha256: " + not_hex + "\n", &config);
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "users[0].password_sha256")) << status.message();
  // 65 hex digits.
  status = ApplyYamlText("users:\n  - name: a\n    password_sha256: " + std::string(65, 'a') + "\n",
                         &config);
  EXPECT_TRUE(status.IsInvalid()) << status.ToString();
}

TEST(ApplyYamlTextTest, UserNeedsNameAndPassword) {
  ServerConfig config;
  auto status = ApplyYamlText("users:\n  - password: p\n", &config);
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "users[0].name")) << status.message();

  status = ApplyYamlText("users:\n  - name: a\n", &config);
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "users[0]")) << status.message();
  EXPECT_TRUE(Contains(status.message(), "password")) << status.message();
}

TEST(ApplyYamlTextTest, InvalidYaml) {
  ServerConfig config;
  auto status = ApplyYamlText("port: [1, 2\n", &config);
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "YAML")) << status.message();

  for (const char* yaml : {"host: a: b\n", "port: {1, 2]\n"}) {
    status = ApplyYamlText(yaml, &config);
    EXPECT_TRUE(status.IsInvalid()) << yaml << " -> " << status.ToString();
  }
}

TEST(ApplyYamlTextTest, NonMappingRoot) {
  for (const char* yaml : {"- a\n- b\n", "just a string\n", "42\n"}) {
    ServerConfig config;
    auto status = ApplyYamlText(yaml, &config);
    ASSERT_TRUE(status.IsInvalid()) << yaml << " -> " << status.ToString();
    EXPECT_TRUE(Contains(status.message(), "mapping")) << status.message();
  }
}

TEST(ApplyYamlTextTest, EmptyDocumentChangesNothing) {
  for (const char* yaml : {"", "\n", "# only a comment\n", "---\n", "~\n"}) {
    ServerConfig config;
    config.port = 4242;
    auto status = ApplyYamlText(yaml, &config);
    EXPECT_TRUE(status.ok()) << "'" << yaml << "' -> " << status.ToString();
    EXPECT_EQ(config.port, 4242);
    EXPECT_EQ(config.host, "127.0.0.1");
    EXPECT_TRUE(config.users.empty());
  }
}

TEST(ApplyYamlTextTest, NonScalarKeyIsAnErrorNotACrash) {
  ServerConfig config;
  auto status = ApplyYamlText("? [a, b]\n: 1\n", &config);
  EXPECT_TRUE(status.IsInvalid()) << status.ToString();
  status = ApplyYamlText("users:\n  - ? [a]\n    : 1\n", &config);
  EXPECT_TRUE(status.IsInvalid()) << status.ToString();
}

// ---------------------------------------------------------------------------------------------
// Validate

TEST(ValidateTest, PortRange) {
  ServerConfig config;
  for (int port : {0, 1, 9090, 65535}) {
    config.port = port;
    EXPECT_TRUE(config.Validate().ok()) << port;
  }
  for (int port : {-1, 65536, 100000}) {
    config.port = port;
    auto status = config.Validate();
    EXPECT_TRUE(status.IsInvalid()) << port;
    EXPECT_TRUE(Contains(status.message(), "port")) << status.message();
  }
}

TEST(ValidateTest, AnonymousOnNonLoopbackRefusedUnlessAllowed) {
  ServerConfig config;
  config.host = "0.0.0.0";
  auto status = config.Validate();
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "0.0.0.0")) << status.message();
  EXPECT_TRUE(Contains(status.message(), "allow-anonymous")) << status.message();

  config.allow_anonymous = true;
  EXPECT_TRUE(config.Validate().ok()) << config.Validate().ToString();

  config.allow_anonymous = false;
  config.users.push_back({"alice", Sha256Hex("pw")});
  EXPECT_TRUE(config.Validate().ok()) << config.Validate().ToString();
}

TEST(ValidateTest, AnonymousOnLoopbackIsFine) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "::1"}) {
    ServerConfig config;
    config.host = host;
    EXPECT_TRUE(config.Validate().ok()) << host << ": " << config.Validate().ToString();
  }
}

TEST(ValidateTest, DuplicateUsers) {
  ServerConfig config;
  config.users = {{"alice", Sha256Hex("a")}, {"bob", Sha256Hex("b")}, {"alice", Sha256Hex("c")}};
  auto status = config.Validate();
  ASSERT_TRUE(status.IsInvalid()) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "'alice'")) << status.message();
  EXPECT_TRUE(Contains(status.message(), "twice")) << status.message();

  config.users.pop_back();
  EXPECT_TRUE(config.Validate().ok());
}

TEST(ValidateTest, SessionTimeouts) {
  ServerConfig config;
  config.default_session_timeout = 100;
  config.max_session_timeout = 99;
  auto status = config.Validate();
  ASSERT_TRUE(status.IsInvalid());
  EXPECT_TRUE(Contains(status.message(), "max_session_timeout")) << status.message();

  config.max_session_timeout = 100;
  EXPECT_TRUE(config.Validate().ok());

  config.default_session_timeout = 0;
  config.max_session_timeout = 10;
  status = config.Validate();
  ASSERT_TRUE(status.IsInvalid());
  EXPECT_TRUE(Contains(status.message(), "default_session_timeout")) << status.message();
}

TEST(ValidateTest, OtherRanges) {
  {
    ServerConfig config;
    config.tickets_lifetime_seconds = -1;
    EXPECT_TRUE(config.Validate().IsInvalid());
    config.tickets_lifetime_seconds = 0;  // never expire
    EXPECT_TRUE(config.Validate().ok());
  }
  {
    ServerConfig config;
    config.max_batch_bytes = 1023;
    EXPECT_TRUE(config.Validate().IsInvalid());
    config.max_batch_bytes = 1024;
    EXPECT_TRUE(config.Validate().ok());
  }
  {
    ServerConfig config;
    config.max_command_bytes = 10;
    EXPECT_TRUE(config.Validate().IsInvalid());
  }
  {
    ServerConfig config;
    config.shutdown_grace_seconds = -1;
    EXPECT_TRUE(config.Validate().IsInvalid());
  }
  {
    ServerConfig config;
    config.host = "";
    EXPECT_TRUE(config.Validate().IsInvalid());
  }
  {
    ServerConfig config;
    config.database = "";
    EXPECT_TRUE(config.Validate().IsInvalid());
  }
}

// ---------------------------------------------------------------------------------------------
// ListensOnLoopbackOnly

TEST(ListensOnLoopbackOnlyTest, Hosts) {
  ServerConfig config;
  for (const char* host : {"127.0.0.1", "127.0.1.1", "127.255.255.254", "localhost", "::1"}) {
    config.host = host;
    EXPECT_TRUE(config.ListensOnLoopbackOnly()) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", "1.127.0.0",
                           "127.example.com"}) {
    config.host = host;
    EXPECT_FALSE(config.ListensOnLoopbackOnly()) << host;
  }
}

// ---------------------------------------------------------------------------------------------
// Describe

TEST(DescribeTest, MentionsSettingsButNoSecrets) {
  ServerConfig config;
  const std::string password = "Sup3rS3cretPassw0rd";
  const std::string yaml =
      "host: 0.0.0.0\nport: 7777\nusers:\n  - name: alice\n    password: " + password +
      "\n  - name: bob\n    password_sha256: " + kAbcSha256 + "\n";
  ASSERT_TRUE(ApplyYamlText(yaml, &config).ok());
  const std::string text = config.Describe();
  EXPECT_TRUE(Contains(text, "host=0.0.0.0")) << text;
  EXPECT_TRUE(Contains(text, "port=7777")) << text;
  EXPECT_TRUE(Contains(text, "alice")) << text;
  EXPECT_TRUE(Contains(text, "bob")) << text;
  EXPECT_FALSE(Contains(text, password)) << text;
  EXPECT_FALSE(Contains(text, Sha256Hex(password))) << text;
  EXPECT_FALSE(Contains(text, kAbcSha256)) << text;
  // Not even a prefix of a digest.
  EXPECT_FALSE(Contains(text, Sha256Hex(password).substr(0, 12))) << text;
  EXPECT_FALSE(Contains(text, std::string(kAbcSha256).substr(0, 12))) << text;
  EXPECT_FALSE(Contains(text, "\n")) << text;
}

TEST(DescribeTest, AnonymousAccessIsMentioned) {
  ServerConfig config;
  const std::string text = config.Describe();
  EXPECT_TRUE(Contains(text, "anonymous")) << text;
  EXPECT_TRUE(Contains(text, "'default'")) << text;
}

// ---------------------------------------------------------------------------------------------
// flight_connections

constexpr const char* kFlightConnections = R"(
flight_connections:
  - name: warehouse
    location: grpc+tls://flight.example.com:443
    user: etl
    password: "Flight-Secret-9"
    tls_root_certs_file: /etc/quiver/ca.pem
    tls_skip_verify: true
  - name: local
    location: grpc://127.0.0.1:9091
)";

TEST(FlightConnectionsTest, AllKeysAreRead) {
  ServerConfig config;
  ASSERT_TRUE(ApplyYamlText(kFlightConnections, &config).ok());
  ASSERT_EQ(config.flight_connections.size(), 2u);
  const auto& warehouse = config.flight_connections[0];
  EXPECT_EQ(warehouse.name, "warehouse");
  EXPECT_EQ(warehouse.location, "grpc+tls://flight.example.com:443");
  EXPECT_EQ(warehouse.user, "etl");
  EXPECT_EQ(warehouse.password, "Flight-Secret-9");
  EXPECT_EQ(warehouse.tls_root_certs_file, "/etc/quiver/ca.pem");
  EXPECT_TRUE(warehouse.tls_skip_verify);
  const auto& local = config.flight_connections[1];
  EXPECT_EQ(local.location, "grpc://127.0.0.1:9091");
  EXPECT_TRUE(local.user.empty());
  EXPECT_FALSE(local.tls_skip_verify);
  EXPECT_TRUE(config.Validate().ok()) << config.Validate().ToString();
}

TEST(FlightConnectionsTest, UnknownAndMissingKeysAreNamed) {
  ServerConfig config;
  auto status = ApplyYamlText(
      "flight_connections:\n  - name: a\n    location: grpc://h:1\n    passwd: x\n", &config);
  EXPECT_TRUE(Contains(status.message(), "unknown config key 'flight_connections[0].passwd'"))
      << status.ToString();
  status = ApplyYamlText("flight_connections:\n  - location: grpc://h:1\n", &config);
  EXPECT_TRUE(Contains(status.message(), "'flight_connections[0].name' is missing"))
      << status.ToString();
  status = ApplyYamlText("flight_connections:\n  - name: a\n", &config);
  EXPECT_TRUE(Contains(status.message(), "'flight_connections[0].location' is missing"))
      << status.ToString();
  status = ApplyYamlText("flight_connections: grpc://h:1\n", &config);
  EXPECT_TRUE(Contains(status.message(), "'flight_connections' must be a list"))
      << status.ToString();
  status = ApplyYamlText(
      "flight_connections:\n  - name: a\n    location: grpc://h:1\n    tls_skip_verify: maybe\n",
      &config);
  EXPECT_TRUE(Contains(status.message(), "'flight_connections[0].tls_skip_verify'"))
      << status.ToString();
}

TEST(FlightConnectionsTest, ValidateChecksNamesLocationsAndTls) {
  auto invalid = [](const std::string& yaml) {
    ServerConfig config;
    EXPECT_TRUE(ApplyYamlText(yaml, &config).ok()) << yaml;
    return config.Validate().message();
  };
  EXPECT_TRUE(Contains(invalid("flight_connections:\n  - {name: a, location: 'h:1'}\n"),
                       "expected grpc://host:port"));
  EXPECT_TRUE(
      Contains(invalid("flight_connections:\n  - {name: 'grpc://x', location: 'grpc://h:1'}\n"),
               "must not contain '://'"));
  EXPECT_TRUE(Contains(invalid("flight_connections:\n  - {name: a, location: 'grpc://h:1', "
                               "tls_skip_verify: true}\n"),
                       "not grpc+tls://"));
  EXPECT_TRUE(
      Contains(invalid("flight_connections:\n  - {name: a, location: 'grpc://h:1', password: x}\n"),
               "has a password but no user"));
  EXPECT_TRUE(Contains(invalid("flight_connections:\n  - {name: a, location: 'grpc://h:1'}\n"
                               "  - {name: a, location: 'grpc://h:2'}\n"),
                       "'a' is configured twice"));
}

TEST(FlightConnectionsTest, DescribeShowsLocationsButNoCredentials) {
  ServerConfig config;
  ASSERT_TRUE(ApplyYamlText(kFlightConnections, &config).ok());
  const std::string text = config.Describe();
  EXPECT_TRUE(Contains(text, "warehouse=grpc+tls://flight.example.com:443")) << text;
  EXPECT_TRUE(Contains(text, "local=grpc://127.0.0.1:9091")) << text;
  EXPECT_FALSE(Contains(text, "Flight-Secret-9")) << text;
  EXPECT_FALSE(Contains(text, "etl")) << text;
}

// ---------------------------------------------------------------------------------------------
// Limits and security

TEST(LimitsTest, KeysAreReadAndNegativeValuesNameTheKey) {
  ServerConfig config;
  const std::string yaml = R"(
max_concurrent_queries: 4
max_tickets_per_user: 50
query_timeout_seconds: 30
max_sessions: 200
max_put_bytes: 1048576
)";
  ASSERT_TRUE(ApplyYamlText(yaml, &config).ok());
  EXPECT_EQ(config.max_concurrent_queries, 4);
  EXPECT_EQ(config.max_tickets_per_user, 50);
  EXPECT_EQ(config.query_timeout_seconds, 30);
  EXPECT_EQ(config.max_sessions, 200);
  EXPECT_EQ(config.max_put_bytes, 1048576);
  EXPECT_TRUE(config.Validate().ok());
  for (const char* key : {"max_concurrent_queries", "max_tickets_per_user",
                          "query_timeout_seconds", "max_sessions", "max_put_bytes"}) {
    ServerConfig bad;
    ASSERT_TRUE(ApplyYamlText(std::string(key) + ": -1\n", &bad).ok()) << key;
    auto status = bad.Validate();
    ASSERT_TRUE(status.IsInvalid()) << key;
    EXPECT_TRUE(Contains(status.message(), key)) << status.message();
    ServerConfig zero;
    ASSERT_TRUE(ApplyYamlText(std::string(key) + ": 0\n", &zero).ok()) << key;
    EXPECT_TRUE(zero.Validate().ok()) << key;
  }
  auto status = ApplyYamlText("max_sessions: lots\n", &config);
  ASSERT_TRUE(status.IsInvalid());
  EXPECT_TRUE(Contains(status.message(), "max_sessions")) << status.message();
}

TEST(SecurityConfigTest, DefaultsFollowTheListeningAddress) {
  ServerConfig config;
  auto policy = config.EffectiveSecurity();
  EXPECT_TRUE(policy.allow_file_access);
  EXPECT_TRUE(policy.allow_attach);
  EXPECT_TRUE(policy.allow_extensions);
  config.host = "0.0.0.0";
  policy = config.EffectiveSecurity();
  EXPECT_FALSE(policy.allow_file_access);
  EXPECT_FALSE(policy.allow_attach);
  EXPECT_FALSE(policy.allow_extensions);
  // ATTACH and extensions follow allow_file_access unless set.
  config.security.allow_file_access = true;
  policy = config.EffectiveSecurity();
  EXPECT_TRUE(policy.allow_attach);
  EXPECT_TRUE(policy.allow_extensions);
  config.host = "127.0.0.1";
  config.security = {};
  config.security.allow_file_access = false;
  config.security.allow_extensions = true;
  policy = config.EffectiveSecurity();
  EXPECT_FALSE(policy.allow_file_access);
  EXPECT_FALSE(policy.allow_attach);
  EXPECT_TRUE(policy.allow_extensions);
}

TEST(SecurityConfigTest, YamlSectionAndErrors) {
  ServerConfig config;
  ASSERT_TRUE(ApplyYamlText("host: 0.0.0.0\nsecurity:\n  allow_file_access: true\n"
                            "  allow_attach: false\n",
                            &config)
                  .ok());
  const auto policy = config.EffectiveSecurity();
  EXPECT_TRUE(policy.allow_file_access);
  EXPECT_FALSE(policy.allow_attach);
  EXPECT_TRUE(policy.allow_extensions);
  EXPECT_TRUE(Contains(config.Describe(), "allow_attach=false")) << config.Describe();

  auto status = ApplyYamlText("security:\n  allow_everything: true\n", &config);
  ASSERT_TRUE(status.IsInvalid());
  EXPECT_TRUE(Contains(status.message(), "security.allow_everything")) << status.message();
  status = ApplyYamlText("security:\n  allow_attach: maybe\n", &config);
  ASSERT_TRUE(status.IsInvalid());
  EXPECT_TRUE(Contains(status.message(), "security.allow_attach")) << status.message();
  status = ApplyYamlText("security: true\n", &config);
  ASSERT_TRUE(status.IsInvalid());
  EXPECT_TRUE(Contains(status.message(), "'security' must be a mapping")) << status.message();
}

}  // namespace
}  // namespace quiver
