"""The Python examples of the seed (ClickHouse's Arrow Flight interface page), run verbatim
apart from the server address. Each snippet is executed as written; snippets that continue an
earlier one run after it in the same namespace, as a reader of the page would run them."""
import contextlib
import io
import textwrap

import pyarrow as pa

AUTH_EXAMPLE = '''
import pyarrow.flight as flight

client = flight.FlightClient("grpc://localhost:9090")

# Basic auth returns a bearer token for subsequent calls
token_pair = client.authenticate_basic_token("default", "")
options = flight.FlightCallOptions(headers=[token_pair])
'''

DOPUT_PATH_EXAMPLE = '''
schema = pa.schema([("id", pa.int64()), ("name", pa.string())])
batch = pa.record_batch(
    [pa.array([1, 2, 3]), pa.array(["Alice", "Bob", "Charlie"])],
    schema=schema,
)

descriptor = flight.FlightDescriptor.for_path("my_table")
writer, _ = client.do_put(descriptor, schema, options)
writer.write_batch(batch)
writer.close()
'''

DOPUT_SQL_EXAMPLE = '''
descriptor = flight.FlightDescriptor.for_command(
    "INSERT INTO my_table FORMAT Arrow"
)
writer, _ = client.do_put(descriptor, schema, options)
writer.write_batch(batch)
writer.close()
'''

GETFLIGHTINFO_EXAMPLE = '''
# Query by table name
descriptor = flight.FlightDescriptor.for_path("my_table")
info = client.get_flight_info(descriptor, options)

# Query by SQL
descriptor = flight.FlightDescriptor.for_command(
    "SELECT * FROM my_table WHERE id > 100"
)
info = client.get_flight_info(descriptor, options)

# Retrieve results
for endpoint in info.endpoints:
    reader = client.do_get(endpoint.ticket, options)
    table = reader.read_all()
    print(table.to_pandas())
'''

GETSCHEMA_EXAMPLE = '''
descriptor = flight.FlightDescriptor.for_command(
    "SELECT 1 AS x, 'hello' AS y"
)
schema_result = client.get_schema(descriptor, options)
schema = schema_result.schema
print(schema)  # x: int32, y: string
'''

# The seed's raw-SQL ticket uses ClickHouse SQL (`system.numbers`); Quiver speaks DuckDB SQL, so
# only the query text differs from the page.
DOGET_EXAMPLE = '''
# Using a ticket from GetFlightInfo
reader = client.do_get(endpoint.ticket, options)
table = reader.read_all()

# Using a raw SQL query as ticket
ticket = flight.Ticket("SELECT range AS number FROM range(100) LIMIT 10")
reader = client.do_get(ticket, options)
table = reader.read_all()
'''

COMPLETE_EXAMPLE = '''
import pyarrow as pa
import pyarrow.flight as flight

# Connect and authenticate
client = flight.FlightClient("grpc://localhost:9090")
token = client.authenticate_basic_token("default", "")
options = flight.FlightCallOptions(headers=[token])

# Insert data using DoPut with a PATH descriptor
schema = pa.schema([("id", pa.uint32()), ("value", pa.string())])
batch = pa.record_batch(
    [pa.array([1, 2, 3], type=pa.uint32()), pa.array(["a", "b", "c"])],
    schema=schema,
)
descriptor = flight.FlightDescriptor.for_path("test")
writer, _ = client.do_put(descriptor, schema, options)
writer.write_batch(batch)
writer.close()

# Query data using GetFlightInfo + DoGet
descriptor = flight.FlightDescriptor.for_command(
    "SELECT * FROM test ORDER BY id"
)
info = client.get_flight_info(descriptor, options)
for endpoint in info.endpoints:
    reader = client.do_get(endpoint.ticket, options)
    table = reader.read_all()
    print(table.to_pandas())
'''

COMPLETE_RESPONSE = """\
   id value
0   1     a
1   2     b
2   3     c
"""


def run(snippet: str, server, namespace: dict) -> str:
    code = textwrap.dedent(snippet).replace("grpc://localhost:9090", server.uri)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<seed example>", "exec"), namespace)
    return out.getvalue()


def test_complete_example_prints_the_documented_response(server):
    output = run(COMPLETE_EXAMPLE, server, {})
    assert output == COMPLETE_RESPONSE


def test_insert_query_schema_and_doget_examples(server):
    ns = {"pa": pa}
    run(AUTH_EXAMPLE, server, ns)
    run(DOPUT_PATH_EXAMPLE, server, ns)
    run(DOPUT_SQL_EXAMPLE, server, ns)
    # Both inserts landed: the PATH put created my_table, the SQL put appended to it.
    rows = ns["client"].do_get(
        ns["flight"].Ticket("SELECT id, name FROM my_table ORDER BY id, name"), ns["options"]
    ).read_all()
    assert rows.column("id").to_pylist() == [1, 1, 2, 2, 3, 3]
    assert rows.column("name").to_pylist() == ["Alice", "Alice", "Bob", "Bob", "Charlie", "Charlie"]

    output = run(GETFLIGHTINFO_EXAMPLE, server, ns)
    assert len(ns["info"].endpoints) == 1  # an empty result still has one endpoint
    assert "Empty DataFrame" in output and "Columns: [id, name]" in output

    output = run(GETSCHEMA_EXAMPLE, server, ns)
    assert output.strip() == "x: int32\ny: string"

    run(DOGET_EXAMPLE, server, ns)
    assert ns["table"].column("number").to_pylist() == list(range(10))
