"""Core Flight RPCs driven by pyarrow.flight: GetFlightInfo, GetSchema, DoGet, DoPut, ListFlights,
ListActions, DoAction, ticket lifetimes."""
import datetime
import time

import pyarrow as pa
import pyarrow.flight as flight
import pytest

import wire
from conftest import assert_still_serving


def sql(client, options, query):
    return client.do_get(flight.Ticket(query.encode()), options).read_all()


def put(client, options, descriptor, table):
    writer, _ = client.do_put(descriptor, table.schema, options)
    writer.write_table(table)
    writer.close()


def fetch_all(client, options, info):
    tables = [client.do_get(e.ticket, options).read_all() for e in info.endpoints]
    return pa.concat_tables(tables)


def test_path_descriptor_reads_a_table(client, options):
    sql(client, options, "CREATE TABLE items AS SELECT range AS id, 'x' || range AS label FROM range(5)")
    info = client.get_flight_info(flight.FlightDescriptor.for_path("items"), options)
    assert info.total_records == 5
    assert info.total_bytes > 0
    assert info.ordered
    assert info.descriptor.path == [b"items"]
    assert info.schema == pa.schema([("id", pa.int64()), ("label", pa.string())])
    table = fetch_all(client, options, info)
    assert sorted(table.column("id").to_pylist()) == [0, 1, 2, 3, 4]

    schema = client.get_schema(flight.FlightDescriptor.for_path("items"), options).schema
    assert schema == info.schema


def test_get_schema_does_not_execute(client, options):
    sql(client, options, "CREATE TABLE counted (x INTEGER)")
    schema = client.get_schema(
        flight.FlightDescriptor.for_command("INSERT INTO counted VALUES (1) RETURNING x"), options
    ).schema
    assert schema.names == ["x"]
    assert sql(client, options, "SELECT count(*) AS n FROM counted").column("n").to_pylist() == [0]


def test_ddl_and_dml_run_at_get_flight_info_time(client, options):
    client.get_flight_info(flight.FlightDescriptor.for_command("CREATE TABLE early (x INTEGER)"), options)
    info = client.get_flight_info(
        flight.FlightDescriptor.for_command("INSERT INTO early VALUES (1), (2)"), options
    )
    # No DoGet was made, yet both statements took effect.
    assert sql(client, options, "SELECT count(*) AS n FROM early").column("n").to_pylist() == [2]
    assert len(info.endpoints) == 1


def test_multi_statement_command(client, options):
    info = client.get_flight_info(
        flight.FlightDescriptor.for_command(
            "CREATE TABLE ms (x INTEGER); INSERT INTO ms VALUES (7); SELECT x * 6 AS y FROM ms"
        ),
        options,
    )
    assert fetch_all(client, options, info).column("y").to_pylist() == [42]


def test_format_arrow_suffix_is_accepted(client, options):
    info = client.get_flight_info(flight.FlightDescriptor.for_command("SELECT 1 AS one FORMAT Arrow"), options)
    assert fetch_all(client, options, info).column("one").to_pylist() == [1]


def test_empty_result_has_one_endpoint_with_the_schema(client, options):
    info = client.get_flight_info(
        flight.FlightDescriptor.for_command("SELECT 1 AS a, 'b' AS b WHERE false"), options
    )
    assert len(info.endpoints) == 1
    assert info.total_records == 0
    table = client.do_get(info.endpoints[0].ticket, options).read_all()
    assert table.num_rows == 0
    assert table.schema.names == ["a", "b"]


def test_large_result_streams_in_bounded_batches_and_several_endpoints(client, options):
    query = "SELECT range AS id, repeat('x', 100) AS pad FROM range(1500000)"
    info = client.get_flight_info(flight.FlightDescriptor.for_command(query), options)
    assert info.total_records == 1_500_000
    assert len(info.endpoints) >= 2  # ~170 MB of Arrow data is split for parallel fetching
    seen = 0
    for endpoint in info.endpoints:
        reader = client.do_get(endpoint.ticket, options)
        for chunk in reader:
            assert chunk.data.nbytes <= 8 * 1024 * 1024
            seen += chunk.data.num_rows
    assert seen == 1_500_000

    # Raw SQL tickets stream straight from DuckDB, batch by batch.
    reader = client.do_get(flight.Ticket(query.encode()), options)
    batches = 0
    rows = 0
    for chunk in reader:
        batches += 1
        rows += chunk.data.num_rows
        assert chunk.data.nbytes <= 8 * 1024 * 1024
    assert rows == 1_500_000 and batches > 10


def test_tickets_are_reusable_and_carry_an_expiration(client, options):
    before = datetime.datetime.now(datetime.timezone.utc)
    info = client.get_flight_info(flight.FlightDescriptor.for_command("SELECT 5 AS five"), options)
    endpoint = info.endpoints[0]
    assert endpoint.ticket.ticket.startswith(b"~TICKET-")
    assert endpoint.locations == []
    expires = endpoint.expiration_time.as_py()
    assert before + datetime.timedelta(seconds=590) < expires <= before + datetime.timedelta(seconds=601)
    for _ in range(2):
        assert client.do_get(endpoint.ticket, options).read_all().column("five").to_pylist() == [5]


def test_ticket_lifetime_and_renewal(start_server):
    server = start_server("tickets_lifetime_seconds: 2\n")
    client = server.client()
    options = flight.FlightCallOptions(headers=[client.authenticate_basic_token("default", "")])
    info = client.get_flight_info(flight.FlightDescriptor.for_command("SELECT 1 AS x"), options)
    kept = client.get_flight_info(flight.FlightDescriptor.for_command("SELECT 2 AS x"), options)
    expires = info.endpoints[0].expiration_time.as_py()
    now = datetime.datetime.now(datetime.timezone.utc)
    assert now < expires <= now + datetime.timedelta(seconds=2)

    time.sleep(1.2)
    request = wire.renew_flight_endpoint_request(kept.endpoints[0].serialize())
    results = list(client.do_action(flight.Action("RenewFlightEndpoint", request), options))
    renewed = flight.FlightEndpoint.deserialize(results[0].body.to_pybytes())
    assert renewed.expiration_time.as_py() > kept.endpoints[0].expiration_time.as_py()

    time.sleep(1.3)
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        client.do_get(info.endpoints[0].ticket, options).read_all()
    assert client.do_get(kept.endpoints[0].ticket, options).read_all().column("x").to_pylist() == [2]


def test_zero_lifetime_tickets_never_expire(start_server):
    server = start_server("tickets_lifetime_seconds: 0\n")
    client = server.client()
    options = flight.FlightCallOptions(headers=[client.authenticate_basic_token("default", "")])
    info = client.get_flight_info(flight.FlightDescriptor.for_command("SELECT 1 AS x"), options)
    assert info.endpoints[0].expiration_time is None


def test_cancel_ticket_after_do_get(start_server):
    server = start_server("cancel_ticket_after_do_get: true\n")
    client = server.client()
    options = flight.FlightCallOptions(headers=[client.authenticate_basic_token("default", "")])
    info = client.get_flight_info(flight.FlightDescriptor.for_command("SELECT 1 AS x"), options)
    assert client.do_get(info.endpoints[0].ticket, options).read_all().num_rows == 1
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        client.do_get(info.endpoints[0].ticket, options).read_all()


def test_doput_path_matches_columns_by_name_with_defaults(client, options):
    sql(client, options, "CREATE TABLE people (id INTEGER, name VARCHAR, country VARCHAR DEFAULT 'NL')")
    # Different order, different case, one column missing (gets its default), one extra (ignored).
    table = pa.table({"NAME": ["ann", "bo"], "extra": [1.5, 2.5], "id": pa.array([1, 2], pa.int64())})
    put(client, options, flight.FlightDescriptor.for_path("people"), table)
    rows = sql(client, options, "SELECT id, name, country FROM people ORDER BY id").to_pylist()
    assert rows == [{"id": 1, "name": "ann", "country": "NL"}, {"id": 2, "name": "bo", "country": "NL"}]


def test_doput_path_creates_a_missing_table(client, options):
    table = pa.table({"d": pa.array([1.5, None]), "s": ["a", "b"]})
    put(client, options, flight.FlightDescriptor.for_path("fresh"), table)
    assert sql(client, options, "SELECT * FROM fresh ORDER BY s") == table


def test_doput_insert_format_arrow_with_column_list(client, options):
    sql(client, options, "CREATE SCHEMA s; CREATE TABLE s.t (a INTEGER, b VARCHAR, c INTEGER DEFAULT 9)")
    table = pa.table({"b": ["x"], "a": [1], "c": [5]})
    put(client, options, flight.FlightDescriptor.for_command("INSERT INTO s.t (a, b) FORMAT Arrow"), table)
    assert sql(client, options, "SELECT * FROM s.t").to_pylist() == [{"a": 1, "b": "x", "c": 9}]


def test_doput_many_batches_in_one_stream(client, options):
    schema = pa.schema([("n", pa.int64())])
    writer, _ = client.do_put(flight.FlightDescriptor.for_path("numbers"), schema, options)
    for i in range(200):
        writer.write_batch(pa.record_batch([pa.array(range(i * 50, (i + 1) * 50))], schema=schema))
    writer.close()
    result = sql(client, options, "SELECT count(*) AS c, sum(n) AS s FROM numbers")
    assert result.to_pylist() == [{"c": 10_000, "s": sum(range(10_000))}]


def test_doput_statement_just_runs(client, options):
    schema = pa.schema([("ignored", pa.int64())])
    writer, _ = client.do_put(
        flight.FlightDescriptor.for_command("CREATE TABLE via_put AS SELECT 1 AS x"), schema, options
    )
    writer.close()
    assert sql(client, options, "SELECT x FROM via_put").column("x").to_pylist() == [1]


def test_list_flights_lists_tables(client, options):
    sql(client, options, "CREATE TABLE alpha AS SELECT 1 AS a FROM range(3); CREATE TABLE beta (b VARCHAR)")
    flights = {f.descriptor.path[0].decode(): f for f in client.list_flights(options=options)}
    assert set(flights) == {"alpha", "beta"}
    assert flights["alpha"].total_records == 3
    assert flights["alpha"].schema == pa.schema([("a", pa.int32())])
    assert flights["beta"].total_records == 0
    # Each listing carries a ticket that reads the table.
    table = client.do_get(flights["alpha"].endpoints[0].ticket, options).read_all()
    assert table.num_rows == 3

    only = list(client.list_flights(criteria=b"al%", options=options))
    assert [f.descriptor.path for f in only] == [[b"alpha"]]


def test_list_actions_and_cancel(client, options):
    actions = {a.type for a in client.list_actions(options=options)}
    assert actions == {"CancelFlightInfo", "RenewFlightEndpoint", "SetSessionOptions",
                       "GetSessionOptions", "CloseSession", "CreatePreparedStatement",
                       "ClosePreparedStatement", "BeginTransaction", "EndTransaction", "CancelQuery",
                       "MigrateTable", "DeleteStale", "DeleteRecord"}  # the last three: CloudQuery
    info = client.get_flight_info(flight.FlightDescriptor.for_command("SELECT 1"), options)
    request = wire.cancel_flight_info_request(info.serialize())
    results = list(client.do_action(flight.Action("CancelFlightInfo", request), options))
    # GetFlightInfo results are complete when returned: nothing is left to cancel.
    not_cancellable = 3
    assert wire.read_varint_field(results[0].body.to_pybytes(), 1) == not_cancellable

    with pytest.raises(pa.ArrowInvalid, match="Invalid empty CancelFlightInfo action"):
        list(client.do_action(flight.Action("CancelFlightInfo", b""), options))
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        gone = flight.FlightEndpoint(b"~TICKET-00000000-0000-4000-8000-000000000000", [])
        list(client.do_action(
            flight.Action("RenewFlightEndpoint", wire.renew_flight_endpoint_request(gone.serialize())),
            options))


def test_unknown_action_is_unimplemented(server, client, options):
    with pytest.raises(pa.ArrowNotImplementedError, match="not supported"):
        list(client.do_action(flight.Action("Explode", b""), options))
    assert_still_serving(server, options)


def test_data_survives_a_restart(start_server):
    server = start_server()
    client = server.client()
    options = flight.FlightCallOptions(headers=[client.authenticate_basic_token("default", "")])
    put(client, options, flight.FlightDescriptor.for_path("kept"), pa.table({"v": [1, 2, 3]}))
    client.close()
    assert server.stop() == 0
    assert "checkpointed" in server.log()

    from conftest import QuiverServer

    again = QuiverServer(server.workdir, extra_args=())
    try:
        client = again.client()
        options = flight.FlightCallOptions(headers=[client.authenticate_basic_token("default", "")])
        assert sql(client, options, "SELECT sum(v) AS s FROM kept").column("s").to_pylist() == [6]
        client.close()
    finally:
        assert again.stop() == 0
