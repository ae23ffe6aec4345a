"""PollFlightInfo, CancelFlightInfo and the interruption of running queries (client cancel,
deadlines, query_timeout_seconds, shutdown), plus the per-user ownership of tickets and poll
descriptors. pyarrow has no PollFlightInfo, so polls go over raw gRPC; results are read back with
pyarrow.flight and ADBC (whose incremental execution polls)."""
import os
import time

import grpc
import pyarrow as pa
import pyarrow.flight as flight
import pytest

import wire

# Slow enough to be caught running on any machine (tens of seconds of CPU), quick to stop.
ENDLESS = "SELECT sum(hash(i)) AS s FROM range(100000000000) t(i)"
# Rows that trickle out over a few seconds: a filter that is costly per row.
TRICKLE_ROWS = 20_000_000
TRICKLE = f"SELECT i FROM range({TRICKLE_ROWS}) t(i) WHERE md5(i::VARCHAR) LIKE '0%'"
USERS = """
users:
  - name: alice
    password: "alice-pw"
  - name: bob
    password: "bob-pw"
"""


class Caller:
    """One authenticated user: pyarrow for the standard RPCs, raw gRPC for PollFlightInfo."""

    def __init__(self, server, user="default", password=""):
        self.server = server
        self.client = server.client()
        self.token = self.client.authenticate_basic_token(user, password)
        self.options = flight.FlightCallOptions(headers=[self.token])
        self.channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
        self._poll = self.channel.unary_unary(
            "/arrow.flight.protocol.FlightService/PollFlightInfo",
            request_serializer=lambda b: b, response_deserializer=lambda b: b)

    def poll(self, descriptor: bytes, timeout=60):
        """PollInfo as (FlightInfo, next descriptor bytes or None, progress or None, expiry)."""
        reply = wire.all_fields(self._poll(
            descriptor, metadata=[(self.token[0].decode(), self.token[1].decode())],
            timeout=timeout))
        info = flight.FlightInfo.deserialize(reply[1][0])
        return info, reply.get(2, [None])[0], reply.get(3, [None])[0], reply.get(4, [None])[0]

    def poll_sql(self, sql: str):
        return self.poll(flight.FlightDescriptor.for_command(sql.encode()).serialize())

    def cancel(self, info: flight.FlightInfo) -> int:
        results = list(self.client.do_action(
            flight.Action("CancelFlightInfo", wire.cancel_flight_info_request(info.serialize())),
            self.options))
        return wire.read_varint_field(results[0].body.to_pybytes(), 1)

    def read(self, info: flight.FlightInfo) -> pa.Table:
        tables = [self.client.do_get(e.ticket, self.options).read_all() for e in info.endpoints]
        return pa.concat_tables(tables) if tables else pa.table({})

    def close(self):
        self.channel.close()
        self.client.close()


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def assert_idle(server, seconds=1.0):
    """The server burns (almost) no CPU: no query is left running."""
    deadline = time.monotonic() + 10
    while True:
        before = cpu_seconds(server.process.pid)
        time.sleep(seconds)
        used = cpu_seconds(server.process.pid) - before
        if used < 0.3 * seconds:
            return
        assert time.monotonic() < deadline, f"server still busy: {used:.2f} s CPU per {seconds} s"


@pytest.fixture
def caller(server):
    c = Caller(server)
    yield c
    c.close()


def test_poll_grows_endpoints_until_a_final_reply(server, caller):
    info, descriptor, progress, expires = caller.poll_sql(TRICKLE)
    # The first reply comes at once: no endpoints yet, the query id, a descriptor to poll.
    assert info.endpoints == [] and info.total_records == 0
    assert descriptor is not None and expires is not None
    query_id = info.app_metadata
    assert query_id
    assert info.schema.names == ["i"]
    seen = [0]
    deadline = time.monotonic() + 120
    while descriptor is not None:
        assert time.monotonic() < deadline
        assert flight.FlightDescriptor.deserialize(descriptor).command.startswith(b"~POLL-")
        info, descriptor, progress, _ = caller.poll(descriptor)
        assert info.app_metadata == query_id
        assert len(info.endpoints) >= seen[-1]  # cumulative
        if progress is not None:
            assert 0.0 <= progress <= 1.0
        seen.append(len(info.endpoints))
    assert progress == 1.0
    # Rows arrived over several replies, and the last one has them all.
    assert len([n for n in seen if n > 0]) >= 2, seen
    table = caller.read(info)
    assert table.num_rows == info.total_records > 0
    values = table.column("i").to_pylist()
    assert values == sorted(values)  # ordered endpoints
    # The count, computed by the server on another call.
    expected = caller.client.do_get(flight.Ticket(
        f"SELECT count(*) AS n FROM range({TRICKLE_ROWS}) t(i) WHERE md5(i::VARCHAR) LIKE '0%'"
        .encode()), caller.options).read_all()
    assert table.num_rows == expected.column("n")[0].as_py()


def test_poll_of_a_flight_sql_statement_carries_column_metadata(caller):
    command = wire.statement_query("SELECT 42::INTEGER AS answer")
    info, descriptor, _, _ = caller.poll(flight.FlightDescriptor.for_command(command).serialize())
    while descriptor is not None:
        info, descriptor, progress, _ = caller.poll(descriptor)
    field = info.schema.field("answer")
    assert field.metadata and b"ARROW:FLIGHT:SQL:TYPE_NAME" in field.metadata
    assert caller.read(info).column("answer").to_pylist() == [42]


def test_metadata_commands_are_answered_at_once(caller):
    info, descriptor, progress, _ = caller.poll(
        flight.FlightDescriptor.for_command(wire.get_sql_info(0)).serialize())
    assert descriptor is None and progress == 1.0
    assert caller.read(info).num_rows == 1


def test_repolling_a_descriptor_gives_the_same_answer(caller):
    info, first, _, _ = caller.poll_sql("SELECT * FROM range(10) t(i)")
    a = caller.poll(first)
    b = caller.poll(first)
    assert [e.ticket for e in a[0].endpoints] == [e.ticket for e in b[0].endpoints]
    assert a[1] == b[1]


def test_poll_descriptor_errors(server, caller):
    info, descriptor, _, _ = caller.poll_sql("SELECT * FROM range(5) t(i)")
    # GetFlightInfo refuses poll descriptors; GetSchema accepts them.
    with pytest.raises(pa.ArrowInvalid) as error:  # INVALID_ARGUMENT
        caller.client.get_flight_info(flight.FlightDescriptor.deserialize(descriptor),
                                      caller.options)
    assert "cannot be called with a flight descriptor returned by method PollFlightInfo" in str(
        error.value)
    schema = caller.client.get_schema(flight.FlightDescriptor.deserialize(descriptor),
                                      caller.options).schema
    assert schema.names == ["i"]
    unknown = flight.FlightDescriptor.for_command(
        b"~POLL-00000000-0000-4000-8000-000000000000").serialize()
    with pytest.raises(grpc.RpcError) as rpc_error:
        caller.poll(unknown)
    assert rpc_error.value.code() == grpc.StatusCode.NOT_FOUND
    assert "Poll descriptor '~POLL-00000000-0000-4000-8000-000000000000' not found" in (
        rpc_error.value.details())
    with pytest.raises(pa.ArrowKeyError, match="Poll descriptor '~POLL-123' not found"):
        caller.client.get_schema(flight.FlightDescriptor.for_command(b"~POLL-123"),
                                 caller.options)
    with pytest.raises(pa.ArrowInvalid, match="cannot be called with a flight descriptor"):
        caller.client.get_flight_info(flight.FlightDescriptor.for_command(b"~POLL-123"),
                                      caller.options)
    with pytest.raises(grpc.RpcError) as rpc_error:
        caller.poll_sql("SELEC nonsense")
    assert rpc_error.value.code() in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INVALID_ARGUMENT)
    # A query that fails while it runs fails the poll that meets the failure.
    info, descriptor, _, _ = caller.poll_sql(
        "SELECT CASE WHEN i < 3 THEN i ELSE error('boom at ' || i) END AS v FROM range(5) t(i)")
    with pytest.raises(grpc.RpcError) as rpc_error:
        while descriptor is not None:
            info, descriptor, _, _ = caller.poll(descriptor)
    assert rpc_error.value.code() == grpc.StatusCode.UNKNOWN
    assert "Poll: Failed to get next block" in rpc_error.value.details()
    assert "boom" in rpc_error.value.details()


def test_cancel_stops_a_running_query(server, caller):
    info, descriptor, _, _ = caller.poll_sql(ENDLESS)
    time.sleep(0.5)
    assert caller.cancel(info) == 1  # CANCEL_STATUS_CANCELLED
    assert_idle(server)
    # Its descriptors are gone; cancelling again finds nothing to cancel.
    with pytest.raises(grpc.RpcError) as rpc_error:
        caller.poll(descriptor)
    assert rpc_error.value.code() == grpc.StatusCode.NOT_FOUND
    assert caller.cancel(info) == 3  # CANCEL_STATUS_NOT_CANCELLABLE
    # FlightInfos of GetFlightInfo are complete: nothing to cancel.
    done = caller.client.get_flight_info(flight.FlightDescriptor.for_command(b"SELECT 1"),
                                         caller.options)
    assert caller.cancel(done) == 3


def test_expired_poll_descriptor_cancels_its_query(start_server):
    server = start_server("poll_descriptors_lifetime_seconds: 1\n")
    caller = Caller(server)
    try:
        info, descriptor, _, expires = caller.poll_sql(ENDLESS)
        time.sleep(2.5)
        with pytest.raises(grpc.RpcError) as rpc_error:
            caller.poll(descriptor)
        assert rpc_error.value.code() == grpc.StatusCode.NOT_FOUND
        assert_idle(server)
        assert caller.cancel(info) == 3
    finally:
        caller.close()


def test_descriptor_dropped_after_answer_when_configured(start_server):
    server = start_server("cancel_flight_descriptor_after_poll_flight_info: true\n")
    caller = Caller(server)
    try:
        info, descriptor, _, _ = caller.poll_sql("SELECT * FROM range(3) t(i)")
        caller.poll(descriptor)
        with pytest.raises(grpc.RpcError) as rpc_error:
            caller.poll(descriptor)
        assert rpc_error.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        caller.close()


def test_other_users_cannot_touch_tickets_descriptors_or_queries(start_server):
    server = start_server(USERS)
    alice = Caller(server, "alice", "alice-pw")
    bob = Caller(server, "bob", "bob-pw")
    try:
        info = alice.client.get_flight_info(
            flight.FlightDescriptor.for_command(b"SELECT 'alice secret' AS s"), alice.options)
        ticket = info.endpoints[0].ticket
        with pytest.raises(pa.ArrowKeyError) as error:  # NOT_FOUND, as for unknown tickets
            bob.client.do_get(ticket, bob.options).read_all()
        assert "not found" in str(error.value)
        assert alice.client.do_get(ticket, alice.options).read_all().num_rows == 1
        polled, descriptor, _, _ = alice.poll_sql(ENDLESS)
        with pytest.raises(grpc.RpcError) as rpc_error:
            bob.poll(descriptor)
        assert rpc_error.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(pa.ArrowKeyError):
            bob.client.get_schema(flight.FlightDescriptor.deserialize(descriptor), bob.options)
        assert bob.cancel(polled) == 3  # not bob's query
        assert alice.cancel(polled) == 1
        assert_idle(server)
    finally:
        alice.close()
        bob.close()


def test_client_deadline_interrupts_the_query(server, caller):
    for call in (
        lambda options: caller.client.get_flight_info(
            flight.FlightDescriptor.for_command(ENDLESS.encode()), options),
        lambda options: caller.client.do_get(flight.Ticket(ENDLESS.encode()), options).read_all(),
    ):
        options = flight.FlightCallOptions(headers=[caller.token], timeout=1.0)
        with pytest.raises(flight.FlightTimedOutError):
            call(options)
        assert_idle(server)
    # The session-less connection it ran on is not poisoned: the next query runs.
    assert caller.client.do_get(flight.Ticket(b"SELECT 7 AS x"),
                                caller.options).read_all().num_rows == 1


def test_query_timeout_seconds(start_server):
    server = start_server("query_timeout_seconds: 1\n")
    caller = Caller(server)
    try:
        started = time.monotonic()
        with pytest.raises(flight.FlightTimedOutError) as error:
            caller.client.get_flight_info(flight.FlightDescriptor.for_command(ENDLESS.encode()),
                                          caller.options)
        assert time.monotonic() - started < 10
        assert "query_timeout_seconds" in str(error.value)
        # Polled queries time out too; the poll that meets the end reports it.
        info, descriptor, _, _ = caller.poll_sql(ENDLESS)
        with pytest.raises(grpc.RpcError) as rpc_error:
            deadline = time.monotonic() + 30
            while descriptor is not None and time.monotonic() < deadline:
                info, descriptor, _, _ = caller.poll(descriptor)
        assert rpc_error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert_idle(server)
        # Quick queries are unaffected.
        assert caller.client.do_get(flight.Ticket(b"SELECT 1 AS x"),
                                    caller.options).read_all().num_rows == 1
    finally:
        caller.close()


def test_max_concurrent_queries(start_server):
    server = start_server("max_concurrent_queries: 1\n")
    caller = Caller(server)
    try:
        info, _, _, _ = caller.poll_sql(ENDLESS)  # holds the only slot while it runs
        started = time.monotonic()
        with pytest.raises(flight.FlightUnavailableError) as error:
            caller.client.do_get(flight.Ticket(b"SELECT 1"), caller.options).read_all()
        assert "max_concurrent_queries" in str(error.value)
        assert time.monotonic() - started >= 4  # it waited for a slot first
        assert caller.cancel(info) == 1
        assert caller.client.do_get(flight.Ticket(b"SELECT 1 AS x"),
                                    caller.options).read_all().num_rows == 1
    finally:
        caller.close()


def test_max_tickets_per_user(start_server):
    server = start_server("max_tickets_per_user: 2\n")
    caller = Caller(server)
    try:
        infos = [caller.client.get_flight_info(flight.FlightDescriptor.for_command(b"SELECT 1"),
                                               caller.options) for _ in range(2)]
        with pytest.raises(flight.FlightUnavailableError) as error:
            caller.client.get_flight_info(flight.FlightDescriptor.for_command(b"SELECT 1"),
                                          caller.options)
        assert "max_tickets_per_user" in str(error.value)
        assert caller.read(infos[0]).num_rows == 1
    finally:
        caller.close()


def test_shutdown_stops_running_queries(start_server):
    server = start_server()
    caller = Caller(server)
    caller.poll_sql(ENDLESS)
    caller.close()
    started = time.monotonic()
    assert server.stop(timeout=30) == 0
    assert time.monotonic() - started < 10


def test_adbc_incremental_execution_polls(server):
    """ADBC's incremental mode drives PollFlightInfo: each ExecutePartitions call returns the
    endpoints that are new since the previous one, then none once the query is done."""
    import adbc_driver_flightsql.dbapi as adbc

    with adbc.connect(server.uri, db_kwargs={"username": "default", "password": ""}) as conn:
        cursor = conn.cursor()
        statement = cursor.adbc_statement
        statement.set_options(**{"adbc.statement.exec.incremental": "true"})
        statement.set_sql_query(TRICKLE)
        calls_with_rows = 0
        rows = 0
        for _ in range(500):
            partitions, _, _ = statement.execute_partitions()
            if not partitions:
                break
            calls_with_rows += 1
            for partition in partitions:
                handle = conn.adbc_connection.read_partition(partition)
                rows += pa.RecordBatchReader._import_from_c(handle.address).read_all().num_rows
        assert calls_with_rows >= 2
        cursor.execute(
            f"SELECT count(*) AS n FROM range({TRICKLE_ROWS}) t(i) WHERE md5(i::VARCHAR) LIKE '0%'")
        assert rows == cursor.fetchone()[0]
        cursor.close()


def test_deprecated_flight_sql_cancel_query(server, caller):
    def cancel_query(info):
        body = wire.command("ActionCancelQueryRequest", wire.field_bytes(1, info.serialize()))
        results = list(caller.client.do_action(flight.Action("CancelQuery", body), caller.options))
        name, value = wire.unpack_any(results[0].body.to_pybytes())
        assert name.endswith("ActionCancelQueryResult")
        return wire.read_varint_field(value, 1)

    info, _, _, _ = caller.poll_sql(ENDLESS)
    assert cancel_query(info) == 1  # CANCEL_RESULT_CANCELLED
    assert_idle(server)
    assert cancel_query(info) == 3  # CANCEL_RESULT_NOT_CANCELLABLE


def test_adbc_cancel_interrupts_a_running_statement(server):
    """ADBC's AdbcStatementCancel cancels the in-flight GetFlightInfo call; the server stops the
    query in DuckDB rather than letting it run on."""
    import threading

    import adbc_driver_flightsql.dbapi as adbc
    import adbc_driver_manager

    with adbc.connect(server.uri, db_kwargs={"username": "default", "password": ""}) as conn:
        cursor = conn.cursor()
        outcome = {}

        def run():
            try:
                cursor.execute(ENDLESS)
                outcome["rows"] = cursor.fetchall()
            except Exception as error:  # the cancellation surfaces as an ADBC error
                outcome["error"] = error

        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(1.0)
        cursor.adbc_cancel()
        thread.join(30)
        assert not thread.is_alive()
        assert isinstance(outcome.get("error"), adbc_driver_manager.Error), outcome
        assert_idle(server)
        cursor.close()
