"""Malformed, oversized and hostile requests: each gets a clear error with the right status
and the server keeps serving."""
import base64

import grpc
import pyarrow as pa
import pyarrow.flight as flight
import pytest

import wire
from conftest import assert_still_serving


def get_info(client, options, descriptor):
    return client.get_flight_info(descriptor, options)


@pytest.mark.parametrize(
    "descriptor, error, message",
    [
        (flight.FlightDescriptor.for_path(""), pa.ArrowInvalid, "should specify the name of a table"),
        (flight.FlightDescriptor.for_path("a", "b"), pa.ArrowInvalid, r"should be one-component \(got 2 components\)"),
        (flight.FlightDescriptor.for_path(), pa.ArrowInvalid, r"got 0 components"),
        (flight.FlightDescriptor.for_command(b""), pa.ArrowInvalid, "Empty command."),
        (flight.FlightDescriptor.for_command("   -- nothing\n"), pa.ArrowInvalid, "Empty query."),
        (flight.FlightDescriptor.for_command("SELEKT 1"), flight.FlightServerError, "syntax error"),
        (flight.FlightDescriptor.for_command("SELECT * FROM missing_table"), flight.FlightServerError,
         "Table with name missing_table does not exist"),
        (flight.FlightDescriptor.for_path("missing_table"), flight.FlightServerError, "does not exist"),
        (flight.FlightDescriptor.for_command("SELECT 1 FORMAT JSON"), flight.FlightServerError,
         r"Invalid format, only 'Arrow' format is supported \(got JSON\)"),
        (flight.FlightDescriptor.for_command(wire.any_message("arrow.flight.protocol.sql.CommandStatementSubstraitPlan")),
         pa.ArrowNotImplementedError, "Command is not implemented"),
    ],
)
def test_bad_descriptors(server, client, options, descriptor, error, message):
    with pytest.raises(error, match=message):
        client.get_flight_info(descriptor, options)
    # pyarrow's get_schema turns UNKNOWN into ArrowIOError rather than FlightServerError.
    schema_error = OSError if error is flight.FlightServerError else error
    with pytest.raises(schema_error, match=message):
        client.get_schema(descriptor, options)
    assert_still_serving(server, options)


def test_oversized_command_and_ticket(server, client, options):
    huge = b"SELECT 1 -- " + b"x" * (17 * 1024 * 1024)
    with pytest.raises(pa.ArrowInvalid, match="Command payload is too large"):
        client.get_flight_info(flight.FlightDescriptor.for_command(huge), options)
    with pytest.raises(pa.ArrowInvalid, match="Ticket is too large"):
        client.do_get(flight.Ticket(huge), options).read_all()
    assert_still_serving(server, options)


@pytest.mark.parametrize(
    "ticket, error, message",
    [
        (b"~TICKET-00000000-0000-4000-8000-000000000000", pa.ArrowKeyError, "Ticket '~TICKET-00000000-0000-4000-8000-000000000000' not found"),
        (b"", pa.ArrowInvalid, "Empty ticket"),
        (b"SELECT nonsense FROM nowhere", flight.FlightServerError, "nowhere does not exist"),
        (b"\xff\xfe\x00garbage", flight.FlightServerError, "syntax error"),
    ],
)
def test_bad_tickets(server, client, options, ticket, error, message):
    with pytest.raises(error, match=message):
        client.do_get(flight.Ticket(ticket), options).read_all()
    assert_still_serving(server, options)


def put(client, options, descriptor, batches, schema):
    writer, _ = client.do_put(descriptor, schema, options)
    for batch in batches:
        writer.write_batch(batch)
    writer.close()


def count(client, options, table):
    result = client.do_get(flight.Ticket(f"SELECT count(*) AS n FROM {table}".encode()), options).read_all()
    return result.column("n")[0].as_py()


def test_doput_errors(server, client, options):
    client.do_get(flight.Ticket(b"CREATE TABLE target (id INTEGER NOT NULL, name VARCHAR)"), options).read_all()
    good = pa.record_batch({"id": pa.array([1, 2], pa.int32()), "name": ["a", "b"]})

    with pytest.raises(flight.FlightServerError, match="does not exist"):
        put(client, options, flight.FlightDescriptor.for_command("INSERT INTO nowhere FORMAT Arrow"), [good], good.schema)
    with pytest.raises(flight.FlightServerError, match=r"only 'Arrow' format is supported \(got JSON\)"):
        put(client, options, flight.FlightDescriptor.for_command("INSERT INTO target FORMAT JSON"), [good], good.schema)
    with pytest.raises(flight.FlightServerError, match="syntax error"):
        put(client, options, flight.FlightDescriptor.for_command("BAD QUERY"), [good], good.schema)

    # A schema that does not match the table at all.
    other = pa.record_batch({"x": [1], "y": ["z"]})
    with pytest.raises(pa.ArrowInvalid, match=r"match none of the columns of table \"target\""):
        put(client, options, flight.FlightDescriptor.for_path("target"), [other], other.schema)

    # Values that cannot be converted, after a good batch: nothing of the stream is stored.
    bad = pa.record_batch({"id": ["three"], "name": ["c"]})
    text_ids = pa.schema([("id", pa.string()), ("name", pa.string())])
    good_as_text = pa.record_batch({"id": ["1"], "name": ["a"]})
    with pytest.raises(flight.FlightServerError, match="Could not convert string 'three'"):
        put(client, options, flight.FlightDescriptor.for_path("target"), [good_as_text, bad], text_ids)
    # A NOT NULL column left out.
    names_only = pa.record_batch({"name": ["n"]})
    with pytest.raises(flight.FlightServerError, match="NOT NULL constraint failed"):
        put(client, options, flight.FlightDescriptor.for_path("target"), [names_only], names_only.schema)
    assert count(client, options, "target") == 0

    put(client, options, flight.FlightDescriptor.for_path("target"), [good], good.schema)
    assert count(client, options, "target") == 2
    assert_still_serving(server, options)


class RawFlight:
    """DoPut with hand-made FlightData messages, through plain gRPC."""

    def __init__(self, server):
        self.channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
        self.do_put_call = self.channel.stream_stream("/arrow.flight.protocol.FlightService/DoPut")
        self.auth = [("authorization", "Basic " + base64.b64encode(b"default:").decode())]

    def do_put(self, messages):
        return list(self.do_put_call(iter(messages), metadata=self.auth, timeout=20))

    def close(self):
        self.channel.close()


def ipc_message(serialized: bytes):
    """Splits an encapsulated IPC message into (flatbuffer header, body)."""
    length = int.from_bytes(serialized[4:8], "little")
    return serialized[8 : 8 + length], serialized[8 + length :]


def test_malformed_ipc_in_doput(server, client, options):
    raw = RawFlight(server)
    descriptor = wire.path_descriptor("raw_target")
    schema = pa.schema([("v", pa.int64()), ("s", pa.string())])
    schema_header, _ = ipc_message(schema.serialize().to_pybytes())
    batch = pa.record_batch({"v": pa.array(range(100), pa.int64()), "s": [str(i) for i in range(100)]})
    batch_header, batch_body = ipc_message(batch.serialize().to_pybytes())

    cases = [
        # Garbage where the schema message should be.
        [wire.flight_data(descriptor, header=b"\x01\x02\x03not a flatbuffer")],
        # A valid schema, then a batch whose body is cut short (the header lies about buffers).
        [wire.flight_data(descriptor, header=schema_header),
         wire.flight_data(header=batch_header, body=batch_body[: len(batch_body) // 3])],
        # A valid schema, then a garbage batch header.
        [wire.flight_data(descriptor, header=schema_header),
         wire.flight_data(header=b"\xff" * 64, body=b"\x00" * 64)],
        # No schema message at all: the stream opens with a record batch.
        [wire.flight_data(descriptor, header=batch_header, body=batch_body)],
    ]
    for messages in cases:
        with pytest.raises(grpc.RpcError) as caught:
            raw.do_put(messages)
        assert caught.value.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL)
        assert caught.value.details()
    # None of it created or filled the table.
    exists = client.do_get(flight.Ticket(
        b"SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'raw_target'"), options).read_all()
    assert exists.column("n")[0].as_py() == 0

    # The same path with well-formed messages works.
    raw.do_put([wire.flight_data(descriptor, header=schema_header), wire.flight_data(header=batch_header, body=batch_body)])
    assert count(client, options, "raw_target") == 100
    raw.close()
    assert_still_serving(server, options)
