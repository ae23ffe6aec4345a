#include "client/result_writer.h"

#include <arrow/array.h>
#include <arrow/compute/cast.h>
#include <arrow/ipc/writer.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/byte_size.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace quiver::client {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

bool IsJson(TextStyle style) { return style != TextStyle::kPlain; }
// The style of the values inside a nested value.
TextStyle Nested(TextStyle style) {
  return style == TextStyle::kJson ? TextStyle::kJson : TextStyle::kJsonSpaced;
}

template <typename T>
void AppendNumber(T value, std::string* out) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, result.ptr);
}

class BooleanRenderer : public ValueRenderer {
 public:
  using ValueRenderer::ValueRenderer;

 protected:
  void AppendValue(int64_t i, TextStyle, std::string* out) const override {
    out->append(static_cast<const arrow::BooleanArray&>(*array_).Value(i) ? "true" : "false");
  }
};

template <typename ArrayType>
class IntegerRenderer : public ValueRenderer {
 public:
  using ValueRenderer::ValueRenderer;
  bool IsNumeric() const override { return true; }

 protected:
  void AppendValue(int64_t i, TextStyle, std::string* out) const override {
    AppendNumber(static_cast<const ArrayType&>(*array_).Value(i), out);
  }
};

template <typename ArrayType>
class FloatRenderer : public ValueRenderer {
 public:
  using ValueRenderer::ValueRenderer;
  bool IsNumeric() const override { return true; }

 protected:
  void AppendValue(int64_t i, TextStyle style, std::string* out) const override {
    const auto value = static_cast<const ArrayType&>(*array_).Value(i);
    if (std::isfinite(value)) {
      AppendNumber(value, out);
    } else if (IsJson(style)) {
      out->append("null");  // JSON has no NaN or infinities
    } else {
      out->append(std::isnan(value) ? "NaN" : (value > 0 ? "inf" : "-inf"));
    }
  }
};

template <typename ArrayType>
class StringRenderer : public ValueRenderer {
 public:
  using ValueRenderer::ValueRenderer;

 protected:
  void AppendValue(int64_t i, TextStyle style, std::string* out) const override {
    const std::string_view value = static_cast<const ArrayType&>(*array_).GetView(i);
    if (IsJson(style)) {
      AppendJsonString(value, out);
    } else {
      out->append(value);
    }
  }
};

template <typename ArrayType>
class BinaryRenderer : public ValueRenderer {
 public:
  using ValueRenderer::ValueRenderer;

 protected:
  void AppendValue(int64_t i, TextStyle style, std::string* out) const override {
    const std::string_view value = static_cast<const ArrayType&>(*array_).GetView(i);
    if (IsJson(style)) out->push_back('"');
    for (unsigned char c : value) {
      out->push_back(kHexDigits[c >> 4]);
      out->push_back(kHexDigits[c & 15]);
    }
    if (IsJson(style)) out->push_back('"');
  }
};

// Dates, times, timestamps, decimals, durations ...: Arrow's own text for them, computed for the
// whole array at once.
class CastRenderer : public ValueRenderer {
 public:
  CastRenderer(std::shared_ptr<arrow::Array> array, std::shared_ptr<arrow::Array> text,
               bool numeric)
      : ValueRenderer(std::move(array)),
        text_(std::static_pointer_cast<arrow::StringArray>(std::move(text))),
        numeric_(numeric) {}
  bool IsNumeric() const override { return numeric_; }

 protected:
  void AppendValue(int64_t i, TextStyle style, std::string* out) const override {
    const std::string_view value = text_->GetView(i);
    if (IsJson(style) && !numeric_) {
      AppendJsonString(value, out);
    } else {
      out->append(value);
    }
  }

 private:
  std::shared_ptr<arrow::StringArray> text_;
  bool numeric_;
};

// Types without a cast to text (intervals, unions, ...): the scalar's ToString().
class ScalarRenderer : public ValueRenderer {
 public:
  using ValueRenderer::ValueRenderer;

 protected:
  void AppendValue(int64_t i, TextStyle style, std::string* out) const override {
    auto scalar = array_->GetScalar(i);
    const std::string text = scalar.ok() ? (*scalar)->ToString() : "?";
    if (IsJson(style)) {
      AppendJsonString(text, out);
    } else {
      out->append(text);
    }
  }
};

template <typename ArrayType>
class ListRenderer : public ValueRenderer {
 public:
  ListRenderer(std::shared_ptr<arrow::Array> array, std::unique_ptr<ValueRenderer> values)
      : ValueRenderer(std::move(array)), values_(std::move(values)) {}

 protected:
  void AppendValue(int64_t i, TextStyle style, std::string* out) const override {
    const auto& list = static_cast<const ArrayType&>(*array_);
    const int64_t begin = list.value_offset(i);
    const int64_t end = begin + list.value_length(i);
    out->push_back('[');
    for (int64_t j = begin; j < end; ++j) {
      if (j > begin) out->append(style == TextStyle::kJson ? "," : ", ");
      values_->Append(j, Nested(style), out);
    }
    out->push_back(']');
  }

 private:
  std::unique_ptr<ValueRenderer> values_;
};

class MapRenderer : public ValueRenderer {
 public:
  MapRenderer(std::shared_ptr<arrow::Array> array, std::unique_ptr<ValueRenderer> keys,
              std::unique_ptr<ValueRenderer> items)
      : ValueRenderer(std::move(array)), keys_(std::move(keys)), items_(std::move(items)) {}

 protected:
  void AppendValue(int64_t i, TextStyle style, std::string* out) const override {
    const auto& map = static_cast<const arrow::MapArray&>(*array_);
    const int64_t begin = map.value_offset(i);
    const int64_t end = begin + map.value_length(i);
    out->push_back('{');
    std::string key;
    for (int64_t j = begin; j < end; ++j) {
      if (j > begin) out->append(style == TextStyle::kJson ? "," : ", ");
      key.clear();
      keys_->Append(j, TextStyle::kPlain, &key);
      AppendJsonString(key, out);
      out->append(style == TextStyle::kJson ? ":" : ": ");
      items_->Append(j, Nested(style), out);
    }
    out->push_back('}');
  }

 private:
  std::unique_ptr<ValueRenderer> keys_;
  std::unique_ptr<ValueRenderer> items_;
};

class StructRenderer : public ValueRenderer {
 public:
  StructRenderer(std::shared_ptr<arrow::Array> array,
                 std::vector<std::unique_ptr<ValueRenderer>> fields)
      : ValueRenderer(std::move(array)), fields_(std::move(fields)) {}

 protected:
  void AppendValue(int64_t i, TextStyle style, std::string* out) const override {
    const auto& type = static_cast<const arrow::StructType&>(*array_->type());
    out->push_back('{');
    for (size_t f = 0; f < fields_.size(); ++f) {
      if (f > 0) out->append(style == TextStyle::kJson ? "," : ", ");
      AppendJsonString(type.field(static_cast<int>(f))->name(), out);
      out->append(style == TextStyle::kJson ? ":" : ": ");
      fields_[f]->Append(i, Nested(style), out);
    }
    out->push_back('}');
  }

 private:
  std::vector<std::unique_ptr<ValueRenderer>> fields_;
};

class DictionaryRenderer : public ValueRenderer {
 public:
  DictionaryRenderer(std::shared_ptr<arrow::Array> array, std::unique_ptr<ValueRenderer> values)
      : ValueRenderer(std::move(array)), values_(std::move(values)) {}
  bool IsNumeric() const override { return values_->IsNumeric(); }

 protected:
  void AppendValue(int64_t i, TextStyle style, std::string* out) const override {
    values_->Append(static_cast<const arrow::DictionaryArray&>(*array_).GetValueIndex(i), style,
                    out);
  }

 private:
  std::unique_ptr<ValueRenderer> values_;
};

template <typename ArrayType>
arrow::Result<std::unique_ptr<ValueRenderer>> MakeList(std::shared_ptr<arrow::Array> array) {
  auto values = static_cast<const ArrayType&>(*array).values();
  ARROW_ASSIGN_OR_RAISE(auto renderer, ValueRenderer::Make(std::move(values)));
  return std::make_unique<ListRenderer<ArrayType>>(std::move(array), std::move(renderer));
}

arrow::Result<std::unique_ptr<ValueRenderer>> MakeCastOrScalar(
    std::shared_ptr<arrow::Array> array) {
  const bool numeric = arrow::is_decimal(array->type_id());
  auto text = arrow::compute::Cast(*array, arrow::utf8());
  if (text.ok()) {
    return std::make_unique<CastRenderer>(std::move(array), std::move(*text), numeric);
  }
  return std::make_unique<ScalarRenderer>(std::move(array));
}

template <typename Renderer>
std::unique_ptr<ValueRenderer> Simple(std::shared_ptr<arrow::Array> array) {
  return std::make_unique<Renderer>(std::move(array));
}

class NullRenderer : public ValueRenderer {
 public:
  using ValueRenderer::ValueRenderer;

 protected:
  void AppendValue(int64_t, TextStyle, std::string* out) const override { out->append("null"); }
};

// Cells of a table: control characters made visible, long values cut.
std::string TableCell(std::string text, int max_width) {
  std::string out;
  out.reserve(text.size());
  int width = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) {
      if (width == max_width) {
        out.append("…");
        break;
      }
      ++width;
    }
    if (c == '\n') {
      out.append("\\n");
    } else if (c == '\r') {
      out.append("\\r");
    } else if (c == '\t') {
      out.append("\\t");
    } else if (c < 0x20) {
      out.push_back('?');
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// Characters of UTF-8 text (as a terminal column count, ignoring double-width characters).
size_t DisplayWidth(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void Pad(std::string* out, size_t count) { out->append(count, ' '); }

arrow::Result<std::vector<std::unique_ptr<ValueRenderer>>> RenderersFor(
    const arrow::RecordBatch& batch) {
  std::vector<std::unique_ptr<ValueRenderer>> renderers;
  for (int c = 0; c < batch.num_columns(); ++c) {
    ARROW_ASSIGN_OR_RAISE(auto renderer, ValueRenderer::Make(batch.column(c)));
    renderers.push_back(std::move(renderer));
  }
  return renderers;
}

class TableWriter : public ResultWriter {
 public:
  TableWriter(std::shared_ptr<arrow::Schema> schema, std::shared_ptr<arrow::io::OutputStream> sink,
              WriterOptions options)
      : schema_(std::move(schema)), sink_(std::move(sink)), options_(options) {}

  arrow::Status Write(const std::shared_ptr<arrow::RecordBatch>& batch) override {
    if (batch->num_rows() > 0) batches_.push_back(batch);
    return arrow::Status::OK();
  }

  arrow::Status Finish() override {
    const int columns = schema_->num_fields();
    std::vector<std::string> headers;
    std::vector<size_t> widths;
    std::vector<bool> numeric(columns, false);
    for (const auto& field : schema_->fields()) {
      headers.push_back(TableCell(field->name(), options_.max_cell_width));
      widths.push_back(DisplayWidth(headers.back()));
    }
    // Cells are rendered twice (widths, then output) rather than kept as strings.
    int64_t rows = 0;
    std::string cell;
    for (const auto& batch : batches_) {
      ARROW_ASSIGN_OR_RAISE(auto renderers, RenderersFor(*batch));
      for (int c = 0; c < columns; ++c) {
        numeric[c] = numeric[c] || renderers[c]->IsNumeric();
        for (int64_t r = 0; r < batch->num_rows(); ++r) {
          widths[c] = std::max(widths[c], DisplayWidth(Cell(*renderers[c], r, &cell)));
        }
      }
      rows += batch->num_rows();
    }
    std::string out;
    if (columns > 0) {
      for (int c = 0; c < columns; ++c) {
        out.append(c == 0 ? " " : " | ");
        const size_t padding = widths[c] - DisplayWidth(headers[c]);
        if (numeric[c]) Pad(&out, padding);
        out.append(headers[c]);
        if (!numeric[c] && c + 1 < columns) Pad(&out, padding);
      }
      out.push_back('\n');
      for (int c = 0; c < columns; ++c) {
        if (c > 0) out.push_back('+');
        out.append(widths[c] + 2, '-');
      }
      out.push_back('\n');
    }
    ARROW_RETURN_NOT_OK(sink_->Write(out));
    for (const auto& batch : batches_) {
      ARROW_ASSIGN_OR_RAISE(auto renderers, RenderersFor(*batch));
      out.clear();
      for (int64_t r = 0; r < batch->num_rows(); ++r) {
        for (int c = 0; c < columns; ++c) {
          out.append(c == 0 ? " " : " | ");
          const std::string& text = Cell(*renderers[c], r, &cell);
          const size_t padding = widths[c] - DisplayWidth(text);
          if (numeric[c]) Pad(&out, padding);
          out.append(text);
          if (!numeric[c] && c + 1 < columns) Pad(&out, padding);
        }
        out.push_back('\n');
      }
      ARROW_RETURN_NOT_OK(sink_->Write(out));
    }
    if (options_.row_count_footer) {
      ARROW_RETURN_NOT_OK(
          sink_->Write("(" + std::to_string(rows) + (rows == 1 ? " row)\n" : " rows)\n")));
    }
    batches_.clear();
    return sink_->Flush();
  }

 private:
  const std::string& Cell(const ValueRenderer& renderer, int64_t row, std::string* cell) const {
    cell->clear();
    if (renderer.IsNull(row)) {
      cell->append("NULL");
    } else {
      renderer.Append(row, TextStyle::kPlain, cell);
      *cell = TableCell(std::move(*cell), options_.max_cell_width);
    }
    return *cell;
  }

  std::shared_ptr<arrow::Schema> schema_;
  std::shared_ptr<arrow::io::OutputStream> sink_;
  WriterOptions options_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches_;
};

void AppendCsvField(std::string_view text, std::string* out) {
  const bool quote = text.empty() || text.find_first_of(",\"\r\n") != std::string_view::npos ||
                     text.front() == ' ' || text.back() == ' ';
  if (!quote) {
    out->append(text);
    return;
  }
  out->push_back('"');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// RFC 4180: a header line, fields quoted when needed, NULL as an empty field (an empty string is
// written as "").
class CsvWriter : public ResultWriter {
 public:
  CsvWriter(std::shared_ptr<arrow::Schema> schema, std::shared_ptr<arrow::io::OutputStream> sink)
      : schema_(std::move(schema)), sink_(std::move(sink)) {}

  arrow::Status Write(const std::shared_ptr<arrow::RecordBatch>& batch) override {
    ARROW_RETURN_NOT_OK(WriteHeader());
    ARROW_ASSIGN_OR_RAISE(auto renderers, RenderersFor(*batch));
    std::string out;
    std::string cell;
    for (int64_t r = 0; r < batch->num_rows(); ++r) {
      for (size_t c = 0; c < renderers.size(); ++c) {
        if (c > 0) out.push_back(',');
        if (renderers[c]->IsNull(r)) continue;
        cell.clear();
        renderers[c]->Append(r, TextStyle::kPlain, &cell);
        AppendCsvField(cell, &out);
      }
      out.push_back('\n');
    }
    return sink_->Write(out);
  }

  arrow::Status Finish() override {
    ARROW_RETURN_NOT_OK(WriteHeader());
    return sink_->Flush();
  }

 private:
  arrow::Status WriteHeader() {
    if (header_written_) return arrow::Status::OK();
    header_written_ = true;
    std::string out;
    for (int c = 0; c < schema_->num_fields(); ++c) {
      if (c > 0) out.push_back(',');
      AppendCsvField(schema_->field(c)->name(), &out);
    }
    out.push_back('\n');
    return sink_->Write(out);
  }

  std::shared_ptr<arrow::Schema> schema_;
  std::shared_ptr<arrow::io::OutputStream> sink_;
  bool header_written_ = false;
};

// One JSON object per row; NULL as null.
class JsonLinesWriter : public ResultWriter {
 public:
  JsonLinesWriter(std::shared_ptr<arrow::Schema> schema,
                  std::shared_ptr<arrow::io::OutputStream> sink)
      : sink_(std::move(sink)) {
    for (const auto& field : schema->fields()) {
      std::string key;
      AppendJsonString(field->name(), &key);
      key.push_back(':');
      keys_.push_back(std::move(key));
    }
  }

  arrow::Status Write(const std::shared_ptr<arrow::RecordBatch>& batch) override {
    ARROW_ASSIGN_OR_RAISE(auto renderers, RenderersFor(*batch));
    std::string out;
    for (int64_t r = 0; r < batch->num_rows(); ++r) {
      out.push_back('{');
      for (size_t c = 0; c < renderers.size(); ++c) {
        if (c > 0) out.push_back(',');
        out.append(c < keys_.size() ? keys_[c] : "\"?\":");
        renderers[c]->Append(r, TextStyle::kJson, &out);
      }
      out.append("}\n");
    }
    return sink_->Write(out);
  }

  arrow::Status Finish() override { return sink_->Flush(); }

 private:
  std::shared_ptr<arrow::io::OutputStream> sink_;
  std::vector<std::string> keys_;
};

class ArrowStreamWriter : public ResultWriter {
 public:
  explicit ArrowStreamWriter(std::shared_ptr<arrow::ipc::RecordBatchWriter> writer)
      : writer_(std::move(writer)) {}
  arrow::Status Write(const std::shared_ptr<arrow::RecordBatch>& batch) override {
    return writer_->WriteRecordBatch(*batch);
  }
  arrow::Status Finish() override { return writer_->Close(); }

 private:
  std::shared_ptr<arrow::ipc::RecordBatchWriter> writer_;
};

class ParquetWriter : public ResultWriter {
 public:
  explicit ParquetWriter(std::unique_ptr<parquet::arrow::FileWriter> writer)
      : writer_(std::move(writer)) {}
  arrow::Status Write(const std::shared_ptr<arrow::RecordBatch>& batch) override {
    return writer_->WriteRecordBatch(*batch);
  }
  arrow::Status Finish() override { return writer_->Close(); }

 private:
  std::unique_ptr<parquet::arrow::FileWriter> writer_;
};

}  // namespace

void ValueRenderer::Append(int64_t i, TextStyle style, std::string* out) const {
  if (array_->IsNull(i)) {
    out->append("null");
  } else {
    AppendValue(i, style, out);
  }
}

arrow::Result<std::unique_ptr<ValueRenderer>> ValueRenderer::Make(
    std::shared_ptr<arrow::Array> array) {
  using arrow::Type;
  switch (array->type_id()) {
    case Type::NA:
      return Simple<NullRenderer>(std::move(array));
    case Type::BOOL:
      return Simple<BooleanRenderer>(std::move(array));
    case Type::INT8:
      return Simple<IntegerRenderer<arrow::Int8Array>>(std::move(array));
    case Type::INT16:
      return Simple<IntegerRenderer<arrow::Int16Array>>(std::move(array));
    case Type::INT32:
      return Simple<IntegerRenderer<arrow::Int32Array>>(std::move(array));
    case Type::INT64:
      return Simple<IntegerRenderer<arrow::Int64Array>>(std::move(array));
    case Type::UINT8:
      return Simple<IntegerRenderer<arrow::UInt8Array>>(std::move(array));
    case Type::UINT16:
      return Simple<IntegerRenderer<arrow::UInt16Array>>(std::move(array));
    case Type::UINT32:
      return Simple<IntegerRenderer<arrow::UInt32Array>>(std::move(array));
    case Type::UINT64:
      return Simple<IntegerRenderer<arrow::UInt64Array>>(std::move(array));
    case Type::FLOAT:
      return Simple<FloatRenderer<arrow::FloatArray>>(std::move(array));
    case Type::DOUBLE:
      return Simple<FloatRenderer<arrow::DoubleArray>>(std::move(array));
    case Type::STRING:
      return Simple<StringRenderer<arrow::StringArray>>(std::move(array));
    case Type::LARGE_STRING:
      return Simple<StringRenderer<arrow::LargeStringArray>>(std::move(array));
    case Type::STRING_VIEW:
      return Simple<StringRenderer<arrow::StringViewArray>>(std::move(array));
    case Type::BINARY:
      return Simple<BinaryRenderer<arrow::BinaryArray>>(std::move(array));
    case Type::LARGE_BINARY:
      return Simple<BinaryRenderer<arrow::LargeBinaryArray>>(std::move(array));
    case Type::BINARY_VIEW:
      return Simple<BinaryRenderer<arrow::BinaryViewArray>>(std::move(array));
    case Type::FIXED_SIZE_BINARY:
      return Simple<BinaryRenderer<arrow::FixedSizeBinaryArray>>(std::move(array));
    case Type::LIST:
      return MakeList<arrow::ListArray>(std::move(array));
    case Type::LARGE_LIST:
      return MakeList<arrow::LargeListArray>(std::move(array));
    case Type::LIST_VIEW:
      return MakeList<arrow::ListViewArray>(std::move(array));
    case Type::LARGE_LIST_VIEW:
      return MakeList<arrow::LargeListViewArray>(std::move(array));
    case Type::FIXED_SIZE_LIST:
      return MakeList<arrow::FixedSizeListArray>(std::move(array));
    case Type::MAP: {
      const auto& map = static_cast<const arrow::MapArray&>(*array);
      ARROW_ASSIGN_OR_RAISE(auto keys, Make(map.keys()));
      ARROW_ASSIGN_OR_RAISE(auto items, Make(map.items()));
      return std::make_unique<MapRenderer>(std::move(array), std::move(keys), std::move(items));
    }
    case Type::STRUCT: {
      const auto& structs = static_cast<const arrow::StructArray&>(*array);
      std::vector<std::unique_ptr<ValueRenderer>> fields;
      for (int f = 0; f < structs.num_fields(); ++f) {
        ARROW_ASSIGN_OR_RAISE(auto field, Make(structs.field(f)));
        fields.push_back(std::move(field));
      }
      return std::make_unique<StructRenderer>(std::move(array), std::move(fields));
    }
    case Type::DICTIONARY: {
      ARROW_ASSIGN_OR_RAISE(auto values,
                            Make(static_cast<const arrow::DictionaryArray&>(*array).dictionary()));
      return std::make_unique<DictionaryRenderer>(std::move(array), std::move(values));
    }
    case Type::EXTENSION:
      return Make(static_cast<const arrow::ExtensionArray&>(*array).storage());
    default:
      return MakeCastOrScalar(std::move(array));
  }
}

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHexDigits[c >> 4]);
          out->push_back(kHexDigits[c & 15]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

arrow::Result<std::unique_ptr<ResultWriter>> MakeResultWriter(
    OutputFormat format, std::shared_ptr<arrow::Schema> schema,
    std::shared_ptr<arrow::io::OutputStream> sink, WriterOptions options) {
  switch (format) {
    case OutputFormat::kTable:
      return std::make_unique<TableWriter>(std::move(schema), std::move(sink), options);
    case OutputFormat::kCsv:
      return std::make_unique<CsvWriter>(std::move(schema), std::move(sink));
    case OutputFormat::kJsonLines:
      return std::make_unique<JsonLinesWriter>(std::move(schema), std::move(sink));
    case OutputFormat::kArrow: {
      ARROW_ASSIGN_OR_RAISE(auto writer, arrow::ipc::MakeStreamWriter(std::move(sink), schema));
      return std::make_unique<ArrowStreamWriter>(std::move(writer));
    }
    case OutputFormat::kParquet: {
      auto properties =
          parquet::WriterProperties::Builder().compression(arrow::Compression::ZSTD)->build();
      auto arrow_properties = parquet::ArrowWriterProperties::Builder().store_schema()->build();
      ARROW_ASSIGN_OR_RAISE(auto writer, parquet::arrow::FileWriter::Open(
                                             *schema, arrow::default_memory_pool(), std::move(sink),
                                             properties, arrow_properties));
      return std::make_unique<ParquetWriter>(std::move(writer));
    }
  }
  return arrow::Status::Invalid("unknown output format");
}

arrow::Result<int64_t> WriteAll(arrow::RecordBatchReader& reader, ResultWriter& writer,
                                const std::function<void(int64_t, int64_t)>& on_batch) {
  int64_t rows = 0;
  int64_t bytes = 0;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(auto batch, reader.Next());
    if (batch == nullptr) break;
    ARROW_RETURN_NOT_OK(writer.Write(batch));
    rows += batch->num_rows();
    bytes += arrow::util::TotalBufferSize(*batch);
    if (on_batch) on_batch(rows, bytes);
  }
  ARROW_RETURN_NOT_OK(writer.Finish());
  return rows;
}

arrow::Status OstreamOutputStream::Close() {
  closed_ = true;
  return Flush();
}

arrow::Status OstreamOutputStream::Write(const void* data, int64_t nbytes) {
  if (closed_) return arrow::Status::Invalid("stream is closed");
  stream_->write(static_cast<const char*>(data), nbytes);
  if (!*stream_) return arrow::Status::IOError("cannot write the output");
  position_ += nbytes;
  return arrow::Status::OK();
}

arrow::Status OstreamOutputStream::Flush() {
  stream_->flush();
  return *stream_ ? arrow::Status::OK() : arrow::Status::IOError("cannot write the output");
}

}  // namespace quiver::client
