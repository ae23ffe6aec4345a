// The wire encoding of our own plugin-v3 / discovery-v1 protos, checked against hand-written
// bytes made from the published field numbers (a wrong number in a .proto fails here).
#include <gtest/gtest.h>

#include "cloudquery/discovery/v1/discovery.pb.h"
#include "cloudquery/plugin/v3/plugin.pb.h"

namespace {

namespace pb = cloudquery::plugin::v3;

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

TEST(MessagesTest, DiscoveryVersionsArePacked) {
  cloudquery::discovery::v1::GetVersions::Response response;
  response.add_versions(3);
  // field 1, wire type 2 (packed), length 1, varint 3
  EXPECT_EQ(response.SerializeAsString(), Bytes({0x0a, 0x01, 0x03}));
}

TEST(MessagesTest, InitRequestFields) {
  pb::Init::Request request;
  request.set_spec("null");
  request.set_no_connection(true);
  request.set_invocation_id("i");
  EXPECT_EQ(request.SerializeAsString(),
            Bytes({0x0a, 4, 'n', 'u', 'l', 'l', 0x10, 0x01, 0x1a, 1, 'i'}));
}

TEST(MessagesTest, WriteRequestOneofNumbers) {
  pb::Write::Request migrate;
  migrate.mutable_migrate_table()->set_table("T");
  migrate.mutable_migrate_table()->set_migrate_force(true);
  EXPECT_EQ(migrate.SerializeAsString(), Bytes({0x0a, 5, 0x0a, 1, 'T', 0x10, 1}));

  pb::Write::Request insert;
  insert.mutable_insert()->set_record("R");
  EXPECT_EQ(insert.SerializeAsString(), Bytes({0x12, 3, 0x0a, 1, 'R'}));

  pb::Write::Request stale;
  stale.mutable_delete_()->set_source_name("s");
  stale.mutable_delete_()->mutable_sync_time()->set_seconds(2);
  stale.mutable_delete_()->mutable_sync_time()->set_nanos(5);
  stale.mutable_delete_()->set_table_name("t");
  // source_name = 2, sync_time = 3 (Timestamp{seconds = 1, nanos = 2}), table_name = 4
  EXPECT_EQ(stale.SerializeAsString(),
            Bytes({0x1a, 12, 0x12, 1, 's', 0x1a, 4, 0x08, 2, 0x10, 5, 0x22, 1, 't'}));

  pb::Write::Request record;
  auto* delete_record = record.mutable_delete_record();
  delete_record->set_table_name("t");
  auto* group = delete_record->add_where_clause();
  group->set_grouping_type(pb::PredicatesGroup::OR);
  auto* predicate = group->add_predicates();
  predicate->set_column("c");
  predicate->set_record("R");
  auto* relation = delete_record->add_table_relations();
  relation->set_table_name("child");
  relation->set_parent_table("t");
  std::string expected_predicate = Bytes({0x12, 1, 'c', 0x1a, 1, 'R'});  // EQ = 0 is not sent
  std::string expected_group = Bytes({0x08, 1, 0x12, 6}) + expected_predicate;
  std::string expected_relation = Bytes({0x0a, 5, 'c', 'h', 'i', 'l', 'd', 0x12, 1, 't'});
  std::string expected_body =
      Bytes({0x0a, 1, 't', 0x12, 10}) + expected_group + Bytes({0x1a, 10}) + expected_relation;
  EXPECT_EQ(record.SerializeAsString(), Bytes({0x22, 27}) + expected_body);
}

TEST(MessagesTest, TestConnectionResponseAndReadMessages) {
  pb::TestConnection::Response response;
  response.set_success(false);
  response.set_failure_code("X");
  response.set_failure_description("d");
  EXPECT_EQ(response.SerializeAsString(), Bytes({0x12, 1, 'X', 0x1a, 1, 'd'}));
  pb::Read::Request read;
  read.set_table("S");
  EXPECT_EQ(read.SerializeAsString(), Bytes({0x0a, 1, 'S'}));
  pb::GetSpecSchema::Response schema;
  schema.set_json_schema("");  // optional: present even when empty
  EXPECT_EQ(schema.SerializeAsString(), Bytes({0x0a, 0}));
}

TEST(MessagesTest, SyncResponseNumbersForSources) {
  pb::Sync::Response response;
  response.mutable_error()->set_table_name("t");
  response.mutable_error()->set_error("e");
  EXPECT_EQ(response.SerializeAsString(), Bytes({0x22, 6, 0x0a, 1, 't', 0x12, 1, 'e'}));
}

}  // namespace
