#include "destination/spec.h"

#include <limits>
#include <nlohmann/json.hpp>

namespace quiver::destination {
namespace {

using nlohmann::json;

std::string TypeName(const json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "boolean";
  if (value.is_number_integer()) return "integer";
  if (value.is_number()) return "number";
  if (value.is_string()) return "string";
  if (value.is_array()) return "array";
  return "object";
}

arrow::Status WrongType(const std::string& key, const char* expected, const json& value) {
  return arrow::Status::Invalid("spec key '", key, "' must be ", expected, " (got ",
                                TypeName(value), ")");
}

arrow::Status ReadString(const std::string& key, const json& value, std::string* out) {
  if (!value.is_string()) return WrongType(key, "a string", value);
  *out = value.get<std::string>();
  return arrow::Status::OK();
}

arrow::Status ReadBool(const std::string& key, const json& value, bool* out) {
  if (!value.is_boolean()) return WrongType(key, "a boolean", value);
  *out = value.get<bool>();
  return arrow::Status::OK();
}

// gRPC takes message limits as an int, so the largest accepted value is INT32_MAX.
arrow::Status ReadSize(const std::string& key, const json& value, int64_t* out) {
  int64_t size = 0;
  if (value.is_number_unsigned()) {
    if (value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
      return arrow::Status::Invalid("spec key '", key, "' must be at most 2147483647");
    }
    size = static_cast<int64_t>(value.get<uint64_t>());
  } else if (value.is_number_integer()) {
    size = value.get<int64_t>();
  } else if (value.is_number_float() &&
             value.get<double>() == static_cast<int64_t>(value.get<double>())) {
    // YAML-to-JSON conversion may turn 4194304 into 4194304.0.
    size = static_cast<int64_t>(value.get<double>());
    if (size > std::numeric_limits<int32_t>::max()) {
      return arrow::Status::Invalid("spec key '", key, "' must be at most 2147483647");
    }
  } else {
    return WrongType(key, "an integer", value);
  }
  if (size < 1) return arrow::Status::Invalid("spec key '", key, "' must be at least 1");
  *out = size;
  return arrow::Status::OK();
}

}  // namespace

arrow::Result<Spec> ParseSpec(std::string_view json_text, bool require_addr) {
  json root;
  try {
    root = json::parse(json_text.begin(), json_text.end());
  } catch (const json::parse_error& e) {
    return arrow::Status::Invalid("spec is not valid JSON: ", e.what());
  }
  Spec spec;
  if (!root.is_null()) {
    if (!root.is_object()) {
      return arrow::Status::Invalid("spec must be a JSON object (got ", TypeName(root), ")");
    }
    for (const auto& [key, value] : root.items()) {
      if (key == "addr") {
        ARROW_RETURN_NOT_OK(ReadString(key, value, &spec.addr));
      } else if (key == "handshake") {
        ARROW_RETURN_NOT_OK(ReadString(key, value, &spec.handshake));
      } else if (key == "token") {
        ARROW_RETURN_NOT_OK(ReadString(key, value, &spec.token));
      } else if (key == "max_call_recv_msg_size") {
        ARROW_RETURN_NOT_OK(ReadSize(key, value, &spec.max_call_recv_msg_size));
      } else if (key == "max_call_send_msg_size") {
        ARROW_RETURN_NOT_OK(ReadSize(key, value, &spec.max_call_send_msg_size));
      } else if (key == "tls_enabled") {
        ARROW_RETURN_NOT_OK(ReadBool(key, value, &spec.tls_enabled));
      } else if (key == "tls_server_name") {
        ARROW_RETURN_NOT_OK(ReadString(key, value, &spec.tls_server_name));
      } else if (key == "tls_insecure_skip_verify") {
        ARROW_RETURN_NOT_OK(ReadBool(key, value, &spec.tls_insecure_skip_verify));
      } else {
        return arrow::Status::Invalid("unknown spec key '", key, "'");
      }
    }
  }
  if (require_addr && spec.addr.empty()) {
    return arrow::Status::Invalid("spec key 'addr' is required");
  }
  return spec;
}

const std::string& SpecJsonSchema() {
  static const std::string kSchema = R"({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Quiver arrowflight destination spec",
  "type": "object",
  "properties": {
    "addr": {"type": "string", "minLength": 1, "description": "host:port of the Arrow Flight service.", "examples": ["localhost:9090"]},
    "handshake": {"type": "string", "description": "Payload of a Flight Handshake at connect; its answer replaces token."},
    "token": {"type": "string", "description": "Token sent as the auth-token-bin header on every call."},
    "max_call_recv_msg_size": {"type": "integer", "minimum": 1, "maximum": 2147483647, "default": 4194304, "description": "Largest message in bytes the plugin accepts from the service."},
    "max_call_send_msg_size": {"type": "integer", "minimum": 1, "maximum": 2147483647, "default": 2147483647, "description": "Largest message in bytes the plugin sends; larger records are split."},
    "tls_enabled": {"type": "boolean", "default": false, "description": "Connect with TLS (system root certificates)."},
    "tls_server_name": {"type": "string", "description": "Server name checked against the certificate."},
    "tls_insecure_skip_verify": {"type": "boolean", "default": false, "description": "Accept any server certificate (testing only)."}
  },
  "required": ["addr"],
  "additionalProperties": false
})";
  return kSchema;
}

}  // namespace quiver::destination
