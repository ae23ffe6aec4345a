#include "server/flight_sql/envelope.h"

namespace quiver::flight_sql {

std::optional<google::protobuf::Any> ParseFlightSqlAny(std::string_view bytes) {
  google::protobuf::Any any;
  if (bytes.empty() || !any.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return std::nullopt;
  }
  const std::string& url = any.type_url();
  const size_t slash = url.rfind('/');
  if (slash == std::string::npos || url.compare(slash + 1, kPackage.size(), kPackage) != 0) {
    return std::nullopt;
  }
  return any;
}

std::string MessageName(const google::protobuf::Any& any) {
  const std::string& url = any.type_url();
  const size_t slash = url.rfind('/');
  return url.substr(slash == std::string::npos ? 0 : slash + 1 + kPackage.size());
}

std::string Pack(const google::protobuf::Message& message) {
  google::protobuf::Any any;
  any.PackFrom(message);
  return any.SerializeAsString();
}

}  // namespace quiver::flight_sql
