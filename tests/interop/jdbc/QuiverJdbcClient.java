// Drives a Flight SQL server with the Apache Arrow Flight SQL JDBC driver, the way a JDBC
// application (DBeaver, a BI tool) would, and prints what it saw as JSON for
// tests/interop/test_jdbc.py. Run in source-launcher mode:
//
//   java -XX:TieredStopAtLevel=1 --add-opens=java.base/java.nio=ALL-UNNAMED -cp flight-sql-jdbc-driver-X.jar \
//       QuiverJdbcClient.java grpc://127.0.0.1:PORT USER PASSWORD SCENARIO [SCENARIO...]
//
// Stdout is one JSON object keyed by scenario name. A scenario that fails is reported as
// {"error": ..., "step": ..., "sql_state": ..., "causes": [...]} and makes the exit status 1;
// bad usage exits with 2. "all" runs every scenario (one JVM start for the whole suite).

import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;

public class QuiverJdbcClient {
  // ---- tiny JSON writer ---------------------------------------------------------------------

  static String json(Object v) {
    StringBuilder sb = new StringBuilder();
    writeJson(sb, v, "");
    return sb.toString();
  }

  static void writeJson(StringBuilder sb, Object v, String indent) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      sb.append('"');
      for (char c : s.toCharArray()) {
        switch (c) {
          case '"' -> sb.append("\\\"");
          case '\\' -> sb.append("\\\\");
          case '\n' -> sb.append("\\n");
          case '\r' -> sb.append("\\r");
          case '\t' -> sb.append("\\t");
          default -> {
            if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
          }
        }
      }
      sb.append('"');
    } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long
        || v instanceof Short || v instanceof Byte) {
      sb.append(v);
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isFinite(d)) sb.append(v);
      else writeJson(sb, v.toString(), indent);
    } else if (v instanceof Map<?, ?> m) {
      String inner = indent + " ";
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        sb.append(first ? "\n" : ",\n").append(inner);
        first = false;
        writeJson(sb, String.valueOf(e.getKey()), inner);
        sb.append(": ");
        writeJson(sb, e.getValue(), inner);
      }
      if (!first) sb.append('\n').append(indent);
      sb.append('}');
    } else if (v instanceof List<?> l) {
      String inner = indent + " ";
      sb.append('[');
      boolean first = true;
      for (Object o : l) {
        sb.append(first ? "\n" : ",\n").append(inner);
        first = false;
        writeJson(sb, o, inner);
      }
      if (!first) sb.append('\n').append(indent);
      sb.append(']');
    } else if (v instanceof int[] a) {
      List<Object> l = new ArrayList<>();
      for (int x : a) l.add(x);
      writeJson(sb, l, indent);
    } else if (v instanceof long[] a) {
      List<Object> l = new ArrayList<>();
      for (long x : a) l.add(x);
      writeJson(sb, l, indent);
    } else {
      writeJson(sb, v.toString(), indent);
    }
  }

  /** A JDBC value as JSON: numbers stay numbers, decimals/dates/times become strings. */
  static Object plain(Object v) {
    if (v == null || v instanceof String || v instanceof Boolean || v instanceof Integer
        || v instanceof Long || v instanceof Short || v instanceof Byte || v instanceof Double
        || v instanceof Float) {
      return v;
    }
    if (v instanceof BigDecimal d) return d.toPlainString();
    if (v instanceof byte[] b) {
      StringBuilder sb = new StringBuilder();
      for (byte x : b) sb.append(String.format("%02x", x));
      return sb.toString();
    }
    if (v instanceof java.sql.Array a) {
      try {
        Object[] items = (Object[]) a.getArray();
        List<Object> l = new ArrayList<>();
        for (Object o : items) l.add(plain(o));
        return l;
      } catch (SQLException e) {
        return "<array: " + e.getMessage() + ">";
      }
    }
    if (v instanceof List<?> list) {
      List<Object> l = new ArrayList<>();
      for (Object o : list) l.add(plain(o));
      return l;
    }
    return v.toString(); // java.sql.Date, Timestamp, Time, Text, ...
  }

  static Map<String, Object> obj(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  // ---- error reporting ---------------------------------------------------------------------

  /** Wraps a failure with the step that was running. */
  static final class StepFailure extends Exception {
    final String step;

    StepFailure(String step, Throwable cause) {
      super(step + ": " + cause, cause);
      this.step = step;
    }
  }

  interface Step<T> {
    T run() throws Exception;
  }

  static <T> T step(String name, Step<T> body) throws StepFailure {
    try {
      return body.run();
    } catch (StepFailure f) {
      throw f;
    } catch (Exception | Error e) {
      throw new StepFailure(name, e);
    }
  }

  static Map<String, Object> errorJson(Throwable t) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (t instanceof StepFailure f) {
      out.put("step", f.step);
      t = f.getCause();
    }
    out.put("error", String.valueOf(t));
    out.put("message", t.getMessage());
    if (t instanceof SQLException s) {
      out.put("sql_state", s.getSQLState());
      out.put("error_code", s.getErrorCode());
    }
    List<Object> causes = new ArrayList<>();
    for (Throwable c = t.getCause(); c != null && causes.size() < 10; c = c.getCause()) {
      causes.add(String.valueOf(c));
    }
    out.put("causes", causes);
    return out;
  }

  /** Runs body and returns its error as JSON, or {"error": null} if it did not fail. */
  static Map<String, Object> expectError(Step<?> body) {
    try {
      Object r = body.run();
      return obj("error", null, "result", r instanceof int[] a ? (Object) Arrays.stream(a).boxed().toList() : plain(r));
    } catch (Exception | Error e) {
      return errorJson(e);
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  static String uri;
  static String user;
  static String password;

  static String jdbcUrl(String user, String password) {
    URI u = URI.create(uri);
    return "jdbc:arrow-flight-sql://" + u.getHost() + ":" + u.getPort()
        + "?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8)
        + "&password=" + URLEncoder.encode(password, StandardCharsets.UTF_8)
        + "&useEncryption=false";
  }

  static Connection connect() throws StepFailure {
    return step("DriverManager.getConnection", () -> DriverManager.getConnection(jdbcUrl(user, password)));
  }

  static List<Map<String, Object>> columns(ResultSetMetaData md) throws SQLException {
    List<Map<String, Object>> cols = new ArrayList<>();
    for (int c = 1; c <= md.getColumnCount(); c++) {
      cols.add(obj(
          "label", md.getColumnLabel(c),
          "name", md.getColumnName(c),
          "type", md.getColumnType(c),
          "type_name", md.getColumnTypeName(c),
          "class", md.getColumnClassName(c),
          "precision", md.getPrecision(c),
          "scale", md.getScale(c),
          "nullable", md.isNullable(c)));
    }
    return cols;
  }

  /** Every row as a list of getObject values. */
  static List<List<Object>> rows(ResultSet rs) throws SQLException {
    List<List<Object>> out = new ArrayList<>();
    int n = rs.getMetaData().getColumnCount();
    while (rs.next()) {
      List<Object> row = new ArrayList<>();
      for (int c = 1; c <= n; c++) row.add(plain(rs.getObject(c)));
      out.add(row);
    }
    rs.close();
    return out;
  }

  /** Every row as a map from column label to getObject value (for DatabaseMetaData results). */
  static List<Map<String, Object>> records(ResultSet rs) throws SQLException {
    List<Map<String, Object>> out = new ArrayList<>();
    ResultSetMetaData md = rs.getMetaData();
    while (rs.next()) {
      Map<String, Object> row = new LinkedHashMap<>();
      for (int c = 1; c <= md.getColumnCount(); c++) row.put(md.getColumnLabel(c), plain(rs.getObject(c)));
      out.add(row);
    }
    rs.close();
    return out;
  }

  static List<List<Object>> query(Connection conn, String sql) throws StepFailure {
    return step("executeQuery " + sql, () -> {
      try (Statement st = conn.createStatement()) {
        return rows(st.executeQuery(sql));
      }
    });
  }

  static int update(Connection conn, String sql) throws StepFailure {
    return step("executeUpdate " + sql, () -> {
      try (Statement st = conn.createStatement()) {
        return st.executeUpdate(sql);
      }
    });
  }

  static List<Object> updates(Connection conn, String... sqls) throws StepFailure {
    List<Object> counts = new ArrayList<>();
    for (String sql : sqls) counts.add(update(conn, sql));
    return counts;
  }

  static Object scalar(Connection conn, String sql) throws StepFailure {
    List<List<Object>> r = query(conn, sql);
    if (r.size() != 1 || r.get(0).size() != 1) {
      throw new StepFailure("scalar " + sql, new IllegalStateException("expected one value, got " + r));
    }
    return r.get(0).get(0);
  }

  // ---- scenarios -----------------------------------------------------------------------------

  static final String TYPES_QUERY = """
      SELECT * FROM (VALUES
        (1::INTEGER, 10000000000::BIGINT, 1.5::DOUBLE, 'héllo'::VARCHAR, DATE '2024-02-29',
         TIMESTAMP '2024-02-29 13:14:15.123456', 1234.567::DECIMAL(18,3), true),
        (2, -1, -0.25, '', DATE '1970-01-01', TIMESTAMP '1970-01-01 00:00:00', -0.001, false),
        (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
      ) AS t(i, b, d, s, dt, ts, dec, flag) ORDER BY i NULLS LAST""";

  static Object connectScenario() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    try (Connection conn = connect()) {
      DatabaseMetaData md = step("getMetaData", conn::getMetaData);
      out.put("product_name", step("getDatabaseProductName", md::getDatabaseProductName));
      out.put("product_version", step("getDatabaseProductVersion", md::getDatabaseProductVersion));
      out.put("driver_name", md.getDriverName());
      out.put("driver_version", md.getDriverVersion());
      out.put("is_valid", step("isValid", () -> conn.isValid(10)));
      out.put("answer", query(conn, "SELECT 42 AS answer"));
    }
    out.put("wrong_password", expectError(() -> {
      try (Connection c = DriverManager.getConnection(jdbcUrl(user, password + "-wrong"))) {
        return "connected";
      }
    }));
    out.put("unknown_user", expectError(() -> {
      try (Connection c = DriverManager.getConnection(jdbcUrl("mallory", password))) {
        return "connected";
      }
    }));
    return out;
  }

  static Object queryTypesScenario() throws Exception {
    try (Connection conn = connect(); Statement st = conn.createStatement()) {
      ResultSet rs = step("executeQuery", () -> st.executeQuery(TYPES_QUERY));
      List<Map<String, Object>> cols = columns(rs.getMetaData());
      List<List<Object>> objects = new ArrayList<>();
      List<List<Object>> strings = new ArrayList<>();
      List<List<Object>> classes = new ArrayList<>();
      List<List<Object>> wasNull = new ArrayList<>();
      List<Object> typed = new ArrayList<>();
      int n = cols.size();
      while (rs.next()) {
        List<Object> o = new ArrayList<>();
        List<Object> s = new ArrayList<>();
        List<Object> k = new ArrayList<>();
        List<Object> w = new ArrayList<>();
        for (int c = 1; c <= n; c++) {
          Object v = rs.getObject(c);
          o.add(plain(v));
          k.add(v == null ? null : v.getClass().getName());
          s.add(rs.getString(c));
          w.add(rs.wasNull());
        }
        // Typed getters, as an application would call them.
        typed.add(obj(
            "getInt", rs.getInt(1),
            "getLong", rs.getLong(2),
            "getDouble", rs.getDouble(3),
            "getString", rs.getString(4),
            "getDate", plain(rs.getDate(5)),
            "getTimestamp", plain(rs.getTimestamp(6)),
            "getBigDecimal", plain(rs.getBigDecimal(7)),
            "getBoolean", rs.getBoolean(8)));
        objects.add(o);
        strings.add(s);
        classes.add(k);
        wasNull.add(w);
      }
      rs.close();
      return obj("columns", cols, "rows", objects, "strings", strings, "classes", classes,
          "was_null", wasNull, "typed", typed);
    }
  }

  static Object updateScenario() throws Exception {
    try (Connection conn = connect()) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("counts", updates(conn,
          "CREATE TABLE jd_upd (id INTEGER PRIMARY KEY, name VARCHAR)",
          "INSERT INTO jd_upd VALUES (1, 'a'), (2, 'b'), (3, 'c')",
          "UPDATE jd_upd SET name = name || '!' WHERE id >= 2",
          "DELETE FROM jd_upd WHERE id = 1"));
      // Statement.execute reports whether a result set came back, then the update count.
      out.put("execute_dml", step("execute INSERT", () -> {
        try (Statement st = conn.createStatement()) {
          boolean hasResultSet = st.execute("INSERT INTO jd_upd VALUES (4, 'd'), (5, 'e')");
          return obj("has_result_set", hasResultSet, "update_count", st.getUpdateCount());
        }
      }));
      out.put("execute_query", step("execute SELECT", () -> {
        try (Statement st = conn.createStatement()) {
          boolean hasResultSet = st.execute("SELECT count(*) FROM jd_upd");
          return obj("has_result_set", hasResultSet, "rows", hasResultSet ? rows(st.getResultSet()) : null);
        }
      }));
      out.put("rows", query(conn, "SELECT id, name FROM jd_upd ORDER BY id"));
      return out;
    }
  }

  static Object preparedScenario() throws Exception {
    try (Connection conn = connect()) {
      Map<String, Object> out = new LinkedHashMap<>();
      updates(conn,
          "CREATE TABLE jd_prep (id INTEGER, name VARCHAR, day DATE, ts TIMESTAMP, amount DECIMAL(18,3), "
              + "big BIGINT, ratio DOUBLE, ok BOOLEAN)",
          "INSERT INTO jd_prep VALUES (1, 'one', DATE '2024-01-01', NULL, NULL, NULL, NULL, NULL), "
              + "(2, 'two', DATE '2024-01-02', NULL, NULL, NULL, NULL, NULL), "
              + "(3, 'three', DATE '2024-01-03', NULL, NULL, NULL, NULL, NULL)");

      String sql = "SELECT id, name, day FROM jd_prep WHERE id >= ? AND name <> ? AND day <= ? ORDER BY id";
      try (PreparedStatement ps = step("prepareStatement query", () -> conn.prepareStatement(sql))) {
        ParameterMetaData pmd = step("getParameterMetaData", ps::getParameterMetaData);
        out.put("parameter_count", pmd.getParameterCount());
        List<Object> ptypes = new ArrayList<>();
        for (int i = 1; i <= pmd.getParameterCount(); i++) ptypes.add(pmd.getParameterTypeName(i));
        out.put("parameter_types", ptypes);
        ps.setInt(1, 2);
        ps.setString(2, "three");
        ps.setDate(3, java.sql.Date.valueOf("2024-12-31"));
        out.put("query_rows", step("executeQuery (2, three, 2024-12-31)", () -> rows(ps.executeQuery())));
        // Re-bind and run the same statement again.
        ps.setInt(1, 1);
        ps.setString(2, "two");
        ps.setDate(3, java.sql.Date.valueOf("2024-01-02"));
        out.put("query_rows_rebound", step("executeQuery (1, two, 2024-01-02)", () -> rows(ps.executeQuery())));
      }

      String ins = "INSERT INTO jd_prep VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
      try (PreparedStatement ps = step("prepareStatement insert", () -> conn.prepareStatement(ins))) {
        ps.setInt(1, 10);
        ps.setString(2, "ten");
        ps.setDate(3, java.sql.Date.valueOf("2025-06-01"));
        ps.setTimestamp(4, java.sql.Timestamp.valueOf("2025-06-01 12:34:56.789"));
        ps.setBigDecimal(5, new BigDecimal("98765.432"));
        ps.setLong(6, 9_000_000_000L);
        ps.setDouble(7, 0.125);
        ps.setBoolean(8, true);
        out.put("insert_count", step("executeUpdate insert 10", ps::executeUpdate));
        ps.setInt(1, 11);
        ps.setNull(2, Types.VARCHAR);
        ps.setNull(3, Types.DATE);
        ps.setNull(4, Types.TIMESTAMP);
        ps.setNull(5, Types.DECIMAL);
        ps.setNull(6, Types.BIGINT);
        ps.setNull(7, Types.DOUBLE);
        ps.setNull(8, Types.BOOLEAN);
        out.put("insert_nulls_count", step("executeUpdate insert 11 (NULLs)", ps::executeUpdate));
      }
      try (PreparedStatement ps = step("prepareStatement delete", () -> conn.prepareStatement("DELETE FROM jd_prep WHERE id < ?"))) {
        ps.setInt(1, 3);
        out.put("delete_count", step("executeUpdate delete", ps::executeUpdate));
      }
      out.put("final_rows", query(conn, "SELECT * FROM jd_prep ORDER BY id"));
      return out;
    }
  }

  static Object batchScenario() throws Exception {
    try (Connection conn = connect()) {
      Map<String, Object> out = new LinkedHashMap<>();
      update(conn, "CREATE TABLE jd_batch (id INTEGER, name VARCHAR)");
      try (PreparedStatement ps = step("prepareStatement", () -> conn.prepareStatement("INSERT INTO jd_batch VALUES (?, ?)"))) {
        for (int i = 1; i <= 5; i++) {
          ps.setInt(1, i);
          ps.setString(2, "row" + i);
          ps.addBatch();
        }
        out.put("prepared_batch_counts", step("PreparedStatement.executeBatch", ps::executeBatch));
      }
      out.put("rows_after_prepared_batch", query(conn, "SELECT id, name FROM jd_batch ORDER BY id"));
      // Batches of SQL strings.
      out.put("statement_batch", expectError(() -> {
        try (Statement st = conn.createStatement()) {
          st.addBatch("INSERT INTO jd_batch VALUES (100, 'x'), (101, 'y')");
          st.addBatch("UPDATE jd_batch SET name = upper(name) WHERE id <= 2");
          st.addBatch("DELETE FROM jd_batch WHERE id = 5");
          return st.executeBatch();
        }
      }));
      out.put("rows", query(conn, "SELECT id, name FROM jd_batch ORDER BY id"));
      return out;
    }
  }

  static Object metadataScenario() throws Exception {
    try (Connection conn = connect()) {
      updates(conn,
          "CREATE TABLE md_parent (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, price DECIMAL(10,2))",
          "CREATE TABLE md_child (cid INTEGER, pid INTEGER REFERENCES md_parent(id), note VARCHAR, "
              + "PRIMARY KEY (cid, pid))",
          "CREATE VIEW md_view AS SELECT id, name FROM md_parent");
      DatabaseMetaData md = step("getMetaData", conn::getMetaData);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("product_name", step("getDatabaseProductName", md::getDatabaseProductName));
      out.put("product_version", step("getDatabaseProductVersion", md::getDatabaseProductVersion));
      out.put("identifier_quote", step("getIdentifierQuoteString", md::getIdentifierQuoteString));
      out.put("sql_keywords", step("getSQLKeywords", md::getSQLKeywords));
      out.put("supports_transactions", step("supportsTransactions", md::supportsTransactions));
      out.put("read_only", step("isReadOnly", md::isReadOnly));
      out.put("catalogs", step("getCatalogs", () -> records(md.getCatalogs())));
      out.put("schemas", step("getSchemas()", () -> records(md.getSchemas())));
      out.put("schemas_filtered", step("getSchemas(test, ma%)", () -> records(md.getSchemas("test", "ma%"))));
      out.put("table_types", step("getTableTypes", () -> records(md.getTableTypes())));
      out.put("tables_all", step("getTables(null, null, md%, null)", () -> records(md.getTables(null, null, "md%", null))));
      out.put("tables_table", step("getTables(test, main, md\\_%, [TABLE])",
          () -> records(md.getTables("test", "main", "md\\_%", new String[] {"TABLE"}))));
      out.put("tables_view", step("getTables(null, main, md%, [VIEW])",
          () -> records(md.getTables(null, "main", "md%", new String[] {"VIEW"}))));
      out.put("tables_none", step("getTables(null, null, no_such%, null)",
          () -> records(md.getTables(null, null, "no_such%", null))));
      out.put("columns_parent", step("getColumns(md_parent)", () -> records(md.getColumns(null, null, "md_parent", null))));
      out.put("columns_child_p", step("getColumns(md_child, p%)", () -> records(md.getColumns(null, null, "md_child", "p%"))));
      out.put("primary_keys_parent", step("getPrimaryKeys(md_parent)", () -> records(md.getPrimaryKeys(null, null, "md_parent"))));
      out.put("primary_keys_child", step("getPrimaryKeys(md_child)", () -> records(md.getPrimaryKeys(null, null, "md_child"))));
      out.put("imported_keys", step("getImportedKeys(md_child)", () -> records(md.getImportedKeys(null, null, "md_child"))));
      out.put("exported_keys", step("getExportedKeys(md_parent)", () -> records(md.getExportedKeys(null, null, "md_parent"))));
      out.put("cross_reference", step("getCrossReference(md_parent, md_child)",
          () -> records(md.getCrossReference(null, null, "md_parent", null, null, "md_child"))));
      return out;
    }
  }

  static Object transactionsScenario() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    try (Connection conn = connect(); Connection other = connect()) {
      update(conn, "CREATE TABLE jd_tx (id INTEGER)");
      String count = "SELECT count(*) FROM jd_tx";
      out.put("supports_transactions", step("supportsTransactions", () -> conn.getMetaData().supportsTransactions()));
      step("setAutoCommit(false)", () -> {
        conn.setAutoCommit(false);
        return null;
      });
      out.put("auto_commit", conn.getAutoCommit());
      out.put("rollback_insert_count", update(conn, "INSERT INTO jd_tx VALUES (1)"));
      out.put("inside_before_rollback", scalar(conn, count));
      out.put("other_before_rollback", scalar(other, count));
      step("rollback", () -> {
        conn.rollback();
        return null;
      });
      out.put("after_rollback", scalar(other, count));
      out.put("commit_insert_count", update(conn, "INSERT INTO jd_tx VALUES (2)"));
      out.put("other_before_commit", scalar(other, count));
      step("commit", () -> {
        conn.commit();
        return null;
      });
      out.put("rows_after_commit", query(other, "SELECT id FROM jd_tx ORDER BY id"));
      step("setAutoCommit(true)", () -> {
        conn.setAutoCommit(true);
        return null;
      });
    }
    return out;
  }

  static Object badSqlScenario() throws Exception {
    try (Connection conn = connect()) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("syntax_error", expectError(() -> query(conn, "SELEC 1")));
      out.put("missing_table", expectError(() -> query(conn, "SELECT * FROM no_such_table")));
      out.put("update_missing_table", expectError(() -> update(conn, "INSERT INTO no_such_table VALUES (1)")));
      out.put("prepare_error", expectError(() -> {
        try (PreparedStatement ps = conn.prepareStatement("SELECT * FROM no_such_table WHERE x = ?")) {
          return "prepared";
        }
      }));
      out.put("still_serving", scalar(conn, "SELECT 1"));
      return out;
    }
  }

  interface Scenario {
    Object run() throws Exception;
  }

  static final Map<String, Scenario> SCENARIOS = new LinkedHashMap<>();

  static {
    SCENARIOS.put("connect", QuiverJdbcClient::connectScenario);
    SCENARIOS.put("query_types", QuiverJdbcClient::queryTypesScenario);
    SCENARIOS.put("update", QuiverJdbcClient::updateScenario);
    SCENARIOS.put("prepared", QuiverJdbcClient::preparedScenario);
    SCENARIOS.put("batch", QuiverJdbcClient::batchScenario);
    SCENARIOS.put("metadata", QuiverJdbcClient::metadataScenario);
    SCENARIOS.put("transactions", QuiverJdbcClient::transactionsScenario);
    SCENARIOS.put("bad_sql", QuiverJdbcClient::badSqlScenario);
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: QuiverJdbcClient grpc://HOST:PORT USER PASSWORD SCENARIO...");
      System.err.println("scenarios: all " + String.join(" ", SCENARIOS.keySet()));
      System.exit(2);
    }
    // The driver logs allocator details at INFO through java.util.logging; keep stderr for errors.
    java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
    // Timestamps without a time zone read back as their wall-clock value in the JVM's zone.
    TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
    uri = args[0];
    user = args[1];
    password = args[2];
    List<String> names = new ArrayList<>(Arrays.asList(args).subList(3, args.length));
    if (names.equals(List.of("all"))) names = new ArrayList<>(SCENARIOS.keySet());
    for (String n : names) {
      if (!SCENARIOS.containsKey(n)) {
        System.err.println("unknown scenario " + n + "; scenarios: all " + String.join(" ", SCENARIOS.keySet()));
        System.exit(2);
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    boolean failed = false;
    for (String n : names) {
      long start = System.nanoTime();
      try {
        out.put(n, SCENARIOS.get(n).run());
      } catch (Exception | Error e) {
        failed = true;
        out.put(n, errorJson(e));
        System.err.println("scenario " + n + " failed:");
        e.printStackTrace();
      }
      System.err.printf("scenario %s took %d ms%n", n, (System.nanoTime() - start) / 1_000_000);
    }
    System.out.println(json(out));
    System.out.flush();
    System.exit(failed ? 1 : 0);
  }
}
