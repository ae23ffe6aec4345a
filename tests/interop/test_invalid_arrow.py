"""Arrow data that is well framed but invalid inside (offsets past the end of the data, bad
UTF-8): Flight's IPC reader accepts it, so the server must validate every received batch before
DuckDB reads it. Found by fuzzing (tests/fuzz/ipc_ingest); before the fix such a DoPut crashed
the server."""
import struct

import pyarrow as pa
import pyarrow.flight as flight
import pytest

import wire
from conftest import assert_still_serving


def bad_offsets_batch() -> pa.RecordBatch:
    # Two strings in a 2-byte data buffer whose second offset points 1,000,000 bytes past it.
    offsets = pa.py_buffer(struct.pack("<3i", 0, 1_000_000, 2))
    strings = pa.Array.from_buffers(pa.string(), 2, [None, offsets, pa.py_buffer(b"ab")])
    return pa.RecordBatch.from_arrays([pa.array([1, 2], pa.int64()), strings], ["id", "s"])


def bad_utf8_batch() -> pa.RecordBatch:
    offsets = pa.py_buffer(struct.pack("<2i", 0, 2))
    strings = pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(b"\xff\xfe")])
    return pa.RecordBatch.from_arrays([pa.array([1], pa.int64()), strings], ["id", "s"])


def put(client, options, descriptor, batch):
    writer, reader = client.do_put(descriptor, batch.schema, options)
    with pytest.raises(pa.ArrowException, match="Invalid Arrow record batch"):
        writer.write_batch(batch)
        writer.done_writing()
        reader.read()
        writer.close()


def create_table(client, options, table):
    """The table, created by a valid DoPut of the same columns."""
    good = pa.RecordBatch.from_arrays([pa.array([0], pa.int64()), pa.array(["ok"])], ["id", "s"])
    writer, _ = client.do_put(flight.FlightDescriptor.for_path(table), good.schema, options)
    writer.write_batch(good)
    writer.close()


@pytest.mark.parametrize("make_batch", [bad_offsets_batch, bad_utf8_batch])
@pytest.mark.parametrize("route", ["path", "insert", "ingest", "cloudquery"])
def test_invalid_batches_are_refused(server, client, options, make_batch, route):
    table = f"t_{route}"
    if route != "path":
        create_table(client, options, table)
    descriptor = {
        "path": flight.FlightDescriptor.for_path(table),
        "insert": flight.FlightDescriptor.for_command(f"INSERT INTO {table} FORMAT Arrow"),
        "ingest": flight.FlightDescriptor.for_command(wire.command(
            "CommandStatementIngest", wire.field_bytes(2, table.encode()))),
        "cloudquery": flight.FlightDescriptor.for_path("cloudquery", "arrowflight", table),
    }[route]
    put(client, options, descriptor, make_batch())
    if route != "path":
        rows = client.do_get(flight.Ticket(f"SELECT count(*) AS n FROM {table}".encode()),
                             options).read_all()
        assert rows.column("n").to_pylist() == [1]
    assert_still_serving(server, options)
