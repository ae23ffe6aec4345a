// The gRPC services the CloudQuery CLI talks to: discovery v1 (which protocol versions we speak:
// 3) and plugin protocol v3, implemented for a destination.
#pragma once

#include <memory>

#include "cloudquery/discovery/v1/discovery.grpc.pb.h"
#include "cloudquery/plugin/v3/plugin.grpc.pb.h"
#include "destination/destination.h"

namespace quiver::destination {

// The name the CLI and sync summaries show: a drop-in for the Go `arrowflight` plugin.
inline constexpr const char* kPluginName = "arrowflight";
inline constexpr const char* kPluginVersion = "v0.1.0";

class DiscoveryService final : public cloudquery::discovery::v1::Discovery::Service {
 public:
  grpc::Status GetVersions(grpc::ServerContext* context,
                           const cloudquery::discovery::v1::GetVersions::Request* request,
                           cloudquery::discovery::v1::GetVersions::Response* response) override;
};

class PluginService final : public cloudquery::plugin::v3::Plugin::Service {
 public:
  explicit PluginService(std::shared_ptr<Destination> destination)
      : destination_(std::move(destination)) {}

  grpc::Status GetName(grpc::ServerContext*, const cloudquery::plugin::v3::GetName::Request*,
                       cloudquery::plugin::v3::GetName::Response* response) override;
  grpc::Status GetVersion(grpc::ServerContext*, const cloudquery::plugin::v3::GetVersion::Request*,
                          cloudquery::plugin::v3::GetVersion::Response* response) override;
  grpc::Status GetSpecSchema(grpc::ServerContext*,
                             const cloudquery::plugin::v3::GetSpecSchema::Request*,
                             cloudquery::plugin::v3::GetSpecSchema::Response* response) override;
  grpc::Status Init(grpc::ServerContext*, const cloudquery::plugin::v3::Init::Request* request,
                    cloudquery::plugin::v3::Init::Response*) override;
  grpc::Status GetTables(grpc::ServerContext*, const cloudquery::plugin::v3::GetTables::Request*,
                         cloudquery::plugin::v3::GetTables::Response*) override;
  grpc::Status Sync(grpc::ServerContext*, const cloudquery::plugin::v3::Sync::Request*,
                    grpc::ServerWriter<cloudquery::plugin::v3::Sync::Response>*) override;
  grpc::Status Read(grpc::ServerContext* context,
                    const cloudquery::plugin::v3::Read::Request* request,
                    grpc::ServerWriter<cloudquery::plugin::v3::Read::Response>* writer) override;
  grpc::Status Write(grpc::ServerContext* context,
                     grpc::ServerReader<cloudquery::plugin::v3::Write::Request>* reader,
                     cloudquery::plugin::v3::Write::Response*) override;
  grpc::Status Transform(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<cloudquery::plugin::v3::Transform::Response,
                               cloudquery::plugin::v3::Transform::Request>*) override;
  grpc::Status TransformSchema(grpc::ServerContext*,
                               const cloudquery::plugin::v3::TransformSchema::Request*,
                               cloudquery::plugin::v3::TransformSchema::Response*) override;
  grpc::Status Close(grpc::ServerContext*, const cloudquery::plugin::v3::Close::Request*,
                     cloudquery::plugin::v3::Close::Response*) override;
  grpc::Status TestConnection(grpc::ServerContext*,
                              const cloudquery::plugin::v3::TestConnection::Request* request,
                              cloudquery::plugin::v3::TestConnection::Response* response) override;

 private:
  std::shared_ptr<Destination> destination_;
};

}  // namespace quiver::destination
