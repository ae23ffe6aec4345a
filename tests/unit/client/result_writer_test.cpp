#include "client/result_writer.h"

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/reader.h>
#include <arrow/json/from_string.h>
#include <arrow/table.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>

#include <cmath>
#include <sstream>

#include "client/progress.h"

namespace quiver::client {
namespace {

// A batch from JSON rows written as arrays of values.
arrow::Result<std::shared_ptr<arrow::RecordBatch>> BatchFromJson(
    const std::shared_ptr<arrow::Schema>& schema, const std::string& rows) {
  ARROW_ASSIGN_OR_RAISE(auto structs,
                        arrow::json::ArrayFromJSONString(arrow::struct_(schema->fields()), rows));
  ARROW_ASSIGN_OR_RAISE(auto batch, arrow::RecordBatch::FromStructArray(structs));
  return batch->ReplaceSchema(schema);
}

std::shared_ptr<arrow::RecordBatch> SampleBatch() {
  auto schema = arrow::schema({
      arrow::field("id", arrow::int64()),
      arrow::field("name", arrow::utf8()),
      arrow::field("score", arrow::float64()),
      arrow::field("tags", arrow::list(arrow::utf8())),
      arrow::field("point", arrow::struct_({arrow::field("x", arrow::int32())})),
      arrow::field("at", arrow::timestamp(arrow::TimeUnit::SECOND)),
      arrow::field("price", arrow::decimal128(5, 2)),
      arrow::field("blob", arrow::binary()),
  });
  auto batch = BatchFromJson(schema, R"([
    [1, "plain", 1.5, ["a", "b"], {"x": 1}, 86400, "1.50", "\u0001\u007f"],
    [22, "needs, \"quotes\"\nhere", null, [], null, null, "-0.25", null],
    [null, "", 0.1, null, {"x": null}, 0, null, ""]
  ])");
  EXPECT_TRUE(batch.ok()) << batch.status().ToString();
  return *batch;
}

std::string Write(OutputFormat format, const std::shared_ptr<arrow::RecordBatch>& batch,
                  WriterOptions options = {}) {
  std::ostringstream text;
  auto sink = std::make_shared<OstreamOutputStream>(&text);
  auto writer = MakeResultWriter(format, batch->schema(), sink, options);
  EXPECT_TRUE(writer.ok()) << writer.status().ToString();
  EXPECT_TRUE((*writer)->Write(batch).ok());
  EXPECT_TRUE((*writer)->Finish().ok());
  return text.str();
}

TEST(ResultWriter, CsvQuotesWhenNeededAndLeavesNullsEmpty) {
  EXPECT_EQ(
      Write(OutputFormat::kCsv, SampleBatch()),
      "id,name,score,tags,point,at,price,blob\n"
      "1,plain,1.5,\"[\"\"a\"\", \"\"b\"\"]\",\"{\"\"x\"\": 1}\",1970-01-02 00:00:00,1.50,017f\n"
      "22,\"needs, \"\"quotes\"\"\nhere\",,[],,,-0.25,\n"
      ",\"\",0.1,,\"{\"\"x\"\": null}\",1970-01-01 00:00:00,,\"\"\n");
}

TEST(ResultWriter, JsonLinesHaveOneObjectPerRow) {
  EXPECT_EQ(Write(OutputFormat::kJsonLines, SampleBatch()),
            R"({"id":1,"name":"plain","score":1.5,"tags":["a","b"],"point":{"x":1},)"
            R"("at":"1970-01-02 00:00:00","price":1.50,"blob":"017f"})"
            "\n"
            R"({"id":22,"name":"needs, \"quotes\"\nhere","score":null,"tags":[],"point":null,)"
            R"("at":null,"price":-0.25,"blob":null})"
            "\n"
            R"({"id":null,"name":"","score":0.1,"tags":null,"point":{"x":null},)"
            R"("at":"1970-01-01 00:00:00","price":null,"blob":""})"
            "\n");
}

TEST(ResultWriter, TablesAlignColumnsAndRightAlignNumbers) {
  auto schema =
      arrow::schema({arrow::field("n", arrow::int32()), arrow::field("word", arrow::utf8()),
                     arrow::field("x", arrow::float64())});
  auto batch =
      *BatchFromJson(schema, R"([[1, "h\u00e9llo", 2.5], [100, null, null], [null, "a\tb", -1]])");
  EXPECT_EQ(Write(OutputFormat::kTable, batch),
            "    n | word  |    x\n"
            "------+-------+------\n"
            "    1 | héllo |  2.5\n"
            "  100 | NULL  | NULL\n"
            " NULL | a\\tb  |   -1\n"
            "(3 rows)\n");
}

TEST(ResultWriter, TablesCutLongCells) {
  auto schema = arrow::schema({arrow::field("s", arrow::utf8())});
  auto batch = *BatchFromJson(schema, R"([["abcdefghij"]])");
  WriterOptions options;
  options.max_cell_width = 4;
  options.row_count_footer = false;
  EXPECT_EQ(Write(OutputFormat::kTable, batch, options), " s\n-------\n abcd…\n");
}

TEST(ResultWriter, EmptyResultsStillHaveAHeader) {
  auto schema =
      arrow::schema({arrow::field("a", arrow::int32()), arrow::field("b", arrow::utf8())});
  auto batch = *BatchFromJson(schema, "[]");
  EXPECT_EQ(Write(OutputFormat::kCsv, batch), "a,b\n");
  EXPECT_EQ(Write(OutputFormat::kJsonLines, batch), "");
  EXPECT_EQ(Write(OutputFormat::kTable, batch), " a | b\n---+---\n(0 rows)\n");
}

TEST(ResultWriter, FloatsUseTheShortestTextAndJsonHasNoNaN) {
  arrow::DoubleBuilder builder;
  ASSERT_TRUE(builder.AppendValues({0.1, 1e20, std::nan(""), HUGE_VAL}).ok());
  auto schema = arrow::schema({arrow::field("f", arrow::float64())});
  auto batch = arrow::RecordBatch::Make(schema, 4, {*builder.Finish()});
  EXPECT_EQ(Write(OutputFormat::kCsv, batch), "f\n0.1\n1e+20\nNaN\ninf\n");
  EXPECT_EQ(Write(OutputFormat::kJsonLines, batch),
            "{\"f\":0.1}\n{\"f\":1e+20}\n{\"f\":null}\n{\"f\":null}\n");
}

TEST(ResultWriter, DictionariesAndMapsRenderTheirValues) {
  auto schema = arrow::schema({arrow::field("m", arrow::map(arrow::utf8(), arrow::int32()))});
  auto batch = *BatchFromJson(schema, R"([[[["k", 1], ["l", null]]]])");
  EXPECT_EQ(Write(OutputFormat::kJsonLines, batch), "{\"m\":{\"k\":1,\"l\":null}}\n");
  auto dictionary = arrow::json::DictArrayFromJSONString(
      arrow::dictionary(arrow::int8(), arrow::utf8()), "[1, 0, null]", R"(["x", "y"])");
  ASSERT_TRUE(dictionary.ok());
  auto dict_schema = arrow::schema({arrow::field("d", (*dictionary)->type())});
  auto dict_batch = arrow::RecordBatch::Make(dict_schema, 3, {*dictionary});
  EXPECT_EQ(Write(OutputFormat::kCsv, dict_batch), "d\ny\nx\n\n");
}

TEST(ResultWriter, ArrowAndParquetRoundTrip) {
  // Without the timestamp in seconds, which Parquet stores in milliseconds.
  auto batch = *SampleBatch()->RemoveColumn(5);
  for (OutputFormat format : {OutputFormat::kArrow, OutputFormat::kParquet}) {
    auto sink = *arrow::io::BufferOutputStream::Create();
    auto writer = *MakeResultWriter(format, batch->schema(), sink);
    ASSERT_TRUE(writer->Write(batch).ok());
    ASSERT_TRUE(writer->Write(batch).ok());
    ASSERT_TRUE(writer->Finish().ok());
    auto buffer = *sink->Finish();
    std::shared_ptr<arrow::Table> table;
    if (format == OutputFormat::kArrow) {
      auto reader = *arrow::ipc::RecordBatchStreamReader::Open(
          std::make_shared<arrow::io::BufferReader>(buffer));
      table = *reader->ToTable();
    } else {
      auto reader = *parquet::arrow::OpenFile(std::make_shared<arrow::io::BufferReader>(buffer),
                                              arrow::default_memory_pool());
      auto read = reader->ReadTable();
      ASSERT_TRUE(read.ok()) << read.status().ToString();
      table = *read;
    }
    auto expected = *arrow::Table::FromRecordBatches({batch, batch});
    EXPECT_TRUE(table->Equals(*expected)) << OutputFormatName(format);
  }
}

TEST(Progress, LinesShowABarWhenATotalIsKnown) {
  Progress progress;
  progress.rows = 50;
  progress.total_rows = 100;
  progress.bytes = 3 << 20;
  EXPECT_EQ(ProgressLine("get", progress, 0, 80),
            "get [####################....................]  50%  50 rows  3.0 MiB");
  progress.total_rows = -1;
  EXPECT_EQ(ProgressLine("put", progress, 2, 80), "put 50 rows  3.0 MiB  1.5 MiB/s");
  EXPECT_EQ(HumanBytes(512), "512 B");
}

}  // namespace
}  // namespace quiver::client
