"""The client calls the cases time, with pyarrow.flight (the same wheel for every server)."""
import pyarrow as pa
import pyarrow.flight as flight

# A generous per-call deadline: a stuck server fails the case instead of hanging the run.
CALL_TIMEOUT_S = 300.0


def call_options(client: flight.FlightClient, authenticate: bool) -> flight.FlightCallOptions:
    """Quiver: log in once with Basic and reuse the bearer token, as a real client does.
    The pyarrow baseline server has no authentication, so it gets no header."""
    headers = [client.authenticate_basic_token("default", "")] if authenticate else []
    return flight.FlightCallOptions(headers=headers, timeout=CALL_TIMEOUT_S)


def fetch_raw_ticket(client, options, ticket: bytes) -> pa.Table:
    """One DoGet whose ticket is the SQL (Quiver streams it straight from DuckDB)."""
    return client.do_get(flight.Ticket(ticket), options).read_all()


def fetch_flight_info(client, options, command: bytes) -> pa.Table:
    """GetFlightInfo, then DoGet of every endpoint in turn (Quiver runs the query during
    GetFlightInfo and keeps the result until the tickets are read or expire)."""
    info = client.get_flight_info(flight.FlightDescriptor.for_command(command), options)
    tables = [client.do_get(endpoint.ticket, options).read_all() for endpoint in info.endpoints]
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def put_table(client, options, table_name: str, table: pa.Table) -> None:
    """DoPut of a whole table to PATH [table_name] (Quiver creates the table if missing)."""
    writer, _ = client.do_put(flight.FlightDescriptor.for_path(table_name), table.schema, options)
    writer.write_table(table)
    writer.close()


def run_sql(client, options, sql: str) -> None:
    """SQL that returns nothing (DDL), sent as a DoPut CMD with an empty stream."""
    writer, _ = client.do_put(flight.FlightDescriptor.for_command(sql), pa.schema([]), options)
    writer.close()
