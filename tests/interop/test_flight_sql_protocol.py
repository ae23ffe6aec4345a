"""Flight SQL at the protocol level with pyarrow.flight and hand-built messages: exact result
schemas, column metadata, SqlInfo slots, prepared-statement ownership and limits, raw (ClickHouse
style) action bodies, unsupported commands."""
import pyarrow as pa
import pyarrow.flight as flight
import pytest

import wire
from conftest import assert_still_serving
from test_auth import BOB_DIGEST, BOB_PASSWORD, USERS


@pytest.fixture
def secured(start_server):
    return start_server(USERS.format(bob_digest=BOB_DIGEST) + "max_prepared_statements_per_user: 3\n")


def login(server, user, password):
    client = server.client()
    return client, flight.FlightCallOptions(headers=[client.authenticate_basic_token(user, password)])


@pytest.fixture
def alice(secured):
    return login(secured, "alice", "s3cret-Pa55")


@pytest.fixture
def bob(secured):
    return login(secured, "bob", BOB_PASSWORD)


def info_and_rows(client, options, command):
    descriptor = flight.FlightDescriptor.for_command(command)
    info = client.get_flight_info(descriptor, options)
    tables = [client.do_get(e.ticket, options).read_all() for e in info.endpoints]
    return info, pa.concat_tables(tables), client.get_schema(descriptor, options).schema


def update(client, options, query):
    writer, reader = client.do_put(flight.FlightDescriptor.for_command(wire.statement_update(query)),
                                   pa.schema([]), options)
    writer.done_writing()
    result = reader.read()
    writer.close()
    return wire.read_varint_field(result.to_pybytes(), 1)


def action(client, options, name, body):
    return [r.body.to_pybytes() for r in client.do_action(flight.Action(name, body), options)]


def test_statement_schema_carries_column_metadata_everywhere(alice):
    client, options = alice
    update(client, options, "CREATE TABLE typed (id BIGINT, price DECIMAL(10,2), name VARCHAR)")
    info, table, schema = info_and_rows(client, options, wire.statement_query("SELECT * FROM typed"))
    assert info.schema == schema
    assert table.schema.equals(schema, check_metadata=True)
    meta = {f.name: f.metadata for f in schema}
    assert meta["id"][b"ARROW:FLIGHT:SQL:TYPE_NAME"] == b"BIGINT"
    assert meta["price"][b"ARROW:FLIGHT:SQL:PRECISION"] == b"10"
    assert meta["price"][b"ARROW:FLIGHT:SQL:SCALE"] == b"2"
    assert meta["name"][b"ARROW:FLIGHT:SQL:TYPE_NAME"] == b"VARCHAR"


def test_update_returns_a_raw_record_count(alice):
    client, options = alice
    assert update(client, options, "CREATE TABLE counted (x INTEGER)") == 0
    assert update(client, options, "INSERT INTO counted SELECT range FROM range(7)") == 7
    assert update(client, options, "DELETE FROM counted WHERE x < 3") == 3


def test_metadata_result_schemas_are_exact(alice):
    client, options = alice
    expected = {
        "CommandGetCatalogs": pa.schema([pa.field("catalog_name", pa.utf8(), False)]),
        "CommandGetDbSchemas": pa.schema([pa.field("catalog_name", pa.utf8()),
                                          pa.field("db_schema_name", pa.utf8(), False)]),
        "CommandGetTableTypes": pa.schema([pa.field("table_type", pa.utf8(), False)]),
        "CommandGetTables": pa.schema([pa.field("catalog_name", pa.utf8()), pa.field("db_schema_name", pa.utf8()),
                                       pa.field("table_name", pa.utf8(), False),
                                       pa.field("table_type", pa.utf8(), False)]),
    }
    for name, schema in expected.items():
        info, table, announced = info_and_rows(client, options, wire.command(name))
        assert announced.equals(schema, check_metadata=True), name
        assert info.schema.equals(schema, check_metadata=True), name
        assert table.schema.equals(schema, check_metadata=True), name


def test_get_tables_with_filters_and_schema(alice):
    client, options = alice
    update(client, options, "CREATE TABLE alpha (id INTEGER PRIMARY KEY, note VARCHAR)")
    update(client, options, "CREATE VIEW alpha_view AS SELECT id FROM alpha")
    body = wire.field_bytes(3, b"alpha%") + wire.field_bytes(4, b"TABLE") + wire.field_varint(5, 1)
    _, table, schema = info_and_rows(client, options, wire.command("CommandGetTables", body))
    assert schema.names == ["catalog_name", "db_schema_name", "table_name", "table_type", "table_schema"]
    rows = table.to_pylist()
    assert [(r["table_name"], r["table_type"]) for r in rows] == [("alpha", "TABLE")]
    inner = pa.ipc.read_schema(pa.py_buffer(rows[0]["table_schema"]))
    assert inner.names == ["id", "note"]
    assert not inner.field("id").nullable  # a primary key is NOT NULL
    assert inner.field("id").metadata[b"ARROW:FLIGHT:SQL:TABLE_NAME"] == b"alpha"


def test_keys(alice):
    client, options = alice
    update(client, options, "CREATE TABLE p (a INTEGER, b INTEGER, PRIMARY KEY (a, b))")
    update(client, options, "CREATE TABLE c (x INTEGER, y INTEGER, FOREIGN KEY (x, y) REFERENCES p (a, b))")
    _, pk, _ = info_and_rows(client, options, wire.command("CommandGetPrimaryKeys", wire.field_bytes(3, b"p")))
    assert [(r["column_name"], r["key_sequence"]) for r in pk.to_pylist()] == [("a", 1), ("b", 2)]
    _, exported, schema = info_and_rows(client, options, wire.command("CommandGetExportedKeys", wire.field_bytes(3, b"p")))
    assert schema.names[:4] == ["pk_catalog_name", "pk_db_schema_name", "pk_table_name", "pk_column_name"]
    assert [(r["pk_column_name"], r["fk_table_name"], r["fk_column_name"], r["key_sequence"])
            for r in exported.to_pylist()] == [("a", "c", "x", 1), ("b", "c", "y", 2)]
    _, imported, _ = info_and_rows(client, options, wire.command("CommandGetImportedKeys", wire.field_bytes(3, b"c")))
    assert imported.num_rows == 2
    body = wire.field_bytes(3, b"p") + wire.field_bytes(6, b"c")
    _, cross, _ = info_and_rows(client, options, wire.command("CommandGetCrossReference", body))
    assert cross.num_rows == 2


def test_sql_info_slots(alice):
    client, options = alice
    _, table, schema = info_and_rows(client, options, wire.get_sql_info(0, 8, 999999, 3))
    assert schema.field("value").type.type_codes == [0, 1, 2, 3, 4, 5]
    rows = table.to_pylist()
    assert [r["info_name"] for r in rows] == [0, 8, 3]  # request order, unknown id skipped
    assert rows[0]["value"] == "Quiver"
    values = table.column("value").chunk(0)
    assert values.type_codes.to_pylist() == [0, 3, 1]  # string, int32 bitmask, bool
    _, everything, _ = info_and_rows(client, options, wire.get_sql_info())
    assert everything.num_rows > 50


def test_prepared_statements_belong_to_their_user(alice, bob):
    client, options = alice
    reply = action(client, options, "CreatePreparedStatement",
                   wire.create_prepared_request("SELECT ?::BIGINT * 2 AS doubled"))
    name, value = wire.unpack_any(reply[0])
    assert name.endswith("ActionCreatePreparedStatementResult")
    result = wire.fields(value)
    handle = result[1]
    assert pa.ipc.read_schema(pa.py_buffer(result[3])).names == ["parameter_1"]
    assert pa.ipc.read_schema(pa.py_buffer(result[2])).names == ["doubled"]

    descriptor = flight.FlightDescriptor.for_command(wire.prepared_query(handle))
    params = pa.record_batch({"p": pa.array([21], pa.int64())})
    writer, reader = client.do_put(descriptor, params.schema, options)
    writer.write_batch(params)
    writer.done_writing()
    assert wire.fields(reader.read().to_pybytes())[1] == handle
    writer.close()
    info = client.get_flight_info(descriptor, options)
    assert client.do_get(info.endpoints[0].ticket, options).read_all().column("doubled").to_pylist() == [42]

    bob_client, bob_options = bob
    with pytest.raises(pa.ArrowKeyError, match="Prepared statement handle not found"):
        bob_client.get_flight_info(descriptor, bob_options)
    action(bob_client, bob_options, "ClosePreparedStatement", wire.close_prepared_request(handle))
    assert client.get_flight_info(descriptor, options).total_records == 1  # still alive for alice

    action(client, options, "ClosePreparedStatement", wire.close_prepared_request(handle))
    with pytest.raises(pa.ArrowKeyError, match="Prepared statement handle not found"):
        client.get_flight_info(descriptor, options)


def test_schema_known_only_after_binding(alice):
    client, options = alice
    reply = action(client, options, "CreatePreparedStatement", wire.create_prepared_request("SELECT ? AS echo"))
    result = wire.fields(wire.unpack_any(reply[0])[1])
    assert 2 not in result  # no dataset_schema: it depends on the parameter's type
    descriptor = flight.FlightDescriptor.for_command(wire.prepared_query(result[1]))
    with pytest.raises(pa.ArrowInvalid, match="bind them first"):
        client.get_schema(descriptor, options)
    params = pa.record_batch({"p": ["text"]})
    writer, _ = client.do_put(descriptor, params.schema, options)
    writer.write_batch(params)
    writer.close()
    schema = client.get_schema(descriptor, options).schema
    assert schema.field("echo").type == pa.utf8()
    info = client.get_flight_info(descriptor, options)
    assert info.schema == schema
    assert client.do_get(info.endpoints[0].ticket, options).read_all().column("echo").to_pylist() == ["text"]


def test_prepared_statement_limit_and_bulk_close(alice, secured):
    client, options = alice
    for _ in range(3):
        action(client, options, "CreatePreparedStatement", wire.create_prepared_request("SELECT 1"))
    with pytest.raises(flight.FlightServerError, match="Too many prepared statements"):
        action(client, options, "CreatePreparedStatement", wire.create_prepared_request("SELECT 1"))
    # An empty handle closes all of the caller's statements (ClickHouse extension).
    action(client, options, "ClosePreparedStatement", wire.close_prepared_request(b""))
    action(client, options, "CreatePreparedStatement", wire.create_prepared_request("SELECT 1"))
    assert_still_serving(secured, options)


def test_raw_action_bodies_get_raw_replies(alice):
    client, options = alice
    reply = action(client, options, "CreatePreparedStatement",
                   wire.create_prepared_request("SELECT 7 AS seven", wrapped=False))
    handle = wire.fields(reply[0])[1]  # a bare ActionCreatePreparedStatementResult
    assert handle.startswith(b"~PREP-")
    info = client.get_flight_info(flight.FlightDescriptor.for_command(wire.prepared_query(handle)), options)
    assert client.do_get(info.endpoints[0].ticket, options).read_all().column("seven").to_pylist() == [7]
    action(client, options, "ClosePreparedStatement", wire.close_prepared_request(handle, wrapped=False))


def test_prepared_statement_errors(alice, secured):
    client, options = alice
    with pytest.raises(pa.ArrowInvalid, match="Invalid empty CreatePreparedStatement action"):
        action(client, options, "CreatePreparedStatement", b"")
    with pytest.raises(pa.ArrowInvalid, match="query must not be empty"):
        action(client, options, "CreatePreparedStatement", wire.create_prepared_request(""))
    with pytest.raises(flight.FlightServerError, match="syntax error"):
        action(client, options, "CreatePreparedStatement", wire.create_prepared_request("SELEKT ?"))
    reply = action(client, options, "CreatePreparedStatement", wire.create_prepared_request("SELECT ? + ?"))
    handle = wire.fields(wire.unpack_any(reply[0])[1])[1]
    descriptor = flight.FlightDescriptor.for_command(wire.prepared_query(handle))
    with pytest.raises(pa.ArrowInvalid, match="Parameters were not bound"):
        client.get_flight_info(descriptor, options)
    params = pa.record_batch({"only": [1]})
    writer, _ = client.do_put(descriptor, params.schema, options)
    writer.write_batch(params)
    with pytest.raises(pa.ArrowInvalid, match=r"has 2 parameter\(s\) but 1 value\(s\) were bound"):
        writer.close()
    with pytest.raises(pa.ArrowKeyError, match="Prepared statement handle not found"):
        client.get_flight_info(flight.FlightDescriptor.for_command(wire.prepared_query(b"~PREP-nope")), options)
    assert_still_serving(secured, options)


def test_unsupported_commands_and_actions(alice, secured):
    client, options = alice
    with pytest.raises(pa.ArrowNotImplementedError, match="CommandStatementSubstraitPlan"):
        client.get_flight_info(flight.FlightDescriptor.for_command(wire.command("CommandStatementSubstraitPlan")), options)
    with pytest.raises(pa.ArrowNotImplementedError, match="no savepoints"):
        action(client, options, "BeginSavepoint", wire.command("ActionBeginSavepointRequest"))
    with pytest.raises(pa.ArrowInvalid, match="query must not be empty"):
        client.get_flight_info(flight.FlightDescriptor.for_command(wire.statement_query("")), options)
    with pytest.raises(pa.ArrowKeyError, match="Transaction"):
        client.get_flight_info(flight.FlightDescriptor.for_command(
            wire.statement_query("SELECT 1", transaction_id=b"~TXN-unknown")), options)
    assert_still_serving(secured, options)


def test_undecodable_and_unknown_flight_sql_messages(alice, secured):
    client, options = alice
    garbage = wire.any_message(wire.SQL + "CommandStatementQuery", b"\xff\xff\xff\xff")
    with pytest.raises(pa.ArrowInvalid, match="Could not deserialize CommandStatementQuery"):
        client.get_flight_info(flight.FlightDescriptor.for_command(garbage), options)
    unknown = wire.any_message(wire.SQL + "CommandDoesNotExist", b"")
    with pytest.raises(pa.ArrowNotImplementedError, match="Command is not implemented: CommandDoesNotExist"):
        client.get_flight_info(flight.FlightDescriptor.for_command(unknown), options)
    with pytest.raises(pa.ArrowNotImplementedError, match="CommandDoesNotExist"):
        writer, _ = client.do_put(flight.FlightDescriptor.for_command(unknown), pa.schema([]), options)
        writer.close()
    with pytest.raises(pa.ArrowInvalid, match="Could not deserialize"):
        action(client, options, "CreatePreparedStatement", b"\xff\xff\xff")
    assert_still_serving(secured, options)


def test_several_parameter_rows_run_once_per_row(alice):
    client, options = alice
    update(client, options, "CREATE TABLE many (n INTEGER, s VARCHAR)")
    reply = action(client, options, "CreatePreparedStatement", wire.create_prepared_request("INSERT INTO many VALUES (?, ?)"))
    result = wire.fields(wire.unpack_any(reply[0])[1])
    assert result[4] == 1  # is_update
    handle = result[1]
    rows = pa.record_batch({"n": [1, 2, 3], "s": ["a", None, "c"]})
    descriptor = flight.FlightDescriptor.for_command(wire.command("CommandPreparedStatementUpdate", wire.field_bytes(1, handle)))
    writer, reader = client.do_put(descriptor, rows.schema, options)
    writer.write_batch(rows)
    writer.done_writing()
    assert wire.read_varint_field(reader.read().to_pybytes(), 1) == 3
    writer.close()

    query = action(client, options, "CreatePreparedStatement",
                   wire.create_prepared_request("SELECT s FROM many WHERE n = ?"))
    query_handle = wire.fields(wire.unpack_any(query[0])[1])[1]
    descriptor = flight.FlightDescriptor.for_command(wire.prepared_query(query_handle))
    keys = pa.record_batch({"n": pa.array([3, 1], pa.int32())})
    writer, _ = client.do_put(descriptor, keys.schema, options)
    writer.write_batch(keys)
    writer.close()
    info = client.get_flight_info(descriptor, options)
    assert client.do_get(info.endpoints[0].ticket, options).read_all().column("s").to_pylist() == ["c", "a"]
