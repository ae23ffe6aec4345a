"""CloudQuery plugin protocol v3 / discovery v1 over gRPC, with hand-made protobuf bytes.

Field numbers come from the protocol's published message definitions, independently of the
plugin's own .proto files, so a wrong number on either side shows up as a failing test.
"""
import os
import signal
import subprocess
import time
from pathlib import Path

import grpc
import pyarrow as pa

from wire import field_bytes, field_varint, _read_varint

PLUGIN = "/cloudquery.plugin.v3.Plugin/"
DISCOVERY = "/cloudquery.discovery.v1.Discovery/"
MAX_MESSAGE = 200 * 1024 * 1024


def parse(data: bytes) -> dict:
    """Top-level fields of a message: number -> list of values (int or bytes)."""
    fields, pos = {}, 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, pos = _read_varint(data, pos)
        elif wire_type == 2:
            length, pos = _read_varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        else:
            raise ValueError(f"unexpected wire type {wire_type}")
        fields.setdefault(number, []).append(value)
    return fields


def packed_varints(data: bytes) -> list:
    out, pos = [], 0
    while pos < len(data):
        value, pos = _read_varint(data, pos)
        out.append(value)
    return out


# --- Arrow IPC stream bytes, as CloudQuery embeds them ------------------------------------------
def schema_bytes(schema: pa.Schema) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema):
        pass
    return sink.getvalue().to_pybytes()


def record_bytes(batch: pa.RecordBatch) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return sink.getvalue().to_pybytes()


def read_record(data: bytes) -> pa.RecordBatch:
    return pa.ipc.open_stream(data).read_next_batch()


# --- Messages ----------------------------------------------------------------------------------
def init_request(spec: bytes, no_connection=False, invocation_id="test-invocation") -> bytes:
    out = field_bytes(1, spec)
    if no_connection:
        out += field_varint(2, 1)
    return out + field_bytes(3, invocation_id.encode())


def migrate_table(schema: pa.Schema, force=False) -> bytes:
    """Write.Request{migrate_table (1): {table (1), migrate_force (2)}}."""
    body = field_bytes(1, schema_bytes(schema))
    if force:
        body += field_varint(2, 1)
    return field_bytes(1, body)


def insert(batch: pa.RecordBatch) -> bytes:
    """Write.Request{insert (2): {record (1)}}."""
    return field_bytes(2, field_bytes(1, record_bytes(batch)))


def delete_stale(table: str, source: str, seconds: int, nanos: int = 0) -> bytes:
    """Write.Request{delete (3): {source_name (2), sync_time (3), table_name (4)}}."""
    timestamp = field_varint(1, seconds) + (field_varint(2, nanos) if nanos else b"")
    body = field_bytes(2, source.encode()) + field_bytes(3, timestamp) + field_bytes(4, table.encode())
    return field_bytes(3, body)


def delete_record(table: str, groups=(), relations=()) -> bytes:
    """Write.Request{delete_record (4): {table_name (1), where_clause (2), table_relations (3)}}.

    groups: [(grouping "AND"|"OR", [(column, RecordBatch)])]; relations: [(table, parent)].
    """
    body = field_bytes(1, table.encode())
    for grouping, predicates in groups:
        group = field_varint(1, 1) if grouping == "OR" else b""
        for column, batch in predicates:
            group += field_bytes(2, field_bytes(2, column.encode()) + field_bytes(3, record_bytes(batch)))
        body += field_bytes(2, group)
    for child, parent in relations:
        body += field_bytes(3, field_bytes(1, child.encode()) + field_bytes(2, parent.encode()))
    return field_bytes(4, body)


class Plugin:
    """The plugin binary started the way the CloudQuery CLI starts it (unix socket, flags)."""

    def __init__(self, binary: str, workdir: Path, extra_args=(), tcp_port=None):
        # A short path: unix socket paths are limited to about 100 bytes.
        self.socket = f"/tmp/cq-quiver-{os.getpid()}-{time.monotonic_ns() % 10**9}.sock"
        self.log_path = workdir / f"plugin-{Path(self.socket).stem}.log"
        self._log = open(self.log_path, "w")
        listen = (["--network", "tcp", "--address", f"127.0.0.1:{tcp_port}"] if tcp_port
                  else ["--network", "unix", "--address", self.socket])
        args = [binary, "serve", "--log-level", "debug", "--log-format", "json", *listen,
                "--no-sentry", "--otel-endpoint", "", "--license", "/nonexistent", *extra_args]
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + 5
        while not tcp_port and not os.path.exists(self.socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError(f"plugin did not start:\n{self.log()}")
            time.sleep(0.02)
        self.channel = grpc.insecure_channel(
            f"127.0.0.1:{tcp_port}" if tcp_port else f"unix://{self.socket}",
            options=[("grpc.max_receive_message_length", MAX_MESSAGE),
                     ("grpc.max_send_message_length", MAX_MESSAGE)])
        grpc.channel_ready_future(self.channel).result(timeout=5)

    def log(self) -> str:
        return self.log_path.read_text()

    def call(self, method: str, request: bytes = b"", timeout=30, service=PLUGIN) -> bytes:
        return self.channel.unary_unary(service + method)(request, timeout=timeout)

    def init(self, spec, no_connection=False):
        if isinstance(spec, str):
            spec = spec.encode()
        return self.call("Init", init_request(spec, no_connection))

    def write(self, *messages: bytes, timeout=30) -> bytes:
        return self.channel.stream_unary(PLUGIN + "Write")(iter(messages), timeout=timeout)

    def read(self, schema: pa.Schema, timeout=30) -> list:
        responses = self.channel.unary_stream(PLUGIN + "Read")(
            field_bytes(1, schema_bytes(schema)), timeout=timeout)
        return [read_record(parse(response)[1][0]) for response in responses]

    def test_connection(self, spec: str) -> dict:
        fields = parse(self.call("TestConnection", field_bytes(1, spec.encode())))
        return {"success": bool(fields.get(1, [0])[0]),
                "failure_code": fields.get(2, [b""])[0].decode(),
                "failure_description": fields.get(3, [b""])[0].decode()}

    def close(self):
        return self.call("Close")

    def stop(self, timeout=5.0, sig=signal.SIGINT) -> int:
        """SIGINT, as the CLI does; the plugin must be gone within the CLI's 5 s."""
        self.channel.close()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        self._log.close()
        return self.process.returncode
