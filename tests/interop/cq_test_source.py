"""A minimal CloudQuery source plugin (protocol v3) for the `cloudquery sync` test.

Run as `cq_test_source.py serve --network unix --address <socket> ...`, the way the CLI starts
plugins. It has two tables: `cq_source_items` (primary key `id`, SOURCE_ROWS rows) and
`cq_source_events` (no key), with a uuid and a json column, so the CLI's own handling
(_cq_sync_time / _cq_source_name columns, MigrateTable, inserts, DeleteStale) reaches the
destination. Every record is built with pyarrow; protobuf is hand-made (cq_wire.py).
"""
import argparse
import json
import os
import signal
import sys
import threading
import uuid
from concurrent import futures

import grpc
import pyarrow as pa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cq_wire as cq  # noqa: E402
from wire import field_bytes  # noqa: E402

SOURCE_ROWS = 25


def uuid_field(name, nullable=True, pk=False):
    metadata = {b"ARROW:extension:name": b"uuid", b"ARROW:extension:metadata": b"uuid-serialized"}
    if pk:
        metadata[b"cq:extension:primary_key"] = b"true"
    return pa.field(name, pa.binary(16), nullable=nullable, metadata=metadata)


ITEMS = pa.schema([
    pa.field("id", pa.int64(), nullable=False, metadata={b"cq:extension:primary_key": b"true"}),
    pa.field("name", pa.utf8()),
    uuid_field("ref"),
    pa.field("doc", pa.binary(), metadata={b"ARROW:extension:name": b"json",
                                           b"ARROW:extension:metadata": b"json-serialized"}),
], metadata={b"cq:table_name": b"cq_source_items"})
EVENTS = pa.schema([pa.field("message", pa.utf8()), pa.field("level", pa.int32())],
                   metadata={b"cq:table_name": b"cq_source_events"})


def sync_responses():
    for schema in (ITEMS, EVENTS):
        yield field_bytes(1, field_bytes(1, cq.schema_bytes(schema)))  # migrate_table
    for start in range(0, SOURCE_ROWS, 10):
        ids = list(range(start, min(start + 10, SOURCE_ROWS)))
        batch = pa.RecordBatch.from_arrays([
            pa.array(ids, pa.int64()), pa.array([f"item {i}" for i in ids]),
            pa.array([uuid.UUID(int=i + 1).bytes for i in ids], pa.binary(16)),
            pa.array([json.dumps({"n": i}).encode() for i in ids], pa.binary())], schema=ITEMS)
        yield field_bytes(2, field_bytes(1, cq.record_bytes(batch)))  # insert
    events = pa.RecordBatch.from_arrays([pa.array(["started", "done"]), pa.array([1, 2], pa.int32())],
                                        schema=EVENTS)
    yield field_bytes(2, field_bytes(1, cq.record_bytes(events)))


def unary(handler):
    return grpc.unary_unary_rpc_method_handler(handler)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command")
    parser.add_argument("--address", default="localhost:7777")
    parser.add_argument("--network", default="tcp")
    args, _ = parser.parse_known_args()  # the CLI's other flags are ignored
    if args.command != "serve":
        sys.exit(f"unknown command {args.command}")

    plugin = grpc.method_handlers_generic_handler("cloudquery.plugin.v3.Plugin", {
        "GetName": unary(lambda request, context: field_bytes(1, b"quiver-test-source")),
        "GetVersion": unary(lambda request, context: field_bytes(1, b"v1.0.0")),
        "Init": unary(lambda request, context: b""),
        "GetTables": unary(lambda request, context: b"".join(
            field_bytes(1, cq.schema_bytes(schema)) for schema in (ITEMS, EVENTS))),
        "Sync": grpc.unary_stream_rpc_method_handler(lambda request, context: sync_responses()),
        "Close": unary(lambda request, context: b""),
    })
    discovery = grpc.method_handlers_generic_handler("cloudquery.discovery.v1.Discovery", {
        "GetVersions": unary(lambda request, context: field_bytes(1, bytes([3]))),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((plugin, discovery))
    target = f"unix:{args.address}" if args.network == "unix" else args.address
    server.add_insecure_port(target)
    server.start()
    print(json.dumps({"level": "info", "message": f"test source listening on {args.address}"}), flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait(timeout=300)  # bounded: the CLI stops plugins when the sync ends
    server.stop(grace=1).wait()


if __name__ == "__main__":
    main()
