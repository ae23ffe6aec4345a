#include "engine/arrow_flight_function.h"

#include <arrow/api.h>
#include <arrow/flight/api.h>
#include <arrow/json/from_string.h>
#include <arrow/util/base64.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/flight_reader.h"
#include "engine/database.h"

namespace quiver::engine {
namespace {

namespace flight = arrow::flight;

constexpr const char* kUser = "reader";
// The test service repeats this in its error messages, as careless services do.
constexpr const char* kPassword = "s3cret-Pa55word";
constexpr const char* kToken = "token-1234";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::shared_ptr<arrow::Array> Json(const std::shared_ptr<arrow::DataType>& type,
                                   const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

// `rows` rows of (id BIGINT, name VARCHAR, score DOUBLE) starting at `first`; every seventh
// name is NULL.
std::shared_ptr<arrow::RecordBatch> Numbers(int64_t first, int64_t rows) {
  arrow::Int64Builder ids;
  arrow::StringBuilder names;
  arrow::DoubleBuilder scores;
  for (int64_t id = first; id < first + rows; ++id) {
    EXPECT_TRUE(ids.Append(id).ok());
    EXPECT_TRUE((id % 7 == 0 ? names.AppendNull() : names.Append("n" + std::to_string(id))).ok());
    EXPECT_TRUE(scores.Append(static_cast<double>(id) / 2).ok());
  }
  auto schema =
      arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8()),
                     arrow::field("score", arrow::float64())});
  return arrow::RecordBatch::Make(
      schema, rows,
      {ids.Finish().ValueOrDie(), names.Finish().ValueOrDie(), scores.Finish().ValueOrDie()});
}

// A dataset served in parts, one endpoint per part.
struct Dataset {
  // What GetSchema and GetFlightInfo announce; empty: the batches' schema.
  std::shared_ptr<arrow::Schema> announced;
  std::vector<arrow::RecordBatchVector> parts;
  // Replaces the endpoints pointing at this server's parts.
  std::vector<flight::FlightEndpoint> endpoints;
};

// Basic credentials -> bearer token, like Quiver and ClickHouse.
class AuthMiddleware : public flight::ServerMiddleware {
 public:
  explicit AuthMiddleware(bool issue_token) : issue_token_(issue_token) {}
  std::string name() const override { return "auth"; }
  void SendingHeaders(flight::AddCallHeaders* outgoing) override {
    if (issue_token_) outgoing->AddHeader("authorization", std::string("Bearer ") + kToken);
  }
  void CallCompleted(const arrow::Status&) override {}

 private:
  bool issue_token_;
};

class AuthFactory : public flight::ServerMiddlewareFactory {
 public:
  arrow::Status StartCall(const flight::CallInfo&, const flight::ServerCallContext& context,
                          std::shared_ptr<flight::ServerMiddleware>* middleware) override {
    const auto& headers = context.incoming_headers();
    auto found = headers.find("authorization");
    const std::string value = found == headers.end() ? "" : std::string(found->second);
    if (value == std::string("Bearer ") + kToken) {
      *middleware = std::make_shared<AuthMiddleware>(false);
      return arrow::Status::OK();
    }
    if (value.rfind("Basic ", 0) == 0) {
      ARROW_ASSIGN_OR_RAISE(auto decoded, arrow::util::base64_decode(value.substr(6)));
      if (decoded == std::string(kUser) + ":" + kPassword) {
        *middleware = std::make_shared<AuthMiddleware>(true);
        return arrow::Status::OK();
      }
      return flight::MakeFlightError(flight::FlightStatusCode::Unauthenticated,
                                     "wrong credentials '" + decoded + "'");
    }
    return flight::MakeFlightError(flight::FlightStatusCode::Unauthenticated,
                                   "authentication required");
  }
};

// An in-process Flight service on 127.0.0.1 with datasets by PATH and queries by CMD.
class TestServer : public flight::FlightServerBase {
 public:
  static std::unique_ptr<TestServer> Start(bool require_auth) {
    auto server = std::make_unique<TestServer>();
    auto location = flight::Location::ForGrpcTcp("127.0.0.1", 0).ValueOrDie();
    flight::FlightServerOptions options(location);
    if (require_auth) {
      options.auth_handler = std::make_shared<flight::NoOpAuthHandler>();
      options.middleware.emplace_back("auth", std::make_shared<AuthFactory>());
    }
    EXPECT_TRUE(server->Init(options).ok());
    return server;
  }
  ~TestServer() override { (void)Shutdown(); }

  std::string location() const { return "grpc://127.0.0.1:" + std::to_string(port()); }
  void Add(const std::string& name, Dataset dataset) {
    std::lock_guard<std::mutex> lock(mutex_);
    datasets_[name] = std::move(dataset);
  }
  // A CMD with exactly this text returns `dataset`.
  void AddCommand(const std::string& sql, const std::string& dataset) {
    std::lock_guard<std::mutex> lock(mutex_);
    commands_[sql] = dataset;
  }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

  std::atomic<bool> get_schema_implemented{true};
  std::atomic<int> do_get_delay_ms{0};
  std::atomic<int> active_do_gets{0};
  std::atomic<int> max_active_do_gets{0};

  arrow::Status GetSchema(const flight::ServerCallContext&, const flight::FlightDescriptor& request,
                          std::unique_ptr<flight::SchemaResult>* schema) override {
    if (!get_schema_implemented) return arrow::Status::NotImplemented("GetSchema");
    ARROW_ASSIGN_OR_RAISE(auto dataset, Find("GetSchema", request));
    ARROW_ASSIGN_OR_RAISE(*schema, flight::SchemaResult::Make(*Announced(dataset.second)));
    return arrow::Status::OK();
  }

  arrow::Status GetFlightInfo(const flight::ServerCallContext&,
                              const flight::FlightDescriptor& request,
                              std::unique_ptr<flight::FlightInfo>* info) override {
    ARROW_ASSIGN_OR_RAISE(auto dataset, Find("GetFlightInfo", request));
    std::vector<flight::FlightEndpoint> endpoints = dataset.second.endpoints;
    if (endpoints.empty()) {
      for (size_t i = 0; i < dataset.second.parts.size(); ++i) {
        endpoints.push_back({{dataset.first + "#" + std::to_string(i)}, {}, std::nullopt, ""});
      }
    }
    ARROW_ASSIGN_OR_RAISE(auto made, flight::FlightInfo::Make(*Announced(dataset.second), request,
                                                              endpoints, -1, -1));
    *info = std::make_unique<flight::FlightInfo>(std::move(made));
    return arrow::Status::OK();
  }

  arrow::Status DoGet(const flight::ServerCallContext&, const flight::Ticket& request,
                      std::unique_ptr<flight::FlightDataStream>* stream) override {
    const auto hash = request.ticket.rfind('#');
    if (hash == std::string::npos) return arrow::Status::KeyError("bad ticket");
    Dataset dataset;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto found = datasets_.find(request.ticket.substr(0, hash));
      if (found == datasets_.end()) return arrow::Status::KeyError("unknown ticket");
      dataset = found->second;
    }
    const size_t part = std::stoul(request.ticket.substr(hash + 1));
    if (part >= dataset.parts.size()) return arrow::Status::KeyError("unknown ticket");
    // Overlapping DoGet calls show that the endpoints are read in parallel.
    const int active = ++active_do_gets;
    for (int seen = max_active_do_gets; active > seen;) {
      if (max_active_do_gets.compare_exchange_weak(seen, active)) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(do_get_delay_ms));
    --active_do_gets;
    const auto& batches = dataset.parts[part];
    ARROW_ASSIGN_OR_RAISE(auto reader,
                          arrow::RecordBatchReader::Make(batches, batches[0]->schema()));
    *stream = std::make_unique<flight::RecordBatchStream>(reader);
    return arrow::Status::OK();
  }

 private:
  static std::shared_ptr<arrow::Schema> Announced(const Dataset& dataset) {
    return dataset.announced ? dataset.announced : dataset.parts.at(0).at(0)->schema();
  }

  arrow::Result<std::pair<std::string, Dataset>> Find(const std::string& call,
                                                      const flight::FlightDescriptor& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string name;
    if (request.type == flight::FlightDescriptor::PATH) {
      requests_.push_back(call + " PATH " + (request.path.empty() ? "" : request.path[0]));
      if (request.path.size() == 1) name = request.path[0];
    } else {
      requests_.push_back(call + " CMD " + request.cmd);
      auto command = commands_.find(request.cmd);
      if (command != commands_.end()) name = command->second;
    }
    auto found = datasets_.find(name);
    if (found == datasets_.end()) {
      return arrow::Status::KeyError("no such dataset: ", request.ToString());
    }
    return *found;
  }

  std::mutex mutex_;
  std::map<std::string, Dataset> datasets_;
  std::map<std::string, std::string> commands_;
  std::vector<std::string> requests_;
};

// ---------------------------------------------------------------------------------------------

TEST(LooksLikeSqlTest, KeywordsInAnyCaseAfterWhiteSpace) {
  for (const char* sql :
       {"SELECT 1", "select*from t", "  \n\tWith x AS (SELECT 1) SELECT * FROM x", "FROM t",
        "values (1)", "SHOW TABLES", "describe t", "TABLE t", "pragma version", "SELECT"}) {
    EXPECT_TRUE(client::LooksLikeSql(sql)) << sql;
    EXPECT_EQ(client::RequestFor(sql).kind, client::FlightRequest::Kind::kCommand) << sql;
  }
  for (const char* dataset : {"numbers", "selection", "select_me", "tables", "", "  ", "my table",
                              "(SELECT 1)", "schema.table"}) {
    EXPECT_FALSE(client::LooksLikeSql(dataset)) << dataset;
    EXPECT_EQ(client::RequestFor(dataset).kind, client::FlightRequest::Kind::kPath) << dataset;
    EXPECT_EQ(client::RequestFor(dataset).text, dataset);
  }
}

// A Quiver database with arrow_flight() reading from two test services: `open_` (anonymous) and
// `secured_` (Basic auth), the latter also as the named connection "secured".
class ArrowFlightFunctionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    open_ = TestServer::Start(false);
    secured_ = TestServer::Start(true);
    ASSERT_GT(open_->port(), 0);
    ASSERT_GT(secured_->port(), 0);

    // 5,000 rows in one batch: more than a DuckDB vector.
    open_->Add("numbers", {nullptr, {{Numbers(0, 5000)}}, {}});
    open_->AddCommand("SELECT * FROM numbers WHERE id < 10", "small");
    open_->Add("small", {nullptr, {{Numbers(0, 10)}}, {}});
    // Four endpoints of 1,000 rows, each in two batches.
    std::vector<arrow::RecordBatchVector> parts;
    for (int64_t part = 0; part < 4; ++part) {
      parts.push_back({Numbers(part * 1000, 600), Numbers(part * 1000 + 600, 400)});
    }
    open_->Add("parts", {nullptr, parts, {}});
    secured_->Add("numbers", {nullptr, {{Numbers(0, 100)}}, {}});

    DatabaseOptions options;
    options.flight_connections.push_back(
        {"secured", secured_->location(), kUser, kPassword, "", false});
    options.flight_connections.push_back({"open", open_->location(), "", "", "", false});
    auto database = Database::Open(":memory:", options);
    ASSERT_TRUE(database.ok()) << database.status().ToString();
    database_ = *database;
    auto connection = database_->Connect();
    ASSERT_TRUE(connection.ok()) << connection.status().ToString();
    connection_ = *connection;
  }

  std::string Open(const std::string& dataset) {
    return "arrow_flight('" + open_->location() + "', '" + dataset + "')";
  }

  arrow::Result<std::shared_ptr<arrow::Table>> Run(const std::string& sql) {
    ARROW_ASSIGN_OR_RAISE(auto reader, connection_->Query(sql, StreamOptions{}));
    return reader->ToTable();
  }

  // The single value of a one-row, one-column query, as a string.
  std::string Value(const std::string& sql) {
    auto table = Run("SELECT CAST((" + sql + ") AS VARCHAR)");
    EXPECT_TRUE(table.ok()) << sql << ": " << table.status().ToString();
    if (!table.ok() || (*table)->num_rows() != 1) return "<no value>";
    auto scalar = (*table)->column(0)->GetScalar(0).ValueOrDie();
    return scalar->is_valid ? scalar->ToString() : "NULL";
  }

  // The message of a query that must fail.
  std::string Error(const std::string& sql) {
    auto table = Run(sql);
    EXPECT_FALSE(table.ok()) << sql;
    return table.status().message();
  }

  std::unique_ptr<TestServer> open_;
  std::unique_ptr<TestServer> secured_;
  std::shared_ptr<Database> database_;
  std::shared_ptr<Connection> connection_;
};

TEST_F(ArrowFlightFunctionTest, ReadsADatasetByPathInVectorSizedChunks) {
  auto table = Run("SELECT * FROM " + Open("numbers"));
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ((*table)->num_rows(), 5000);
  EXPECT_EQ((*table)->schema()->field_names(), (std::vector<std::string>{"id", "name", "score"}));
  EXPECT_EQ(Value("SELECT sum(id) FROM " + Open("numbers")), "12497500");
  // Rows after the first 2,048 keep their values, NULLs included.
  EXPECT_EQ(Value("SELECT name FROM " + Open("numbers") + " WHERE id = 4999"), "n4999");
  EXPECT_EQ(Value("SELECT count(*) FROM " + Open("numbers") + " WHERE name IS NULL"), "715");
  EXPECT_EQ(Value("SELECT score FROM " + Open("numbers") + " WHERE id = 2049"), "1024.5");
  EXPECT_EQ(open_->requests().front(), "GetSchema PATH numbers");
}

TEST_F(ArrowFlightFunctionTest, SendsSqlAsACommand) {
  EXPECT_EQ(Value("SELECT count(*) FROM " + Open("SELECT * FROM numbers WHERE id < 10")), "10");
  const auto requests = open_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0], "GetSchema CMD SELECT * FROM numbers WHERE id < 10");
  EXPECT_EQ(requests[1], "GetFlightInfo CMD SELECT * FROM numbers WHERE id < 10");
}

TEST_F(ArrowFlightFunctionTest, ReadsEveryEndpointInParallel) {
  ASSERT_TRUE(connection_->Execute("SET threads = 4").ok());
  open_->do_get_delay_ms = 200;
  EXPECT_EQ(Value("SELECT count(*) FROM " + Open("parts")), "4000");
  EXPECT_GE(open_->max_active_do_gets.load(), 2);
  open_->do_get_delay_ms = 0;
  EXPECT_EQ(Value("SELECT count(DISTINCT id) FROM " + Open("parts")), "4000");
  EXPECT_EQ(Value("SELECT sum(id) FROM " + Open("parts")), "7998000");
}

TEST_F(ArrowFlightFunctionTest, ReadsEndpointsOnSingleThread) {
  ASSERT_TRUE(connection_->Execute("SET threads = 1").ok());
  EXPECT_EQ(Value("SELECT sum(id) FROM " + Open("parts")), "7998000");
  EXPECT_EQ(open_->max_active_do_gets.load(), 1);
}

TEST_F(ArrowFlightFunctionTest, FollowsEndpointLocations) {
  // Part 0 lives on another service, part 1 here (the "reuse this connection" location).
  auto other = TestServer::Start(false);
  other->Add("elsewhere", {nullptr, {{Numbers(100, 5)}}, {}});
  Dataset split{nullptr, {{Numbers(0, 3)}}, {}};
  split.endpoints.push_back(
      {{"elsewhere#0"}, {flight::Location::Parse(other->location()).ValueOrDie()}, {}, ""});
  split.endpoints.push_back({{"split#0"}, {flight::Location::ReuseConnection()}, {}, ""});
  open_->Add("split", split);
  EXPECT_EQ(Value("SELECT sum(id) FROM " + Open("split")),
            std::to_string(100 + 101 + 102 + 103 + 104 + 0 + 1 + 2));
}

TEST_F(ArrowFlightFunctionTest, SendsBasicCredentialsOnEveryCallWithoutHandshake) {
  // `open_` has no Handshake; the credentials then go with each call (and it ignores them).
  EXPECT_EQ(Value("SELECT count(*) FROM arrow_flight('" + open_->location() +
                  "', 'numbers', 'someone', 'password')"),
            "5000");
}

TEST_F(ArrowFlightFunctionTest, NoEndpointsMeansNoRows) {
  open_->Add("empty", {Numbers(0, 0)->schema(), {}, {}});
  EXPECT_EQ(Value("SELECT count(*) FROM " + Open("empty")), "0");
  auto table = Run("SELECT * FROM " + Open("empty"));
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ((*table)->num_columns(), 3);
}

TEST_F(ArrowFlightFunctionTest, FallsBackToTheFlightInfoSchema) {
  open_->get_schema_implemented = false;
  EXPECT_EQ(Value("SELECT count(*) FROM " + Open("numbers")), "5000");
  EXPECT_EQ(open_->requests().front(), "GetFlightInfo PATH numbers");
}

TEST_F(ArrowFlightFunctionTest, ConvertsManyArrowTypes) {
  auto schema = arrow::schema({
      arrow::field("flag", arrow::boolean()),
      arrow::field("small", arrow::int16()),
      arrow::field("price", arrow::decimal128(10, 2)),
      arrow::field("day", arrow::date32()),
      arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")),
      arrow::field("big_text", arrow::large_utf8()),
      arrow::field("bytes", arrow::binary()),
      arrow::field("list", arrow::list(arrow::int32())),
      arrow::field("record", arrow::struct_({arrow::field("a", arrow::int32()),
                                             arrow::field("b", arrow::utf8())})),
      arrow::field("tag", arrow::dictionary(arrow::int32(), arrow::utf8())),
  });
  std::vector<std::shared_ptr<arrow::Array>> columns = {
      Json(arrow::boolean(), "[true, null, false]"),
      Json(arrow::int16(), "[1, -2, null]"),
      Json(arrow::decimal128(10, 2), R"(["12.34", null, "-0.05"])"),
      Json(arrow::date32(), "[19000, null, 0]"),
      Json(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"), "[0, 1700000000000000, null]"),
      Json(arrow::large_utf8(), R"(["héllo", null, ""])"),
      Json(arrow::binary(), R"(["ab", null, ""])"),
      Json(arrow::list(arrow::int32()), "[[1, 2], null, []]"),
      Json(schema->field(8)->type(), R"([{"a": 1, "b": "x"}, null, {"a": null, "b": "z"}])"),
      arrow::json::DictArrayFromJSONString(schema->field(9)->type(), "[1, 0, null]",
                                           R"(["red", "blue"])")
          .ValueOrDie(),
  };
  open_->Add("types", {nullptr, {{arrow::RecordBatch::Make(schema, 3, columns)}}, {}});
  const std::string from = " FROM " + Open("types");
  EXPECT_EQ(Value("SELECT count(*)" + from + " WHERE flag"), "1");
  EXPECT_EQ(Value("SELECT sum(small)" + from), "-1");
  EXPECT_EQ(Value("SELECT sum(price)" + from), "12.29");
  EXPECT_EQ(Value("SELECT max(day)" + from), "2022-01-08");
  EXPECT_EQ(Value("SELECT max(ts)" + from), "2023-11-14 22:13:20+00");
  EXPECT_EQ(Value("SELECT big_text" + from + " WHERE small = 1"), "héllo");
  EXPECT_EQ(Value("SELECT hex(bytes)" + from + " WHERE small = 1"), "6162");
  EXPECT_EQ(Value("SELECT list" + from + " WHERE small = 1"), "[1, 2]");
  EXPECT_EQ(Value("SELECT record.b" + from + " WHERE small = 1"), "x");
  EXPECT_EQ(Value("SELECT string_agg(tag, ',' ORDER BY tag)" + from), "blue,red");
  EXPECT_EQ(Value("SELECT count(*)" + from + " WHERE record IS NULL"), "1");
}

TEST_F(ArrowFlightFunctionTest, DuplicateAndEmptyColumnNamesAreUsable) {
  auto schema =
      arrow::schema({arrow::field("a", arrow::int32()), arrow::field("A", arrow::utf8()),
                     arrow::field("", arrow::int32()), arrow::field("a_1", arrow::int32())});
  open_->Add(
      "odd",
      {nullptr,
       {{arrow::RecordBatch::Make(schema, 1,
                                  {Json(arrow::int32(), "[1]"), Json(arrow::utf8(), R"(["x"])"),
                                   Json(arrow::int32(), "[3]"), Json(arrow::int32(), "[4]")})}},
       {}});
  auto table = Run("SELECT * FROM " + Open("odd"));
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ((*table)->schema()->field_names(),
            (std::vector<std::string>{"a", "A_1", "column2", "a_1_1"}));
  EXPECT_EQ(Value("SELECT \"A_1\" || column2 FROM " + Open("odd")), "x3");
}

TEST_F(ArrowFlightFunctionTest, JoinsCreatesAndInserts) {
  ASSERT_TRUE(connection_
                  ->Execute("CREATE TABLE local(id BIGINT, tag VARCHAR);"
                            "INSERT INTO local VALUES (1, 'one'), (2048, 'edge'), "
                            "(4999, 'last'), (6000, 'missing')")
                  .ok());
  EXPECT_EQ(Value("SELECT string_agg(l.tag || ':' || r.name, ',' ORDER BY l.id) FROM local l "
                  "JOIN " +
                  Open("numbers") + " r ON r.id = l.id"),
            "one:n1,edge:n2048,last:n4999");

  auto created = connection_->Execute("CREATE TABLE copy AS SELECT * FROM " + Open("parts"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(Value("SELECT count(*) FROM copy"), "4000");
  auto inserted =
      connection_->Execute("INSERT INTO copy SELECT * FROM " + Open("numbers") + " WHERE id < 100");
  ASSERT_TRUE(inserted.ok()) << inserted.status().ToString();
  EXPECT_EQ(*inserted, 100);
  EXPECT_EQ(Value("SELECT count(*) FROM copy"), "4100");
}

TEST_F(ArrowFlightFunctionTest, StopsEarlyUnderLimit) {
  arrow::RecordBatchVector batches;
  for (int i = 0; i < 200; ++i) batches.push_back(Numbers(i * 2048, 2048));
  open_->Add("large", {nullptr, {batches}, {}});
  const auto start = std::chrono::steady_clock::now();
  auto table = Run("SELECT * FROM " + Open("large") + " LIMIT 3");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ((*table)->num_rows(), 3);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(ArrowFlightFunctionTest, AuthenticatesWithPositionalNamedOrConfiguredCredentials) {
  const std::string location = secured_->location();
  EXPECT_EQ(Value("SELECT count(*) FROM arrow_flight('" + location + "', 'numbers', 'reader', '" +
                  kPassword + "')"),
            "100");
  EXPECT_EQ(Value("SELECT count(*) FROM arrow_flight('" + location +
                  "', 'numbers', user := 'reader', password := '" + kPassword + "')"),
            "100");
  EXPECT_EQ(Value("SELECT count(*) FROM arrow_flight('secured', 'numbers')"), "100");
  EXPECT_EQ(Value("SELECT count(*) FROM arrow_flight('open', 'numbers')"), "5000");
  // Prepared once, executed twice: each execution lists the endpoints again.
  ASSERT_TRUE(
      connection_->Execute("PREPARE remote AS SELECT count(*) FROM arrow_flight('secured', $1)")
          .ok());
  for (int i = 0; i < 2; ++i) {
    auto executed = Run("EXECUTE remote('numbers')");
    ASSERT_TRUE(executed.ok()) << executed.status().ToString();
    EXPECT_EQ((*executed)->column(0)->GetScalar(0).ValueOrDie()->ToString(), "100");
  }
}

TEST_F(ArrowFlightFunctionTest, AuthenticationFailuresNameTheServiceButNotThePassword) {
  const std::string location = secured_->location();
  auto missing = Error("SELECT * FROM arrow_flight('" + location + "', 'numbers')");
  EXPECT_TRUE(Contains(missing, "arrow_flight: " + location + ": GetSchema")) << missing;
  EXPECT_TRUE(Contains(missing, "authentication required")) << missing;

  auto wrong = Error("SELECT * FROM arrow_flight('" + location + "', 'numbers', 'reader', '" +
                     kPassword + "x')");
  EXPECT_TRUE(Contains(wrong, location + ": authentication as 'reader' failed")) << wrong;
  // The service repeated the password; it is masked. (DuckDB may quote the statement, which
  // holds it, after the error itself.)
  const std::string error_proper = wrong.substr(0, wrong.find("\nLINE "));
  EXPECT_TRUE(Contains(error_proper, "wrong credentials 'reader:***'")) << wrong;
  EXPECT_FALSE(Contains(error_proper, kPassword)) << wrong;

  auto configured = Error("SELECT * FROM arrow_flight('secured', 'nope')");
  EXPECT_TRUE(Contains(configured, "arrow_flight: connection 'secured': " + location +
                                       ": GetSchema for dataset 'nope' failed"))
      << configured;
  EXPECT_FALSE(Contains(configured, kPassword)) << configured;
}

TEST_F(ArrowFlightFunctionTest, ConnectionErrorsNameTheService) {
  auto refused = Error("SELECT * FROM arrow_flight('grpc://127.0.0.1:1', 'numbers')");
  EXPECT_TRUE(Contains(refused, "arrow_flight: grpc://127.0.0.1:1: ")) << refused;

  auto invalid = Error("SELECT * FROM arrow_flight('bogus://x', 'numbers')");
  EXPECT_TRUE(Contains(invalid, "bogus://x: ")) << invalid;

  // TLS against a plain-text service fails the handshake.
  const std::string tls = "grpc+tls://127.0.0.1:" + std::to_string(open_->port());
  auto handshake = Error("SELECT * FROM arrow_flight('" + tls + "', 'numbers')");
  EXPECT_TRUE(Contains(handshake, tls + ": ")) << handshake;
}

TEST_F(ArrowFlightFunctionTest, UnknownNamesAndDatasetsAreErrors) {
  auto name = Error("SELECT * FROM arrow_flight('nowhere', 'numbers')");
  EXPECT_TRUE(Contains(name, "unknown Flight connection 'nowhere'")) << name;
  EXPECT_TRUE(Contains(name, "configured: secured, open")) << name;

  auto dataset = Error("SELECT * FROM " + Open("nope"));
  EXPECT_TRUE(Contains(dataset, open_->location() + ": GetSchema for dataset 'nope' failed"))
      << dataset;

  auto lonely = Error("SELECT * FROM arrow_flight('open', 'numbers', password := 'x')");
  EXPECT_TRUE(Contains(lonely, "Error: arrow_flight: a password needs a user")) << lonely;

  auto null = Error("SELECT * FROM arrow_flight(NULL, 'numbers')");
  EXPECT_TRUE(Contains(null, "must not be NULL")) << null;
}

TEST_F(ArrowFlightFunctionTest, StreamsMustMatchTheAnnouncedTypes) {
  auto batch = Numbers(0, 3);
  // Announced utf8, streamed large_utf8: both are VARCHAR to DuckDB.
  auto large =
      arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::large_utf8()),
                     arrow::field("score", arrow::float64())});
  auto cast = arrow::RecordBatch::Make(
      large, 3,
      {batch->column(0), Json(arrow::large_utf8(), R"(["a", null, "c"])"), batch->column(2)});
  open_->Add("compatible", {batch->schema(), {{cast}}, {}});
  EXPECT_EQ(Value("SELECT string_agg(name, ',') FROM " + Open("compatible")), "a,c");

  // Announced int32, streamed int64: an error, not a crash.
  auto narrow =
      arrow::schema({arrow::field("id", arrow::int32()), arrow::field("name", arrow::utf8()),
                     arrow::field("score", arrow::float64())});
  open_->Add("liar", {narrow, {{batch}}, {}});
  auto error = Error("SELECT * FROM " + Open("liar"));
  EXPECT_TRUE(Contains(error, open_->location() + ": endpoint 1 of 1: column 'id' is int64"))
      << error;
}

TEST_F(ArrowFlightFunctionTest, MissingCertificateFileIsAnError) {
  DatabaseOptions options;
  options.flight_connections.push_back(
      {"tls", "grpc+tls://127.0.0.1:1", "", "", "/nonexistent/ca.pem", false});
  auto database = Database::Open(":memory:", options);
  ASSERT_TRUE(database.ok()) << database.status().ToString();
  auto connection = (*database)->Connect().ValueOrDie();
  auto reader = connection->Query("SELECT * FROM arrow_flight('tls', 'x')", StreamOptions{});
  ASSERT_FALSE(reader.ok());
  EXPECT_TRUE(Contains(reader.status().message(),
                       "connection 'tls': grpc+tls://127.0.0.1:1: "
                       "cannot read TLS root certificates file "
                       "'/nonexistent/ca.pem'"))
      << reader.status().ToString();
}

}  // namespace
}  // namespace quiver::engine
