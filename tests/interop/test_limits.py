"""Limits: `max_sessions` and `max_put_bytes` (each refusal is a clear error with the right status,
nothing partial is stored, and the server keeps serving), and the limit settings' plumbing."""
import adbc_driver_flightsql.dbapi as adbc
import adbc_driver_manager
import pyarrow as pa
import pyarrow.flight as flight
import pytest

import wire
from conftest import QuiverServer, assert_still_serving

MIB = 1024 * 1024


def connect(server):
    client = server.client()
    return client, client.authenticate_basic_token("default", "")


def run(client, token, sql, **session):
    headers = [token] + [(f"x-clickhouse-session-{k}".encode(), str(v).encode()) for k, v in session.items()]
    return client.do_get(flight.Ticket(sql.encode()), flight.FlightCallOptions(headers=headers)).read_all()


def test_max_sessions(start_server):
    server = start_server("max_sessions: 2\n")
    client, token = connect(server)
    run(client, token, "SET VARIABLE v = 1", id="s1")
    run(client, token, "SET VARIABLE v = 2", id="s2")
    with pytest.raises(flight.FlightUnavailableError, match=r"Too many open sessions \(max_sessions = 2\)"):
        run(client, token, "SELECT 1", id="s3")
    # A Flight SQL cookie session counts the same.
    request = wire.set_session_options_request({"threads": 2})
    with pytest.raises(flight.FlightUnavailableError, match="max_sessions"):
        list(client.do_action(flight.Action("SetSessionOptions", request),
                              flight.FlightCallOptions(headers=[token])))
    # The open sessions and calls without a session go on.
    assert run(client, token, "SELECT getvariable('v') AS v", id="s2").column("v").to_pylist() == [2]
    assert run(client, token, "SELECT 7 AS x").column("x").to_pylist() == [7]
    # Closing one makes room.
    run(client, token, "SELECT 1", id="s1", close=1)
    assert run(client, token, "SELECT getvariable('v') AS v", id="s3").column("v").to_pylist() == [None]
    assert_still_serving(server)


def test_max_sessions_from_the_command_line(tmp_path):
    workdir = tmp_path / "server"
    workdir.mkdir()
    server = QuiverServer(workdir, extra_args=["--max-sessions", "1"])
    try:
        assert "max_sessions=1" in server.log()
        client, token = connect(server)
        run(client, token, "SELECT 1", id="only")
        with pytest.raises(flight.FlightUnavailableError, match="max_sessions = 1"):
            run(client, token, "SELECT 1", id="second")
        client.close()
    finally:
        assert server.stop() == 0


def batches(count, rows=16 * 1024):
    """`count` batches of `rows` int64 ids and doubles: 16 bytes a row."""
    for b in range(count):
        ids = pa.array(range(b * rows, (b + 1) * rows), pa.int64())
        yield pa.record_batch({"id": ids, "v": pa.array([0.5] * rows, pa.float64())})


SCHEMA = pa.schema([("id", pa.int64()), ("v", pa.float64())])


def put(client, options, descriptor, count):
    writer, _ = client.do_put(descriptor, SCHEMA, options)
    for batch in batches(count):
        writer.write_batch(batch)
    writer.close()


def count_rows(client, options, table):
    sql = f"SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = '{table}'"
    if client.do_get(flight.Ticket(sql.encode()), options).read_all().column("n")[0].as_py() == 0:
        return None
    result = client.do_get(flight.Ticket(f"SELECT count(*) AS n FROM {table}".encode()), options).read_all()
    return result.column("n")[0].as_py()


def test_max_put_bytes(start_server):
    server = start_server(f"max_put_bytes: {1 * MIB}\n")
    client = server.client()
    options = flight.FlightCallOptions(headers=[client.authenticate_basic_token("default", "")])
    message = r"DoPut stream exceeds max_put_bytes \(1048576 bytes of Arrow data\)"

    # 3 batches of 256 KiB fit; 5 do not. PATH ingest creating the table: no table is left.
    with pytest.raises(pa.ArrowInvalid, match=message):
        put(client, options, flight.FlightDescriptor.for_path("capped"), 5)
    assert count_rows(client, options, "capped") is None
    put(client, options, flight.FlightDescriptor.for_path("capped"), 3)
    assert count_rows(client, options, "capped") == 3 * 16 * 1024

    # Appending (PATH and INSERT ... FORMAT Arrow): nothing of the refused stream is added.
    with pytest.raises(pa.ArrowInvalid, match=message):
        put(client, options, flight.FlightDescriptor.for_path("capped"), 8)
    with pytest.raises(pa.ArrowInvalid, match=message):
        put(client, options, flight.FlightDescriptor.for_command("INSERT INTO capped FORMAT Arrow"), 8)
    # One batch alone larger than the limit.
    with pytest.raises(pa.ArrowInvalid, match=message):
        writer, _ = client.do_put(flight.FlightDescriptor.for_path("capped"), SCHEMA, options)
        writer.write_batch(next(batches(1, rows=128 * 1024)))
        writer.close()
    # Flight SQL: CommandStatementUpdate INSERT ... FORMAT Arrow.
    with pytest.raises(pa.ArrowInvalid, match=message):
        put(client, options, flight.FlightDescriptor.for_command(wire.statement_update("INSERT INTO capped FORMAT Arrow")), 8)
    assert count_rows(client, options, "capped") == 3 * 16 * 1024

    # Flight SQL ingest through ADBC (CommandStatementIngest).
    big = pa.Table.from_batches(list(batches(8)))
    with adbc.connect(server.uri, db_kwargs={"username": "default", "password": ""}, autocommit=True) as conn:
        with conn.cursor() as cur:
            with pytest.raises(adbc_driver_manager.Error, match="max_put_bytes"):
                cur.adbc_ingest("capped", big, mode="append")
            with pytest.raises(adbc_driver_manager.Error, match="max_put_bytes"):
                cur.adbc_ingest("capped_new", big, mode="create")
            cur.adbc_ingest("capped", pa.Table.from_batches(list(batches(2))), mode="append")
    assert count_rows(client, options, "capped") == 5 * 16 * 1024
    assert count_rows(client, options, "capped_new") is None
    assert_still_serving(server, options)


def test_limit_settings_are_accepted(tmp_path):
    workdir = tmp_path / "server"
    workdir.mkdir()
    server = QuiverServer(workdir, "max_concurrent_queries: 4\nmax_tickets_per_user: 10\n",
                          extra_args=["--query-timeout-seconds", "30"],
                          env={"QUIVER_MAX_PUT_BYTES": "2048"})
    try:
        log = server.log()
        for setting in ("max_concurrent_queries=4", "max_tickets_per_user=10", "query_timeout_seconds=30",
                        "max_put_bytes=2048"):
            assert setting in log, setting
        assert_still_serving(server)
    finally:
        assert server.stop() == 0
