#include "common/config.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace quiver {
namespace {

template <typename T>
arrow::Result<T> ReadScalar(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) {
    return arrow::Status::Invalid("config key '", key, "' must be a scalar value");
  }
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    return arrow::Status::Invalid("config key '", key, "' has an invalid value '", node.Scalar(),
                                  "'");
  }
}

bool IsHexDigest(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

arrow::Result<UserConfig> ReadUser(const YAML::Node& node, size_t index) {
  const std::string where = "users[" + std::to_string(index) + "]";
  if (!node.IsMap()) return arrow::Status::Invalid("config key '", where, "' must be a mapping");
  UserConfig user;
  bool has_password = false;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      return arrow::Status::Invalid("config key '", where, "' has a key that is not a string");
    }
    const auto key = entry.first.as<std::string>();
    const auto path = where + "." + key;
    if (key == "name") {
      ARROW_ASSIGN_OR_RAISE(user.name, ReadScalar<std::string>(entry.second, path));
    } else if (key == "password") {
      ARROW_ASSIGN_OR_RAISE(auto password, ReadScalar<std::string>(entry.second, path));
      user.password_sha256 = Sha256Hex(password);
      has_password = true;
    } else if (key == "password_sha256") {
      ARROW_ASSIGN_OR_RAISE(auto digest, ReadScalar<std::string>(entry.second, path));
      if (!IsHexDigest(digest)) {
        return arrow::Status::Invalid("config key '", path, "' must be 64 hex digits");
      }
      std::transform(digest.begin(), digest.end(), digest.begin(), ::tolower);
      user.password_sha256 = digest;
      has_password = true;
    } else {
      return arrow::Status::Invalid("unknown config key '", path, "'");
    }
  }
  if (user.name.empty()) return arrow::Status::Invalid("config key '", where, ".name' is missing");
  if (!has_password) {
    return arrow::Status::Invalid("config key '", where, "' needs 'password' or 'password_sha256'");
  }
  return user;
}

arrow::Result<TokenConfig> ReadToken(const YAML::Node& node, size_t index) {
  const std::string where = "tokens[" + std::to_string(index) + "]";
  if (!node.IsMap()) return arrow::Status::Invalid("config key '", where, "' must be a mapping");
  TokenConfig token;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      return arrow::Status::Invalid("config key '", where, "' has a key that is not a string");
    }
    const auto key = entry.first.as<std::string>();
    const auto path = where + "." + key;
    if (key == "user") {
      ARROW_ASSIGN_OR_RAISE(token.user, ReadScalar<std::string>(entry.second, path));
    } else if (key == "token") {
      ARROW_ASSIGN_OR_RAISE(auto text, ReadScalar<std::string>(entry.second, path));
      if (text.empty()) return arrow::Status::Invalid("config key '", path, "' must not be empty");
      token.token_sha256 = Sha256Hex(text);
    } else if (key == "token_sha256") {
      ARROW_ASSIGN_OR_RAISE(auto digest, ReadScalar<std::string>(entry.second, path));
      if (!IsHexDigest(digest)) {
        return arrow::Status::Invalid("config key '", path, "' must be 64 hex digits");
      }
      std::transform(digest.begin(), digest.end(), digest.begin(), ::tolower);
      token.token_sha256 = digest;
    } else {
      return arrow::Status::Invalid("unknown config key '", path, "'");
    }
  }
  if (token.user.empty()) return arrow::Status::Invalid("config key '", where, ".user' is missing");
  if (token.token_sha256.empty()) {
    return arrow::Status::Invalid("config key '", where, "' needs 'token' or 'token_sha256'");
  }
  return token;
}

arrow::Result<FlightConnectionConfig> ReadFlightConnection(const YAML::Node& node, size_t index) {
  const std::string where = "flight_connections[" + std::to_string(index) + "]";
  if (!node.IsMap()) return arrow::Status::Invalid("config key '", where, "' must be a mapping");
  FlightConnectionConfig connection;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      return arrow::Status::Invalid("config key '", where, "' has a key that is not a string");
    }
    const auto key = entry.first.as<std::string>();
    const auto path = where + "." + key;
    if (key == "name") {
      ARROW_ASSIGN_OR_RAISE(connection.name, ReadScalar<std::string>(entry.second, path));
    } else if (key == "location") {
      ARROW_ASSIGN_OR_RAISE(connection.location, ReadScalar<std::string>(entry.second, path));
    } else if (key == "user") {
      ARROW_ASSIGN_OR_RAISE(connection.user, ReadScalar<std::string>(entry.second, path));
    } else if (key == "password") {
      ARROW_ASSIGN_OR_RAISE(connection.password, ReadScalar<std::string>(entry.second, path));
    } else if (key == "tls_root_certs_file") {
      ARROW_ASSIGN_OR_RAISE(connection.tls_root_certs_file,
                            ReadScalar<std::string>(entry.second, path));
    } else if (key == "tls_skip_verify") {
      ARROW_ASSIGN_OR_RAISE(connection.tls_skip_verify, ReadScalar<bool>(entry.second, path));
    } else {
      return arrow::Status::Invalid("unknown config key '", path, "'");
    }
  }
  if (connection.name.empty()) {
    return arrow::Status::Invalid("config key '", where, ".name' is missing");
  }
  if (connection.location.empty()) {
    return arrow::Status::Invalid("config key '", where, ".location' is missing");
  }
  return connection;
}

arrow::Status ReadTls(const YAML::Node& node, TlsConfig* tls) {
  if (!node.IsMap()) return arrow::Status::Invalid("config key 'tls' must be a mapping");
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      return arrow::Status::Invalid("config key 'tls' has a key that is not a string");
    }
    const auto key = entry.first.as<std::string>();
    const auto path = "tls." + key;
    if (key == "enabled") {
      ARROW_ASSIGN_OR_RAISE(tls->enabled, ReadScalar<bool>(entry.second, path));
    } else if (key == "cert_file") {
      ARROW_ASSIGN_OR_RAISE(tls->cert_file, ReadScalar<std::string>(entry.second, path));
    } else if (key == "key_file") {
      ARROW_ASSIGN_OR_RAISE(tls->key_file, ReadScalar<std::string>(entry.second, path));
    } else if (key == "client_ca_file") {
      ARROW_ASSIGN_OR_RAISE(tls->client_ca_file, ReadScalar<std::string>(entry.second, path));
    } else {
      return arrow::Status::Invalid("unknown config key '", path, "'");
    }
  }
  return arrow::Status::OK();
}

arrow::Status ReadSecurity(const YAML::Node& node, SecurityConfig* security) {
  if (!node.IsMap()) return arrow::Status::Invalid("config key 'security' must be a mapping");
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      return arrow::Status::Invalid("config key 'security' has a key that is not a string");
    }
    const auto key = entry.first.as<std::string>();
    const auto path = "security." + key;
    std::optional<bool>* target = key == "allow_file_access" ? &security->allow_file_access
                                  : key == "allow_attach"    ? &security->allow_attach
                                  : key == "allow_extensions" ? &security->allow_extensions
                                                              : nullptr;
    if (target == nullptr) return arrow::Status::Invalid("unknown config key '", path, "'");
    ARROW_ASSIGN_OR_RAISE(*target, ReadScalar<bool>(entry.second, path));
  }
  return arrow::Status::OK();
}

}  // namespace

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

arrow::Status ApplyYamlText(const std::string& yaml_text, ServerConfig* config) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return arrow::Status::Invalid("cannot parse YAML configuration: ", e.what());
  }
  if (root.IsNull()) return arrow::Status::OK();
  if (!root.IsMap()) return arrow::Status::Invalid("configuration must be a YAML mapping");

  for (const auto& entry : root) {
    if (!entry.first.IsScalar()) {
      return arrow::Status::Invalid("configuration has a key that is not a string");
    }
    const auto key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (key == "host") {
      ARROW_ASSIGN_OR_RAISE(config->host, ReadScalar<std::string>(value, key));
    } else if (key == "port") {
      ARROW_ASSIGN_OR_RAISE(config->port, ReadScalar<int>(value, key));
    } else if (key == "database") {
      ARROW_ASSIGN_OR_RAISE(config->database, ReadScalar<std::string>(value, key));
    } else if (key == "allow_anonymous") {
      ARROW_ASSIGN_OR_RAISE(config->allow_anonymous, ReadScalar<bool>(value, key));
    } else if (key == "tickets_lifetime_seconds") {
      ARROW_ASSIGN_OR_RAISE(config->tickets_lifetime_seconds, ReadScalar<int64_t>(value, key));
    } else if (key == "cancel_ticket_after_do_get") {
      ARROW_ASSIGN_OR_RAISE(config->cancel_ticket_after_do_get, ReadScalar<bool>(value, key));
    } else if (key == "tickets_memory_budget_bytes") {
      ARROW_ASSIGN_OR_RAISE(config->tickets_memory_budget_bytes, ReadScalar<int64_t>(value, key));
    } else if (key == "spill_directory") {
      ARROW_ASSIGN_OR_RAISE(config->spill_directory, ReadScalar<std::string>(value, key));
    } else if (key == "default_session_timeout") {
      ARROW_ASSIGN_OR_RAISE(config->default_session_timeout, ReadScalar<int64_t>(value, key));
    } else if (key == "max_session_timeout") {
      ARROW_ASSIGN_OR_RAISE(config->max_session_timeout, ReadScalar<int64_t>(value, key));
    } else if (key == "enable_arrow_close_session") {
      ARROW_ASSIGN_OR_RAISE(config->enable_arrow_close_session, ReadScalar<bool>(value, key));
    } else if (key == "poll_descriptors_lifetime_seconds") {
      ARROW_ASSIGN_OR_RAISE(config->poll_descriptors_lifetime_seconds,
                            ReadScalar<int64_t>(value, key));
    } else if (key == "cancel_flight_descriptor_after_poll_flight_info") {
      ARROW_ASSIGN_OR_RAISE(config->cancel_flight_descriptor_after_poll_flight_info,
                            ReadScalar<bool>(value, key));
    } else if (key == "tls") {
      ARROW_RETURN_NOT_OK(ReadTls(value, &config->tls));
    } else if (key == "max_prepared_statements_per_user") {
      ARROW_ASSIGN_OR_RAISE(config->max_prepared_statements_per_user,
                            ReadScalar<int64_t>(value, key));
    } else if (key == "prepared_statements_lifetime_seconds") {
      ARROW_ASSIGN_OR_RAISE(config->prepared_statements_lifetime_seconds,
                            ReadScalar<int64_t>(value, key));
    } else if (key == "max_batch_bytes") {
      ARROW_ASSIGN_OR_RAISE(config->max_batch_bytes, ReadScalar<int64_t>(value, key));
    } else if (key == "max_command_bytes") {
      ARROW_ASSIGN_OR_RAISE(config->max_command_bytes, ReadScalar<int64_t>(value, key));
    } else if (key == "shutdown_grace_seconds") {
      ARROW_ASSIGN_OR_RAISE(config->shutdown_grace_seconds, ReadScalar<int64_t>(value, key));
    } else if (key == "max_concurrent_queries") {
      ARROW_ASSIGN_OR_RAISE(config->max_concurrent_queries, ReadScalar<int64_t>(value, key));
    } else if (key == "max_tickets_per_user") {
      ARROW_ASSIGN_OR_RAISE(config->max_tickets_per_user, ReadScalar<int64_t>(value, key));
    } else if (key == "query_timeout_seconds") {
      ARROW_ASSIGN_OR_RAISE(config->query_timeout_seconds, ReadScalar<int64_t>(value, key));
    } else if (key == "max_sessions") {
      ARROW_ASSIGN_OR_RAISE(config->max_sessions, ReadScalar<int64_t>(value, key));
    } else if (key == "max_put_bytes") {
      ARROW_ASSIGN_OR_RAISE(config->max_put_bytes, ReadScalar<int64_t>(value, key));
    } else if (key == "security") {
      ARROW_RETURN_NOT_OK(ReadSecurity(value, &config->security));
    } else if (key == "users") {
      if (!value.IsSequence()) return arrow::Status::Invalid("config key 'users' must be a list");
      config->users.clear();
      for (size_t i = 0; i < value.size(); ++i) {
        ARROW_ASSIGN_OR_RAISE(auto user, ReadUser(value[i], i));
        config->users.push_back(std::move(user));
      }
    } else if (key == "tokens") {
      if (!value.IsSequence()) return arrow::Status::Invalid("config key 'tokens' must be a list");
      config->tokens.clear();
      for (size_t i = 0; i < value.size(); ++i) {
        ARROW_ASSIGN_OR_RAISE(auto token, ReadToken(value[i], i));
        config->tokens.push_back(std::move(token));
      }
    } else if (key == "flight_connections") {
      if (!value.IsSequence()) {
        return arrow::Status::Invalid("config key 'flight_connections' must be a list");
      }
      config->flight_connections.clear();
      for (size_t i = 0; i < value.size(); ++i) {
        ARROW_ASSIGN_OR_RAISE(auto connection, ReadFlightConnection(value[i], i));
        config->flight_connections.push_back(std::move(connection));
      }
    } else {
      return arrow::Status::Invalid("unknown config key '", key, "'");
    }
  }
  return arrow::Status::OK();
}

arrow::Status ApplyYamlFile(const std::string& path, ServerConfig* config) {
  std::ifstream in(path);
  if (!in) return arrow::Status::IOError("cannot read configuration file '", path, "'");
  std::stringstream text;
  text << in.rdbuf();
  auto status = ApplyYamlText(text.str(), config);
  if (!status.ok()) return status.WithMessage(path, ": ", status.message());
  return status;
}

bool ServerConfig::ListensOnLoopbackOnly() const {
  if (host == "localhost" || host == "::1") return true;
  // An IPv4 literal in 127.0.0.0/8 (not a name such as 127.example.com).
  return host.rfind("127.", 0) == 0 && std::all_of(host.begin(), host.end(), [](char c) {
           return c == '.' || std::isdigit(static_cast<unsigned char>(c));
         });
}

SecurityPolicy ServerConfig::EffectiveSecurity() const {
  SecurityPolicy policy;
  policy.allow_file_access = security.allow_file_access.value_or(ListensOnLoopbackOnly());
  policy.allow_attach = security.allow_attach.value_or(policy.allow_file_access);
  policy.allow_extensions = security.allow_extensions.value_or(policy.allow_file_access);
  return policy;
}

arrow::Status ServerConfig::Validate() const {
  if (port < 0 || port > 65535) return arrow::Status::Invalid("port must be in 0..65535");
  if (host.empty()) return arrow::Status::Invalid("host must not be empty");
  if (database.empty()) return arrow::Status::Invalid("database must not be empty");
  if (tickets_lifetime_seconds < 0) {
    return arrow::Status::Invalid("tickets_lifetime_seconds must be >= 0");
  }
  // Whether spill_directory is writable is checked when the server creates its subdirectory.
  if (tickets_memory_budget_bytes < 0) {
    return arrow::Status::Invalid("tickets_memory_budget_bytes must be >= 0");
  }
  if (default_session_timeout <= 0) {
    return arrow::Status::Invalid("default_session_timeout must be > 0");
  }
  if (poll_descriptors_lifetime_seconds < 0) {
    return arrow::Status::Invalid("poll_descriptors_lifetime_seconds must be >= 0");
  }
  if (tls.enabled && (tls.cert_file.empty() || tls.key_file.empty())) {
    return arrow::Status::Invalid("tls.enabled needs tls.cert_file and tls.key_file");
  }
  if (!tls.enabled && !tls.client_ca_file.empty()) {
    return arrow::Status::Invalid("tls.client_ca_file needs tls.enabled");
  }
  if (max_prepared_statements_per_user < 0) {
    return arrow::Status::Invalid("max_prepared_statements_per_user must be >= 0");
  }
  if (prepared_statements_lifetime_seconds < -1) {
    return arrow::Status::Invalid("prepared_statements_lifetime_seconds must be >= -1");
  }
  if (max_session_timeout < default_session_timeout) {
    return arrow::Status::Invalid("max_session_timeout must be >= default_session_timeout");
  }
  if (max_batch_bytes < 1024) return arrow::Status::Invalid("max_batch_bytes must be >= 1024");
  if (max_command_bytes < 1024) return arrow::Status::Invalid("max_command_bytes must be >= 1024");
  if (shutdown_grace_seconds < 0) {
    return arrow::Status::Invalid("shutdown_grace_seconds must be >= 0");
  }
  // Limits: 0 means unlimited, negative values are mistakes.
  for (const auto& [name, value] :
       {std::pair<const char*, int64_t>{"max_concurrent_queries", max_concurrent_queries},
        {"max_tickets_per_user", max_tickets_per_user},
        {"query_timeout_seconds", query_timeout_seconds},
        {"max_sessions", max_sessions},
        {"max_put_bytes", max_put_bytes}}) {
    if (value < 0) return arrow::Status::Invalid(name, " must be >= 0 (0 = unlimited)");
  }
  for (size_t i = 0; i < users.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (users[i].name == users[j].name) {
        return arrow::Status::Invalid("user '", users[i].name, "' is configured twice");
      }
    }
  }
  for (const auto& token : tokens) {
    // A token stands for a user that exists: one of `users`, or the implicit `default`.
    const bool known = users.empty() ? token.user == "default"
                                     : std::any_of(users.begin(), users.end(), [&](const auto& u) {
                                         return u.name == token.user;
                                       });
    if (!known) {
      return arrow::Status::Invalid("tokens: user '", token.user, "' is not a configured user");
    }
  }
  for (size_t i = 0; i < flight_connections.size(); ++i) {
    const auto& connection = flight_connections[i];
    // arrow_flight() treats a first argument with "://" as a location, anything else as a name.
    if (connection.name.find("://") != std::string::npos) {
      return arrow::Status::Invalid("flight connection name '", connection.name,
                                    "' must not contain '://'");
    }
    if (connection.location.find("://") == std::string::npos) {
      return arrow::Status::Invalid("flight connection '", connection.name, "' has location '",
                                    connection.location,
                                    "', expected grpc://host:port or grpc+tls://host:port");
    }
    const bool tls = connection.location.rfind("grpc+tls://", 0) == 0;
    if (!tls && (connection.tls_skip_verify || !connection.tls_root_certs_file.empty())) {
      return arrow::Status::Invalid("flight connection '", connection.name,
                                    "' sets TLS options but its location is not grpc+tls://");
    }
    if (connection.user.empty() && !connection.password.empty()) {
      return arrow::Status::Invalid("flight connection '", connection.name,
                                    "' has a password but no user");
    }
    for (size_t j = 0; j < i; ++j) {
      if (connection.name == flight_connections[j].name) {
        return arrow::Status::Invalid("flight connection '", connection.name,
                                      "' is configured twice");
      }
    }
  }
  if (users.empty() && !allow_anonymous && !ListensOnLoopbackOnly()) {
    return arrow::Status::Invalid(
        "refusing to serve without users on non-loopback host '", host,
        "': configure 'users' in the YAML file or pass --allow-anonymous");
  }
  return arrow::Status::OK();
}

std::string ServerConfig::Describe() const {
  std::ostringstream out;
  out << "host=" << host << " port=" << port << " database=" << database << " users=[";
  for (size_t i = 0; i < users.size(); ++i) out << (i ? "," : "") << users[i].name;
  out << "]" << (users.empty() ? " (anonymous access as 'default')" : "")
      << " tickets_lifetime_seconds=" << tickets_lifetime_seconds
      << " cancel_ticket_after_do_get=" << (cancel_ticket_after_do_get ? "true" : "false")
      << " tickets_memory_budget_bytes=" << tickets_memory_budget_bytes
      << " spill_directory=" << (spill_directory.empty() ? "(temporary)" : spill_directory)
      << " default_session_timeout=" << default_session_timeout
      << " max_session_timeout=" << max_session_timeout << " max_batch_bytes=" << max_batch_bytes
      << " tls=" << (tls.enabled ? "on" : "off")
      << (tls.client_ca_file.empty() ? "" : " (client certificates required)");
  // Names and locations only: users and passwords of remote services stay out of the log.
  out << " tokens=" << tokens.size();
  out << " flight_connections=[";
  for (size_t i = 0; i < flight_connections.size(); ++i) {
    out << (i ? "," : "") << flight_connections[i].name << "=" << flight_connections[i].location;
  }
  out << "]";
  out << " max_concurrent_queries=" << max_concurrent_queries
      << " max_tickets_per_user=" << max_tickets_per_user
      << " query_timeout_seconds=" << query_timeout_seconds << " max_sessions=" << max_sessions
      << " max_put_bytes=" << max_put_bytes;
  const SecurityPolicy policy = EffectiveSecurity();
  out << " security=[allow_file_access=" << (policy.allow_file_access ? "true" : "false")
      << ",allow_attach=" << (policy.allow_attach ? "true" : "false")
      << ",allow_extensions=" << (policy.allow_extensions ? "true" : "false") << "]";
  return out.str();
}

}  // namespace quiver
