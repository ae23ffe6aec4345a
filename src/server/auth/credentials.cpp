#include "server/auth/credentials.h"

#include <array>
#include <cctype>

namespace quiver::auth {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

std::optional<std::string> DecodeBase64(std::string_view text) {
  static const std::array<int, 256> kValues = [] {
    std::array<int, 256> values{};
    values.fill(-1);
    for (size_t i = 0; i < kAlphabet.size(); ++i) {
      values[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
    }
    return values;
  }();
  size_t padding = 0;
  while (!text.empty() && text.back() == '=' && padding < 2) {
    text.remove_suffix(1);
    ++padding;
  }
  if (text.size() % 4 == 1) return std::nullopt;
  if (padding > 0 && (text.size() + padding) % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int value = kValues[static_cast<unsigned char>(c)];
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

arrow::Result<Credentials> ParseAuthorization(const std::optional<std::string_view>& header) {
  if (!header.has_value()) return NoCredentials{};
  const std::string_view value = Trim(*header);
  if (StartsWithIgnoreCase(value, "Basic ")) {
    auto decoded = DecodeBase64(Trim(value.substr(6)));
    if (!decoded) return arrow::Status::Invalid("Cannot decode the Base64-encoded credentials");
    const size_t colon = decoded->find(':');
    if (colon == std::string::npos) {
      return arrow::Status::Invalid("Malformed credentials in the 'authorization' header");
    }
    return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
  }
  if (StartsWithIgnoreCase(value, "Bearer ")) {
    const std::string_view token = Trim(value.substr(7));
    if (token.empty()) return arrow::Status::Invalid("Bearer token expired or not authenticated");
    return BearerToken{std::string(token)};
  }
  return arrow::Status::Invalid("Unsupported 'authorization' header");
}

}  // namespace quiver::auth
