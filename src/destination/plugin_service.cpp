#include "destination/plugin_service.h"

#include <spdlog/spdlog.h>

namespace quiver::destination {
namespace pb = cloudquery::plugin::v3;

namespace {

// The Go SDK answers failed Init/Write/Read with INTERNAL and these prefixes; the CLI prints them.
grpc::Status Internal(const std::string& prefix, const arrow::Status& status) {
  spdlog::error("{}: {}", prefix, status.message());
  return grpc::Status(grpc::StatusCode::INTERNAL, prefix + ": " + status.message());
}

}  // namespace

grpc::Status DiscoveryService::GetVersions(
    grpc::ServerContext*, const cloudquery::discovery::v1::GetVersions::Request*,
    cloudquery::discovery::v1::GetVersions::Response* response) {
  response->add_versions(3);
  return grpc::Status::OK;
}

grpc::Status PluginService::GetName(grpc::ServerContext*, const pb::GetName::Request*,
                                    pb::GetName::Response* response) {
  response->set_name(kPluginName);
  return grpc::Status::OK;
}

grpc::Status PluginService::GetVersion(grpc::ServerContext*, const pb::GetVersion::Request*,
                                       pb::GetVersion::Response* response) {
  response->set_version(kPluginVersion);
  return grpc::Status::OK;
}

grpc::Status PluginService::GetSpecSchema(grpc::ServerContext*, const pb::GetSpecSchema::Request*,
                                          pb::GetSpecSchema::Response* response) {
  response->set_json_schema(SpecJsonSchema());
  return grpc::Status::OK;
}

grpc::Status PluginService::Init(grpc::ServerContext*, const pb::Init::Request* request,
                                 pb::Init::Response*) {
  // An absent spec is the same as the `null` the CLI sends for an empty one.
  const std::string spec = request->spec().empty() ? "null" : request->spec();
  auto status = destination_->Init(spec, request->no_connection());
  if (!status.ok()) return Internal("failed to init plugin", status);
  spdlog::info("initialized (invocation {})", request->invocation_id());
  return grpc::Status::OK;
}

grpc::Status PluginService::GetTables(grpc::ServerContext*, const pb::GetTables::Request*,
                                      pb::GetTables::Response*) {
  return grpc::Status::OK;  // a destination has no tables of its own
}

grpc::Status PluginService::Sync(grpc::ServerContext*, const pb::Sync::Request*,
                                 grpc::ServerWriter<pb::Sync::Response>*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "Sync is not supported: this is a destination");
}

grpc::Status PluginService::Read(grpc::ServerContext* context, const pb::Read::Request* request,
                                 grpc::ServerWriter<pb::Read::Response>* writer) {
  auto status = destination_->Read(request->table(), [&](std::string record) -> arrow::Status {
    if (context->IsCancelled()) return arrow::Status::Cancelled("Read cancelled by the client");
    pb::Read::Response response;
    response.set_record(std::move(record));
    if (!writer->Write(response)) return arrow::Status::Cancelled("the client went away");
    return arrow::Status::OK();
  });
  if (!status.ok()) return Internal("read failed", status);
  return grpc::Status::OK;
}

grpc::Status PluginService::Write(grpc::ServerContext* context,
                                  grpc::ServerReader<pb::Write::Request>* reader,
                                  pb::Write::Response*) {
  auto lock = destination_->write_lock();
  pb::Write::Request request;
  arrow::Status status;
  int64_t messages = 0;
  while (status.ok() && reader->Read(&request)) {
    ++messages;
    switch (request.message_case()) {
      case pb::Write::Request::kMigrateTable:
        status = destination_->MigrateTable(request.migrate_table());
        break;
      case pb::Write::Request::kInsert:
        status = destination_->Insert(std::move(*request.mutable_insert()->mutable_record()));
        break;
      case pb::Write::Request::kDelete:
        status = destination_->DeleteStale(std::move(*request.mutable_delete_()));
        break;
      case pb::Write::Request::kDeleteRecord:
        status = destination_->DeleteRecord(request.delete_record());
        break;
      default:
        status = arrow::Status::Invalid("unhandled message type");
    }
    if (status.ok() && context->IsCancelled()) {
      status = arrow::Status::Cancelled("Write cancelled by the client");
    }
  }
  if (status.ok()) status = destination_->FinishWrite();
  if (!status.ok()) return Internal("write failed", status);
  spdlog::debug("Write done: {} messages", messages);
  return grpc::Status::OK;
}

grpc::Status PluginService::Transform(
    grpc::ServerContext*,
    grpc::ServerReaderWriter<pb::Transform::Response, pb::Transform::Request>*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "Transform is not supported: this is a destination");
}

grpc::Status PluginService::TransformSchema(grpc::ServerContext*,
                                            const pb::TransformSchema::Request*,
                                            pb::TransformSchema::Response*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "TransformSchema is not supported: this is a destination");
}

grpc::Status PluginService::Close(grpc::ServerContext*, const pb::Close::Request*,
                                  pb::Close::Response*) {
  auto status = destination_->Close();
  if (!status.ok()) return Internal("failed to close plugin", status);
  return grpc::Status::OK;
}

grpc::Status PluginService::TestConnection(grpc::ServerContext*,
                                           const pb::TestConnection::Request* request,
                                           pb::TestConnection::Response* response) {
  const std::string spec = request->spec().empty() ? "null" : request->spec();
  auto result = Destination::TestConnection(spec);
  response->set_success(result.success);
  response->set_failure_code(result.failure_code);
  response->set_failure_description(result.failure_description);
  if (!result.success) {
    spdlog::warn("connection test failed: {}: {}", result.failure_code, result.failure_description);
  }
  return grpc::Status::OK;
}

}  // namespace quiver::destination
