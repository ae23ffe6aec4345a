#include "destination/spec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace quiver::destination {
namespace {

TEST(SpecTest, DefaultsMatchTheDocumentedOnes) {
  auto spec = ParseSpec(R"({"addr": "localhost:9090"})");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->addr, "localhost:9090");
  EXPECT_EQ(spec->max_call_recv_msg_size, 4194304);
  EXPECT_EQ(spec->max_call_send_msg_size, 2147483647);
  EXPECT_FALSE(spec->tls_enabled);
  EXPECT_FALSE(spec->tls_insecure_skip_verify);
  EXPECT_TRUE(spec->handshake.empty());
  EXPECT_TRUE(spec->token.empty());
}

TEST(SpecTest, ReadsEveryKey) {
  auto spec = ParseSpec(R"({"addr": "h:1", "handshake": "hs", "token": "t",
    "max_call_recv_msg_size": 100, "max_call_send_msg_size": 200, "tls_enabled": true,
    "tls_server_name": "quiver.example", "tls_insecure_skip_verify": true})");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->handshake, "hs");
  EXPECT_EQ(spec->token, "t");
  EXPECT_EQ(spec->max_call_recv_msg_size, 100);
  EXPECT_EQ(spec->max_call_send_msg_size, 200);
  EXPECT_TRUE(spec->tls_enabled);
  EXPECT_EQ(spec->tls_server_name, "quiver.example");
  EXPECT_TRUE(spec->tls_insecure_skip_verify);
}

TEST(SpecTest, AddrIsRequired) {
  for (const char* text : {"{}", R"({"addr": ""})", "null"}) {
    auto spec = ParseSpec(text);
    ASSERT_FALSE(spec.ok()) << text;
    EXPECT_NE(spec.status().message().find("'addr' is required"), std::string::npos) << text;
  }
}

TEST(SpecTest, NullSpecIsAcceptedWithoutConnection) {
  auto spec = ParseSpec("null", /*require_addr=*/false);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_TRUE(spec->addr.empty());
}

TEST(SpecTest, WrongTypesNameTheKey) {
  struct Case {
    const char* json;
    const char* message;
  };
  for (const auto& c : std::vector<Case>{
           {R"({"addr": 123})", "spec key 'addr' must be a string (got integer)"},
           {R"({"addr": null})", "spec key 'addr' must be a string (got null)"},
           {R"({"addr": "a", "tls_enabled": "yes"})", "spec key 'tls_enabled' must be a boolean"},
           {R"({"addr": "a", "max_call_recv_msg_size": "4MB"})",
            "spec key 'max_call_recv_msg_size' must be an integer (got string)"},
           {R"({"addr": "a", "max_call_send_msg_size": 1.5})",
            "spec key 'max_call_send_msg_size' must be an integer (got number)"},
           {R"({"addr": "a", "max_call_send_msg_size": 0})",
            "spec key 'max_call_send_msg_size' must be at least 1"},
           {R"({"addr": "a", "max_call_recv_msg_size": 2147483648})",
            "spec key 'max_call_recv_msg_size' must be at most 2147483647"},
           {R"({"addr": "a", "handshake": ["x"]})",
            "spec key 'handshake' must be a string (got array)"},
       }) {
    auto spec = ParseSpec(c.json);
    ASSERT_FALSE(spec.ok()) << c.json;
    EXPECT_TRUE(spec.status().IsInvalid());
    EXPECT_NE(spec.status().message().find(c.message), std::string::npos)
        << c.json << " -> " << spec.status().message();
  }
}

TEST(SpecTest, UnknownKeysAreRejectedByName) {
  auto spec = ParseSpec(R"({"addr": "a", "batch_size": 10000})");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message(), "unknown spec key 'batch_size'");
}

TEST(SpecTest, IntegralFloatsFromYamlAreAccepted) {
  auto spec = ParseSpec(R"({"addr": "a", "max_call_recv_msg_size": 8388608.0})");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->max_call_recv_msg_size, 8388608);
}

TEST(SpecTest, InvalidJsonAndNonObjects) {
  EXPECT_NE(ParseSpec("invalid").status().message().find("spec is not valid JSON"),
            std::string::npos);
  EXPECT_EQ(ParseSpec("[1]").status().message(), "spec must be a JSON object (got array)");
}

TEST(SpecTest, JsonSchemaDescribesExactlyTheKeys) {
  auto schema = nlohmann::json::parse(SpecJsonSchema());
  EXPECT_EQ(schema["additionalProperties"], false);
  EXPECT_EQ(schema["required"], nlohmann::json::array({"addr"}));
  std::vector<std::string> keys;
  for (const auto& [key, value] : schema["properties"].items()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "addr", "handshake", "max_call_recv_msg_size", "max_call_send_msg_size",
                      "tls_enabled", "tls_insecure_skip_verify", "tls_server_name", "token"}));
  EXPECT_EQ(schema["properties"]["max_call_recv_msg_size"]["default"], 4194304);
}

}  // namespace
}  // namespace quiver::destination
