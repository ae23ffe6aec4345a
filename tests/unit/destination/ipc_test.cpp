#include "destination/ipc.h"

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/util/key_value_metadata.h>
#include <gtest/gtest.h>

namespace quiver::destination {
namespace {

std::shared_ptr<arrow::Schema> CqSchema(const std::string& table) {
  auto uuid =
      arrow::field("_cq_id", arrow::fixed_size_binary(16), false,
                   arrow::key_value_metadata(
                       {"ARROW:extension:name", "ARROW:extension:metadata", "cq:extension:unique"},
                       {"uuid", "uuid-serialized", "true"}));
  return arrow::schema({uuid, arrow::field("name", arrow::utf8())},
                       arrow::key_value_metadata({"cq:table_name"}, {table}));
}

std::shared_ptr<arrow::RecordBatch> Batch(int64_t rows, int64_t text_bytes = 8) {
  arrow::FixedSizeBinaryBuilder ids(arrow::fixed_size_binary(16));
  arrow::StringBuilder names;
  for (int64_t i = 0; i < rows; ++i) {
    std::string id(16, static_cast<char>(i));
    EXPECT_TRUE(ids.Append(id).ok());
    EXPECT_TRUE(names.Append(std::string(text_bytes, 'a' + i % 26)).ok());
  }
  return arrow::RecordBatch::Make(CqSchema("items"), rows,
                                  {ids.Finish().ValueOrDie(), names.Finish().ValueOrDie()});
}

TEST(IpcTest, SchemaBytesRoundTripWithCloudQueryMetadata) {
  auto bytes = SchemaToBytes(*CqSchema("items"));
  ASSERT_TRUE(bytes.ok());
  // An IPC stream: continuation marker first, end-of-stream marker last.
  EXPECT_EQ(bytes->substr(0, 4), std::string("\xff\xff\xff\xff", 4));
  EXPECT_EQ(bytes->substr(bytes->size() - 8), std::string("\xff\xff\xff\xff\0\0\0\0", 8));
  auto schema = ReadSchemaBytes(arrow::Buffer::FromString(*bytes));
  ASSERT_TRUE(schema.ok());
  EXPECT_TRUE((*schema)->Equals(*CqSchema("items"), /*check_metadata=*/true));
  EXPECT_EQ(*TableName(**schema), "items");
}

TEST(IpcTest, RecordBytesRoundTripWithoutCopying) {
  auto batch = Batch(5);
  auto bytes = RecordToBytes(*batch);
  ASSERT_TRUE(bytes.ok());
  auto buffer = arrow::Buffer::FromString(*bytes);
  auto read = ReadRecordBytes(buffer);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_TRUE((*read)->Equals(*batch, /*check_metadata=*/true));
  // The columns point into the message bytes: nothing was decoded or copied.
  const uint8_t* values = (*read)->column_data(1)->buffers[2]->data();
  EXPECT_GE(values, buffer->data());
  EXPECT_LT(values, buffer->data() + buffer->size());
}

TEST(IpcTest, MissingTableNameAndBadBytesAreErrors) {
  EXPECT_FALSE(TableName(*arrow::schema({arrow::field("a", arrow::int32())})).ok());
  EXPECT_TRUE(ReadRecordBytes(arrow::Buffer::FromString("junk")).status().IsInvalid());
  auto schema_only = SchemaToBytes(*CqSchema("t"));
  auto no_batch = ReadRecordBytes(arrow::Buffer::FromString(*schema_only));
  EXPECT_EQ(no_batch.status().message(), "the Arrow record holds no record batch");
}

TEST(IpcTest, SplitToFitKeepsEveryRowInOrder) {
  auto batch = Batch(1000, 100);
  const int64_t whole = *MessageSize(*batch);
  auto parts = SplitToFit(batch, whole / 5);
  ASSERT_TRUE(parts.ok());
  EXPECT_GE(parts->size(), 5u);
  int64_t rows = 0;
  for (const auto& part : *parts) {
    EXPECT_LE(*MessageSize(*part), whole / 5);
    EXPECT_TRUE(part->Equals(*batch->Slice(rows, part->num_rows())));
    rows += part->num_rows();
  }
  EXPECT_EQ(rows, 1000);
  auto unsplit = SplitToFit(batch, whole);
  ASSERT_EQ(unsplit->size(), 1u);
}

TEST(IpcTest, ARowLargerThanTheLimitIsAnErrorNotADrop) {
  auto batch = Batch(2, 100000);
  auto parts = SplitToFit(batch, 5000);
  ASSERT_FALSE(parts.ok());
  EXPECT_NE(parts.status().message().find("exceeds max_call_send_msg_size"), std::string::npos);
}

}  // namespace
}  // namespace quiver::destination
