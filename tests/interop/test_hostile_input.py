"""Hostile input beyond test_bad_input.py: corrupt and lying IPC in DoPut, oversized and
numerous batches, deep nesting, huge values, and one user reaching for another user's session or
prepared statement. Each gets a clear error with the right status code (or works), nothing
partial is stored, and the server still answers a query afterwards."""
import base64
import itertools
import struct
import time

import grpc
import pyarrow as pa
import pyarrow.flight as flight
import pytest

import wire
from conftest import assert_still_serving

MIB = 1024 * 1024
USERS = """\
users:
  - {name: alice, password: alice-pw}
  - {name: bob, password: bob-pw}
"""


def connect(server, user="default", password=""):
    client = server.client()
    return client, flight.FlightCallOptions(headers=[client.authenticate_basic_token(user, password)])


def run(client, options, sql):
    return client.do_get(flight.Ticket(sql.encode()), options).read_all()


def table_rows(client, options, table):
    exists = run(client, options, f"SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = '{table}'")
    if exists.column("n")[0].as_py() == 0:
        return None
    return run(client, options, f"SELECT count(*) AS n FROM {table}").column("n")[0].as_py()


class RawFlight:
    """DoPut with hand-made FlightData messages, through plain gRPC."""

    def __init__(self, server, max_send=None):
        options = [("grpc.max_send_message_length", max_send)] if max_send else []
        self.channel = grpc.insecure_channel(f"127.0.0.1:{server.port}", options=options)
        self.do_put_call = self.channel.stream_stream("/arrow.flight.protocol.FlightService/DoPut")
        self.auth = [("authorization", "Basic " + base64.b64encode(b"default:").decode())]

    def do_put(self, messages):
        return list(self.do_put_call(iter(messages), metadata=self.auth, timeout=60))

    def close(self):
        self.channel.close()


def ipc_message(serialized: bytes):
    """(flatbuffer header, body) of an encapsulated IPC message."""
    length = int.from_bytes(serialized[4:8], "little")
    return serialized[8:8 + length], serialized[8 + length:]


def refused(raw, messages):
    with pytest.raises(grpc.RpcError) as caught:
        raw.do_put(messages)
    code = caught.value.code()
    assert code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNKNOWN), (code, caught.value.details())
    assert caught.value.details()
    return caught.value


def test_corrupt_ipc_bodies_are_refused(server, client, options):
    raw = RawFlight(server)
    descriptor = wire.path_descriptor("victim")
    rows = 100
    batch = pa.record_batch({"id": pa.array(range(rows), pa.int64()),
                             "s": pa.array([chr(65 + i % 26) for i in range(rows)])})
    schema_header, _ = ipc_message(batch.schema.serialize().to_pybytes())
    header, body = ipc_message(batch.serialize().to_pybytes())
    offsets = struct.pack(f"<{rows + 1}i", *range(rows + 1))
    at = body.index(offsets)

    def with_offsets(values):
        patched = bytearray(body)
        patched[at:at + len(offsets)] = struct.pack(f"<{rows + 1}i", *values)
        return bytes(patched)

    good = [wire.flight_data(descriptor, header=schema_header), wire.flight_data(header=header, body=body)]
    cases = {
        # String offsets pointing far outside the data buffer (a middle one, and the last one).
        "offset beyond the data": with_offsets([0] + [1_000_000_000] * (rows // 2) + list(range(rows // 2 + 1, rows + 1))),
        "last offset beyond the data": with_offsets(list(range(rows)) + [1 << 30]),
        # Offsets going backwards (negative lengths).
        "decreasing offsets": with_offsets([0] + list(range(rows, 0, -1))),
        "negative offset": with_offsets([0, -50] + list(range(2, rows + 1))),
        # The body cut short, or padded with garbage.
        "truncated body": body[: len(body) // 2],
        "empty body": b"",
        "random body": bytes((i * 7919) % 251 for i in range(len(body))),
    }
    for name, bad_body in cases.items():
        error = refused(raw, [good[0], good[1], wire.flight_data(header=header, body=bad_body)])
        assert table_rows(client, options, "victim") is None, name
        assert error.details(), name
    # Truncated header flatbuffers (not by a few bytes: those may be only padding).
    for cut in (1, 8, len(header) // 2):
        refused(raw, [good[0], wire.flight_data(header=header[:cut], body=body)])
        refused(raw, [wire.flight_data(descriptor, header=schema_header[:cut])])
    assert table_rows(client, options, "victim") is None
    raw.do_put(good)
    assert table_rows(client, options, "victim") == rows
    raw.close()
    assert_still_serving(server, options)


def test_schema_that_lies_about_the_batches(server, client, options):
    raw = RawFlight(server)
    descriptor = wire.path_descriptor("liar")
    ints = pa.record_batch({"v": pa.array(range(1000), pa.int32())})
    strings = pa.record_batch({"v": pa.array([str(i) for i in range(1000)])})
    two = pa.record_batch({"a": pa.array(range(10), pa.int64()), "b": pa.array(range(10), pa.int64())})
    nested = pa.record_batch({"v": pa.array([[i] for i in range(10)], pa.list_(pa.int64()))})

    def schema_of(batch):
        return ipc_message(batch.schema.serialize().to_pybytes())[0]

    cases = [
        # int64 announced, int32 buffers sent (half the bytes the rows need).
        (pa.schema([("v", pa.int64())]), ints),
        # String announced, fixed-width buffers sent (one buffer short).
        (pa.schema([("v", pa.string())]), ints),
        # Three columns announced, two sent.
        (pa.schema([("a", pa.int64()), ("b", pa.int64()), ("c", pa.int64())]), two),
        # A list announced, a flat column sent, and the other way round.
        (pa.schema([("v", pa.list_(pa.int32()))]), ints),
        (pa.schema([("v", pa.int64())]), nested),
    ]
    for schema, batch in cases:
        header, body = ipc_message(batch.serialize().to_pybytes())
        schema_header = ipc_message(schema.serialize().to_pybytes())[0]
        refused(raw, [wire.flight_data(descriptor, header=schema_header), wire.flight_data(header=header, body=body)])
        assert table_rows(client, options, "liar") is None, schema
    # Bytes that are also valid for the announced schema are read as announced: int32 read from
    # a string column's offsets, the first of two columns. Nothing beyond the buffers is read.
    for name, schema, batch, expected in [
            ("liar_offsets", pa.schema([("v", pa.int32())]), strings, list(itertools.accumulate([0] + [len(str(i)) for i in range(999)]))),
            ("liar_first", pa.schema([("a", pa.int64())]), two, list(range(10)))]:
        header, body = ipc_message(batch.serialize().to_pybytes())
        schema_header = ipc_message(schema.serialize().to_pybytes())[0]
        raw.do_put([wire.flight_data(wire.path_descriptor(name), header=schema_header),
                    wire.flight_data(header=header, body=body)])
        stored = run(client, options, f"SELECT * FROM {name}")
        assert stored.schema.names == schema.names
        assert stored.column(0).to_pylist() == expected
    # A record batch claiming more rows than its buffers hold.
    header, body = ipc_message(ints.slice(0, 10).serialize().to_pybytes())
    bigger, _ = ipc_message(ints.serialize().to_pybytes())
    refused(raw, [wire.flight_data(descriptor, header=schema_of(ints)), wire.flight_data(header=bigger, body=body)])
    assert table_rows(client, options, "liar") is None
    raw.close()
    assert_still_serving(server, options)


def test_ten_thousand_tiny_batches(server, client, options):
    schema = pa.schema([("i", pa.int64()), ("s", pa.string())])
    started = time.monotonic()
    writer, _ = client.do_put(flight.FlightDescriptor.for_path("tiny"), schema, options)
    for i in range(10_000):
        writer.write_batch(pa.record_batch({"i": pa.array([i], pa.int64()), "s": pa.array([str(i)])}, schema=schema))
    writer.close()
    elapsed = time.monotonic() - started
    result = run(client, options, "SELECT count(*) AS n, sum(i) AS total, count(DISTINCT s) AS d FROM tiny")
    assert result.to_pylist() == [{"n": 10_000, "total": 10_000 * 9_999 // 2, "d": 10_000}]
    assert elapsed < 60, elapsed
    assert_still_serving(server, options)


def test_oversized_messages(start_server):
    # With max_put_bytes, one batch larger than the limit is refused as soon as it arrives.
    server = start_server(f"max_put_bytes: {8 * MIB}\n")
    client, options = connect(server)
    big = pa.record_batch({"v": pa.array(range(4 * MIB), pa.int64())})  # 32 MiB
    with pytest.raises(pa.ArrowInvalid, match="max_put_bytes"):
        writer, _ = client.do_put(flight.FlightDescriptor.for_path("huge"), big.schema, options)
        writer.write_batch(big)
        writer.close()
    assert table_rows(client, options, "huge") is None
    # A FlightData message whose declared body is larger than what is sent.
    raw = RawFlight(server)
    schema_header, _ = ipc_message(big.schema.serialize().to_pybytes())
    header, body = ipc_message(big.slice(0, 1024).serialize().to_pybytes())
    refused(raw, [wire.flight_data(wire.path_descriptor("huge"), header=schema_header),
                  wire.flight_data(header=ipc_message(big.serialize().to_pybytes())[0], body=body)])
    raw.close()
    assert table_rows(client, options, "huge") is None
    assert_still_serving(server, options)


def nested_list_type(depth):
    t = pa.int64()
    for _ in range(depth):
        t = pa.list_(t)
    return t


def nested_list_value(depth, leaf):
    v = leaf
    for _ in range(depth):
        v = [v]
    return v


def nested_struct_type(depth):
    t = pa.int64()
    for level in range(depth):
        t = pa.struct([(f"f{level}", t)])
    return t


def nested_struct_value(depth, leaf):
    v = leaf
    for level in range(depth):
        v = {f"f{level}": v}
    return v


@pytest.mark.parametrize("kind, depth", [("list", 50), ("struct", 50), ("list", 200), ("struct", 200)])
def test_deeply_nested_types(server, client, options, kind, depth):
    make_type, make_value = (nested_list_type, nested_list_value) if kind == "list" else (nested_struct_type, nested_struct_value)
    column = pa.array([make_value(depth, i) for i in range(3)], make_type(depth))
    batch = pa.record_batch({"deep": column})
    table = f"deep_{kind}_{depth}"
    try:
        writer, _ = client.do_put(flight.FlightDescriptor.for_path(table), batch.schema, options)
        writer.write_batch(batch)
        writer.close()
    except (pa.ArrowInvalid, flight.FlightServerError, flight.FlightInternalError) as error:
        # Too deep for Arrow's IPC reader (64 levels) or DuckDB: a clear error, nothing stored.
        assert depth > 64, error
        assert str(error)
        assert table_rows(client, options, table) is None
    else:
        back = run(client, options, f"SELECT * FROM {table}")
        assert back.num_rows == 3
        assert back.column("deep").to_pylist() == column.to_pylist()
    assert_still_serving(server, options)


def test_huge_string_value(server, client, options):
    value = "q" * (64 * MIB)
    batch = pa.record_batch({"id": pa.array([1, 2], pa.int64()), "s": pa.array([value, "small"], pa.large_string())})
    writer, _ = client.do_put(flight.FlightDescriptor.for_path("huge_strings"), batch.schema, options)
    writer.write_batch(batch)
    writer.close()
    lengths = run(client, options, "SELECT id, length(s) AS n FROM huge_strings ORDER BY id")
    assert lengths.to_pylist() == [{"id": 1, "n": 64 * MIB}, {"id": 2, "n": 5}]
    back = run(client, options, "SELECT s FROM huge_strings WHERE id = 1")
    assert back.column("s")[0].as_py() == value
    # A result value larger than the gRPC limit a Go client would accept is still sent whole.
    info = client.get_flight_info(flight.FlightDescriptor.for_command("SELECT s FROM huge_strings ORDER BY id"), options)
    assert info.total_records == 2
    assert client.do_get(info.endpoints[0].ticket, options).read_all().column("s")[1].as_py() == "small"
    assert_still_serving(server, options)


def test_wide_schema(server, client, options):
    columns = {f"c{i}": pa.array([i], pa.int32()) for i in range(2000)}
    batch = pa.record_batch(columns)
    writer, _ = client.do_put(flight.FlightDescriptor.for_path("wide"), batch.schema, options)
    writer.write_batch(batch)
    writer.close()
    assert run(client, options, "SELECT c0, c1999 FROM wide").to_pylist() == [{"c0": 0, "c1999": 1999}]
    assert_still_serving(server, options)


# --- Another user's session and prepared statements --------------------------------------------

@pytest.fixture
def two_users(start_server):
    server = start_server(USERS)
    alice = connect(server, "alice", "alice-pw")
    bob = connect(server, "bob", "bob-pw")
    return server, alice, bob


def in_session(options, session_id, **extra):
    headers = list(options.headers) + [(b"x-clickhouse-session-id", session_id.encode())]
    headers += [(f"x-clickhouse-session-{k}".encode(), str(v).encode()) for k, v in extra.items()]
    return flight.FlightCallOptions(headers=headers)


def test_another_users_session_id_is_not_theirs(two_users):
    server, (alice, alice_options), (bob, bob_options) = two_users
    run(alice, alice_options, "CREATE TABLE ledger (v INTEGER)")
    a = in_session(alice_options, "alice-session")
    run(alice, a, "CREATE TEMP TABLE secrets AS SELECT 'alice only' AS s")
    run(alice, a, "SET VARIABLE pin = 1234")
    run(alice, a, "BEGIN TRANSACTION; INSERT INTO ledger VALUES (1)")

    b = in_session(bob_options, "alice-session")
    # Bob's calls with Alice's session id land in a session of Bob's own.
    with pytest.raises(flight.FlightServerError, match="secrets does not exist"):
        run(bob, b, "SELECT * FROM secrets")
    assert run(bob, b, "SELECT getvariable('pin') AS p").column("p").to_pylist() == [None]
    assert run(bob, b, "SELECT count(*) AS n FROM ledger").column("n").to_pylist() == [0]
    # ... which does not exist for him unless he made it, and closing it closes only his.
    with pytest.raises(pa.ArrowInvalid, match="Session other-alice-session not found"):
        run(bob, in_session(bob_options, "other-alice-session", check=1), "SELECT 1")
    run(bob, in_session(bob_options, "alice-session", close=1), "SELECT 1")
    with pytest.raises(flight.FlightServerError, match="no transaction is active"):
        run(bob, in_session(bob_options, "alice-session"), "ROLLBACK")  # not Alice's transaction
    # Alice's session is intact: her temp table, variable and open transaction.
    assert run(alice, a, "SELECT s FROM secrets").column("s").to_pylist() == ["alice only"]
    assert run(alice, a, "SELECT getvariable('pin') AS p").column("p").to_pylist() == [1234]
    assert run(alice, a, "SELECT count(*) AS n FROM ledger").column("n").to_pylist() == [1]
    run(alice, a, "COMMIT")
    assert run(bob, bob_options, "SELECT count(*) AS n FROM ledger").column("n").to_pylist() == [1]

    # The Flight SQL session cookie of Alice, replayed by Bob, does not reach her session either.
    cookie = [(b"cookie", b"arrow_flight_session_id=alice-session")]
    bob_cookie = flight.FlightCallOptions(headers=list(bob_options.headers) + cookie)
    with pytest.raises(flight.FlightServerError, match="secrets does not exist"):
        run(bob, bob_cookie, "SELECT * FROM secrets")
    assert_still_serving(server, alice_options)


def action(client, options, name, body):
    return [result.body.to_pybytes() for result in client.do_action(flight.Action(name, body), options)]


def test_another_users_prepared_statement_is_not_found(two_users):
    server, (alice, alice_options), (bob, bob_options) = two_users
    run(alice, alice_options, "CREATE TABLE notes (v INTEGER)")
    reply = action(alice, alice_options, "CreatePreparedStatement", wire.create_prepared_request("INSERT INTO notes VALUES (?)"))
    handle = wire.fields(wire.unpack_any(reply[0])[1])[1]
    params = pa.record_batch({"p": pa.array([7], pa.int32())})

    def update(client, options, handle):
        descriptor = flight.FlightDescriptor.for_command(wire.command("CommandPreparedStatementUpdate", wire.field_bytes(1, handle)))
        writer, _ = client.do_put(descriptor, params.schema, options)
        writer.write_batch(params)
        writer.close()

    def bind(client, options, handle):
        writer, _ = client.do_put(flight.FlightDescriptor.for_command(wire.prepared_query(handle)), params.schema, options)
        writer.write_batch(params)
        writer.close()

    for attempt in (update, bind):
        with pytest.raises(pa.ArrowKeyError, match="Prepared statement handle not found"):
            attempt(bob, bob_options, handle)
    with pytest.raises(pa.ArrowKeyError, match="Prepared statement handle not found"):
        bob.get_flight_info(flight.FlightDescriptor.for_command(wire.prepared_query(handle)), bob_options)
    # Made-up and mangled handles are not found either.
    for fake in (handle[:-1], handle + b"x", b"\x00" * 64, b"x" * 100_000):
        with pytest.raises(pa.ArrowKeyError, match="Prepared statement handle not found"):
            update(alice, alice_options, fake)
    update(alice, alice_options, handle)
    assert run(alice, alice_options, "SELECT sum(v) AS s FROM notes").column("s").to_pylist() == [7]
    assert_still_serving(server, bob_options)
