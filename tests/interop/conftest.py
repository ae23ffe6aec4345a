"""Starts the real `quiver serve` binary on a free loopback port for the interop tests."""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pyarrow.flight as flight
import pytest

BINARY = os.environ.get("QUIVER_BINARY", str(Path(__file__).resolve().parents[2] / "build" / "quiver"))
LISTENING = re.compile(r"Arrow Flight server listening on grpc(?:\+tls)?://127\.0\.0\.1:(\d+)")


class QuiverServer:
    """A running server: its address, log and a way to stop it."""

    def __init__(self, workdir: Path, config_text: str = "", extra_args=(), env=None):
        self.workdir = workdir
        self.log_path = workdir / "server.log"
        args = [BINARY, "serve", "--port", "0", "--database", str(workdir / "test.duckdb")]
        if config_text:
            config_path = workdir / "quiver.yaml"
            config_path.write_text(config_text)
            args += ["--config", str(config_path)]
        args += list(extra_args)
        process_env = {k: v for k, v in os.environ.items() if not k.startswith("QUIVER_")}
        process_env.update(env or {})
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                        cwd=workdir, env=process_env)
        self.port = self._wait_for_port()
        self.uri = f"grpc://127.0.0.1:{self.port}"

    def _wait_for_port(self, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = LISTENING.search(self.log_path.read_text())
            if match:
                return int(match.group(1))
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()}")
            time.sleep(0.02)
        self.process.kill()
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text()}")

    def log(self) -> str:
        return self.log_path.read_text()

    def client(self) -> flight.FlightClient:
        return flight.FlightClient(self.uri)

    def stop(self, timeout=15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        self._log.close()
        return self.process.returncode


def assert_still_serving(server: QuiverServer, options=None):
    """The server answers a fresh query after whatever the test threw at it."""
    client = server.client()
    if options is None:
        options = flight.FlightCallOptions(headers=[client.authenticate_basic_token("default", "")])
    table = client.do_get(flight.Ticket(b"SELECT 42 AS answer"), options).read_all()
    assert table.column("answer").to_pylist() == [42]
    client.close()


@pytest.fixture
def start_server(tmp_path):
    """Factory: start_server(config_text="", extra_args=()) -> QuiverServer; stopped at teardown."""
    servers = []

    def start(config_text: str = "", extra_args=()):
        workdir = tmp_path / f"server{len(servers)}"
        workdir.mkdir()
        server = QuiverServer(workdir, config_text, extra_args)
        servers.append(server)
        return server

    yield start
    for server in servers:
        code = server.stop()
        assert code == 0, f"server exited with {code}:\n{server.log()}"


@pytest.fixture
def server(start_server):
    """An anonymous server (the implicit user `default` with an empty password)."""
    return start_server()


@pytest.fixture
def client(server):
    client = server.client()
    yield client
    client.close()


@pytest.fixture
def options(client):
    token = client.authenticate_basic_token("default", "")
    return flight.FlightCallOptions(headers=[token])
