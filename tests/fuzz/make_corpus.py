#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/seed-*.

Seeds are small, valid (or nearly valid) inputs that show the fuzzer each input format; the
committed files are this script's output, so `make_corpus.py` regenerates them exactly. Inputs
that crashed a target once are kept next to them as crash-<target>-<what> and are never
regenerated here. Run with the project venv: .venv/bin/python tests/fuzz/make_corpus.py
"""
import struct
import sys
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parents[1] / "tests" / "interop"))
from wire import (any_message, cancel_flight_info_request, close_prepared_request,  # noqa: E402
                  command, create_prepared_request, field_bytes, field_varint, get_sql_info,
                  path_descriptor, renew_flight_endpoint_request, set_session_options_request,
                  statement_query, statement_update, SQL)

CORPUS = ROOT / "corpus"


def write(target: str, seeds: dict):
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("seed-*"):
        old.unlink()
    for name, data in seeds.items():
        (directory / f"seed-{name}").write_bytes(data if isinstance(data, bytes) else data.encode())


def ipc(batch_or_schema) -> bytes:
    sink = pa.BufferOutputStream()
    schema = batch_or_schema if isinstance(batch_or_schema, pa.Schema) else batch_or_schema.schema
    with pa.ipc.new_stream(sink, schema) as writer:
        if not isinstance(batch_or_schema, pa.Schema):
            writer.write_batch(batch_or_schema)
    return sink.getvalue().to_pybytes()


# --- sql_text --------------------------------------------------------------------------------
write("sql_text", {
    "select": "SELECT 1",
    "format-arrow": "SELECT * FROM t FORMAT Arrow;",
    "format-json": "select 'it''s' AS x -- comment\n/* block */ FORMAT JSON",
    "insert": 'INSERT INTO db.main."my ""table""" (a, "b c", `d`) FORMAT Arrow',
    "insert-parquet": "insert into t format Parquet ;;",
    "unterminated": "SELECT 'abc FORMAT Arrow",
    "comment-open": "SELECT 1 /* FORMAT Arrow",
    "dotted": "a.b.c.d",
    "utf8": "SELECT 'é' AS \"ü\" FORMAT arrow",
})

# --- config_yaml -----------------------------------------------------------------------------
write("config_yaml", {
    "all": """host: 0.0.0.0
port: 12345
database: /tmp/some.duckdb
allow_anonymous: true
tickets_lifetime_seconds: 30
cancel_ticket_after_do_get: true
tickets_memory_budget_bytes: 0
spill_directory: /tmp
default_session_timeout: 10
max_session_timeout: 20
enable_arrow_close_session: false
poll_descriptors_lifetime_seconds: 5
cancel_flight_descriptor_after_poll_flight_info: true
max_prepared_statements_per_user: 3
prepared_statements_lifetime_seconds: 60
max_batch_bytes: 65536
max_command_bytes: 4096
shutdown_grace_seconds: 7
max_concurrent_queries: 4
max_tickets_per_user: 10
query_timeout_seconds: 30
users:
  - name: alice
    password: secret
  - name: bob
    password_sha256: BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD
tokens:
  - user: alice
    token: a-long-static-token
""",
    "tls": "tls:\n  enabled: true\n  cert_file: server.pem\n  key_file: server.key\n"
           "  client_ca_file: ca.pem\n",
    "flight": "flight_connections:\n  - name: remote\n    location: grpc+tls://example:8815\n"
              "    user: bob\n    password: hunter2-hunter2\n    tls_root_certs_file: ca.pem\n"
              "    tls_skip_verify: true\n",
    "flow": "{host: localhost, port: 0, users: [{name: a, password: ''}]}",
    "bad-type": "port: [1, 2]\n",
    "anchors": "users:\n  - &u {name: x, password: y}\n  - *u\n",
})

# --- descriptor_ticket (first byte: kind | limit << 2) -------------------------------------
write("descriptor_ticket", {
    "path": b"\x00my table",
    "path-3": b"\x00cloudquery\x00arrowflight\x00items",
    "cmd-sql": b"\x01SELECT * FROM t FORMAT Arrow",
    "cmd-insert": b"\x01INSERT INTO s.t (a, b) FORMAT Arrow",
    "cmd-any": b"\x01" + statement_query("SELECT 1"),
    "cmd-poll": b"\x01~POLL-1234",
    "cmd-limit": bytes([1 | 4 << 2]) + b"SELECT 12345",
    "ticket-stored": b"\x02~TICKET-0000-1111",
    "ticket-sql": b"\x02SELECT 1 FORMAT JSON",
    "wire-path": b"\x03" + path_descriptor("t"),
    "wire-cmd": b"\x03" + field_varint(1, 2) + field_bytes(2, b"SELECT 1"),
})

# --- flight_sql_command ----------------------------------------------------------------------
def s(number, text):
    return field_bytes(number, text.encode())


write("flight_sql_command", {
    "statement-query": statement_query("SELECT 42 FORMAT Arrow", b"tx"),
    "statement-update": statement_update("INSERT INTO t FORMAT Arrow"),
    "ingest": command("CommandStatementIngest", s(2, "tbl") + s(3, "main") + s(4, "memory")),
    "sql-info": get_sql_info(0, 1, 504, 508, 9999),
    "xdbc": command("CommandGetXdbcTypeInfo", field_varint(1, 12)),
    "catalogs": command("CommandGetCatalogs"),
    "schemas": command("CommandGetDbSchemas", s(1, "memory") + s(2, "ma%")),
    "tables": command("CommandGetTables", s(2, "%") + s(3, "p_r%") + s(4, "BASE TABLE")
                      + s(4, "VIEW") + field_varint(5, 1)),
    "tables-quote": command("CommandGetTables", s(3, "x' OR '1'='1") + s(4, "it's")),
    "tables-escape": command("CommandGetTables", s(3, "odd\\")),
    "table-types": command("CommandGetTableTypes"),
    "primary-keys": command("CommandGetPrimaryKeys", s(1, "memory") + s(2, "s") + s(3, "other")),
    "exported": command("CommandGetExportedKeys", s(3, "parent")),
    "imported": command("CommandGetImportedKeys", s(2, "main") + s(3, "child")),
    "cross": command("CommandGetCrossReference", s(3, "parent") + s(5, "main") + s(6, "child")),
    "prepared": command("CommandPreparedStatementQuery", field_bytes(1, b"handle")),
    "ticket": command("TicketStatementQuery", field_bytes(1, b"h")),
    "other-package": any_message("google.protobuf.Empty"),
})

# --- action_body (first byte: action) --------------------------------------------------------
endpoint = field_bytes(1, field_bytes(1, b"~TICKET-1")) + field_bytes(2, field_bytes(1, b"grpc://h:1"))
info = field_bytes(2, path_descriptor("t")) + field_bytes(3, endpoint) + field_varint(4, 1)
write("action_body", {
    "create-wrapped": b"\x00" + create_prepared_request("SELECT ? FORMAT Arrow"),
    "create-bare": b"\x00" + create_prepared_request("SELECT 1", wrapped=False),
    "close": b"\x01" + close_prepared_request(b"handle"),
    "end-tx": b"\x02" + any_message(SQL + "ActionEndTransactionRequest",
                                    field_bytes(1, b"tx") + field_varint(2, 1)),
    "end-tx-bare": b"\x02" + field_bytes(1, b"tx") + field_varint(2, 2),
    "cancel": b"\x03" + cancel_flight_info_request(info),
    "renew": b"\x04" + renew_flight_endpoint_request(endpoint),
    "session-options": b"\x05" + set_session_options_request(
        {"schema": "main", "TimeZone": "UTC", "default_null_order": "nulls_last",
         "enable_progress_bar": False, "errors_as_json": None, "x": 1.5,
         "x_list": ["main", "temp"], "bad name!": 3}),
    "session-search-path": b"\x05" + set_session_options_request({"search_path": "main"}),
})

# --- session_headers (first byte: bit 0 allows closing) ----------------------------------------
write("session_headers", {
    "clickhouse": b"\x01x-clickhouse-session-id: abc\nx-clickhouse-session-timeout: 30\n"
                  b"x-clickhouse-session-check: 0\nx-clickhouse-session-close: 1\n",
    "check": b"\x00x-clickhouse-session-id: s1\nx-clickhouse-session-check: 1\n",
    "bad-timeout": b"\x00x-clickhouse-session-id: s1\nx-clickhouse-session-timeout: -5\n",
    "big-timeout": b"\x00x-clickhouse-session-id: s1\nx-clickhouse-session-timeout: 99999999999\n",
    "cookie": b"\x00cookie: a=1; arrow_flight_session_id=\"f00d\"; b=2\n",
    "cookies": b"\x00cookie: arrow_flight_session_id=\ncookie: x=y;arrow_flight_session_id=z\n",
})

# --- auth_headers (first byte: bit 0 Handshake, bit 1 users configured) ------------------------
write("auth_headers", {
    "basic": b"\x00authorization: Basic ZGVmYXVsdDo=\n",
    "basic-alice": b"\x02Authorization: basic YWxpY2U6c2VjcmV0\n",
    "basic-unpadded": b"\x02authorization: Basic YWxpY2U6c2VjcmV0\n",
    "basic-bad": b"\x00authorization: Basic !!!\n",
    "bearer": b"\x00authorization: Bearer sometoken\n",
    "bearer-none": b"\x00authorization: Bearer None\n",
    "token-bin": b"\x02auth-token-bin: permanent-token\n",
    "unsupported": b"\x00authorization: Digest x\n",
    "handshake-password": b"\x03\n\nalice:secret",
    "handshake-token": b"\x03\n\npermanent-token",
    "handshake-anonymous": b"\x01\n\n",
})

# --- ipc_ingest (first byte: target) ---------------------------------------------------------
batch = pa.record_batch({
    "i": pa.array([1, None, 3], pa.int64()),
    "s": pa.array(["a", "bé", None]),
    "d": pa.array([0.5, float("nan"), None]),
    "b": pa.array([b"\x00\x01", None, b""], pa.binary()),
    "ts": pa.array([0, 1_700_000_000_000_000, None], pa.timestamp("us")),
    "l": pa.array([[1, 2], None, []], pa.list_(pa.int32())),
    "st": pa.array([{"a": 1, "b": "x"}, None, {"a": None, "b": None}],
                   pa.struct([("a", pa.int32()), ("b", pa.string())])),
    "dec": pa.array([1, None, 3], pa.decimal128(18, 3)),
    "flag": pa.array([True, False, None]),
    "day": pa.array([0, 19000, None], pa.date32()),
    "m": pa.array([[("k", 1)], None, []], pa.map_(pa.string(), pa.int32())),
})
odd = pa.record_batch({
    "u8": pa.array([1, 2], pa.uint8()),
    "f16": pa.array([1.5, None], pa.float16()),
    "dict": pa.array(["x", "y"]).dictionary_encode(),
    "ls": pa.array(["long", None], pa.large_string()),
    "sv": pa.array(["view", "v"], pa.string_view()),
    "dur": pa.array([1, 2], pa.duration("ms")),
    "iv": pa.array([pa.MonthDayNano([1, 2, 3]), None], pa.month_day_nano_interval()),
    "fsb": pa.array([b"ab", b"cd"], pa.binary(2)),
    "null": pa.nulls(2),
    "tz": pa.array([1, 2], pa.timestamp("ns", "Europe/Paris")),
    "t64": pa.array([1, 2], pa.time64("us")),
    "u": pa.array([1, 2], pa.uint64()),
})
write("ipc_ingest", {
    "create": b"\x00" + ipc(batch),
    "append": b"\x01" + ipc(batch),
    "columns": b"\x02" + ipc(batch.select(["s", "i"])),
    "temp": b"\x03" + ipc(batch.select(["i", "l"])),
    "odd-types": b"\x00" + ipc(odd),
    "schema-only": b"\x00" + ipc(batch.schema),
    "empty-batch": b"\x01" + ipc(batch.slice(0, 0)),
    "name-quotes": b"\x00" + ipc(pa.record_batch({'a "b"': [1], "": [2], "I": [3]})),
})

# --- cloudquery_action (first byte: MigrateTable / DeleteStale / DeleteRecord) -----------------
pk = {b"cq:extension:primary_key": b"true"}
items = pa.schema([pa.field("id", pa.int64(), False, metadata=pk), pa.field("name", pa.string()),
                   pa.field("_cq_source_name", pa.string()),
                   pa.field("_cq_sync_time", pa.timestamp("us", "UTC"))],
                  metadata={b"cq:table_name": b"items"})
other = pa.schema([pa.field("k", pa.string(), False, metadata=pk), pa.field("v", pa.float64())],
                  metadata={b"cq:table_name": b"other table"})
timestamp = field_varint(1, 1_700_000_000)


def predicate(column, values, arrow_type):
    record = ipc(pa.record_batch({column: pa.array(values, arrow_type)}))
    return field_bytes(2, s(2, column) + field_bytes(3, record))


write("cloudquery_action", {
    "migrate-items": b"\x00" + field_bytes(1, ipc(items)),
    "migrate-other": b"\x00" + field_bytes(1, ipc(other)) + field_varint(2, 1),
    "migrate-changed": b"\x00" + field_bytes(1, ipc(items.remove(1).append(
        pa.field("name", pa.int32())))) + field_varint(2, 1),
    "delete-stale": b"\x01" + s(2, "source") + field_bytes(3, timestamp) + s(4, "items"),
    "delete-stale-schema": b"\x01" + field_bytes(1, ipc(items)) + s(2, "src"),
    "delete-record": b"\x02" + s(1, "items") + field_bytes(2, predicate("id", [1, 2], pa.int64())),
    "delete-record-or": b"\x02" + s(1, "items") + field_bytes(
        2, field_varint(1, 1) + predicate("name", ["a", None], pa.string())
        + predicate("id", [3], pa.int64())) + field_bytes(3, s(1, "items") + s(2, "items")),
})
print(f"seed corpora written under {CORPUS}")
