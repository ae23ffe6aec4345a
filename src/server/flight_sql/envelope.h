// The google.protobuf.Any envelope Flight SQL commands and action bodies travel in.
#pragma once

#include <google/protobuf/any.pb.h>
#include <google/protobuf/message.h>

#include <optional>
#include <string>
#include <string_view>

#include <arrow/result.h>

namespace quiver::flight_sql {

// Type URLs of Flight SQL messages start with this after the last '/'.
inline constexpr std::string_view kPackage = "arrow.flight.protocol.sql.";

// `bytes` as an Any holding a Flight SQL message; nullopt for anything else (raw SQL, ...).
std::optional<google::protobuf::Any> ParseFlightSqlAny(std::string_view bytes);

// The message name after the package, e.g. "CommandStatementQuery".
std::string MessageName(const google::protobuf::Any& any);

// The serialized Any wrapping `message`.
std::string Pack(const google::protobuf::Message& message);

// The message inside `any`; Invalid when it does not decode as T.
template <typename T>
arrow::Result<T> Unpack(const google::protobuf::Any& any) {
  T message;
  if (!any.UnpackTo(&message)) {
    return arrow::Status::Invalid("Could not deserialize ", T::descriptor()->name(), ".");
  }
  return message;
}

// Decodes an action body sent either Any-wrapped (standard clients) or as the bare message
// (ClickHouse's clients); `wrapped` tells which, so the reply can use the same form.
template <typename T>
arrow::Result<T> DecodeActionBody(std::string_view body, bool* wrapped) {
  T message;
  google::protobuf::Any any;
  if (any.ParseFromArray(body.data(), static_cast<int>(body.size())) && any.Is<T>() &&
      any.UnpackTo(&message)) {
    *wrapped = true;
    return message;
  }
  if (message.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    *wrapped = false;
    return message;
  }
  return arrow::Status::Invalid("Could not deserialize ", T::descriptor()->name(), ".");
}

}  // namespace quiver::flight_sql
