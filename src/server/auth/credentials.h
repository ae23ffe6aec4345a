// Decoding the `authorization` request header: Basic (user:password) or Bearer (token).
#pragma once

#include <arrow/result.h>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace quiver::auth {

struct NoCredentials {};
struct BasicCredentials {
  std::string user;
  std::string password;
};
struct BearerToken {
  std::string token;
};
using Credentials = std::variant<NoCredentials, BasicCredentials, BearerToken>;

// Standard base64; missing '=' padding is accepted (Go and ADBC clients send it unpadded).
std::optional<std::string> DecodeBase64(std::string_view text);

// Parses the header value (nullopt = no header). Errors carry the text clients match on:
// "Cannot decode the Base64-encoded credentials", "Malformed credentials in the 'authorization'
// header", "Unsupported 'authorization' header".
arrow::Result<Credentials> ParseAuthorization(const std::optional<std::string_view>& header);

}  // namespace quiver::auth
