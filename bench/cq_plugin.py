"""Driving the CloudQuery destination plugin (quiver-cq-arrowflight) as the CloudQuery CLI does:
started with the CLI's flags on a unix socket, then plugin protocol v3 over gRPC (Init, Write,
Close), with hand-made protobuf bytes (field numbers as in tests/interop/cq_wire.py)."""
import os
import signal
import subprocess
import time
from pathlib import Path

import grpc
import pyarrow as pa

PLUGIN = "/cloudquery.plugin.v3.Plugin/"
MAX_MESSAGE = 256 * 1024 * 1024
START_TIMEOUT_S = 10.0


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _ipc(schema: pa.Schema, batch: pa.RecordBatch = None) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as writer:
        if batch is not None:
            writer.write_batch(batch)
    return sink.getvalue().to_pybytes()


def migrate_table(schema: pa.Schema) -> bytes:
    """Write.Request{migrate_table (1): {table (1)}}."""
    return _field(1, _field(1, _ipc(schema)))


def insert(batch: pa.RecordBatch) -> bytes:
    """Write.Request{insert (2): {record (1)}}."""
    return _field(2, _field(1, _ipc(batch.schema, batch)))


class Plugin:
    def __init__(self, binary: Path, workdir: Path):
        # Unix socket paths are limited to about 100 bytes: keep it short.
        self.socket = f"/tmp/quiver-bench-cq-{os.getpid()}-{time.monotonic_ns() % 10**9}.sock"
        self.log_path = workdir / "cq-plugin.log"
        self._log = open(self.log_path, "w")
        args = [str(binary), "serve", "--log-level", "warn", "--log-format", "json", "--network",
                "unix", "--address", self.socket, "--no-sentry"]
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not os.path.exists(self.socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError(f"plugin did not start:\n{self.log_path.read_text()}")
            time.sleep(0.02)
        self.channel = grpc.insecure_channel(
            f"unix://{self.socket}", options=[("grpc.max_receive_message_length", MAX_MESSAGE),
                                               ("grpc.max_send_message_length", MAX_MESSAGE)])
        grpc.channel_ready_future(self.channel).result(timeout=START_TIMEOUT_S)

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def init(self, spec: str) -> None:
        """Init.Request{spec (1), no_connection (2), invocation_id (3)}."""
        request = _field(1, spec.encode()) + _field(3, b"quiver-bench")
        self.channel.unary_unary(PLUGIN + "Init")(request, timeout=60)

    def write(self, messages: list, timeout: float) -> None:
        """One Write stream; with Quiver (which acknowledges batches) it returns once every
        row is stored."""
        self.channel.stream_unary(PLUGIN + "Write")(iter(messages), timeout=timeout)

    def close(self) -> None:
        self.channel.unary_unary(PLUGIN + "Close")(b"", timeout=120)

    def stop(self) -> int:
        self.channel.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # as the CLI stops plugins
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        return self.process.returncode
