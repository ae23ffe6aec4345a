"""Starting and stopping the servers under test, each as its own process on 127.0.0.1."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.flight as flight

REPO = Path(__file__).resolve().parents[1]
LISTENING = re.compile(r"Arrow Flight server listening on grpc://127\.0\.0\.1:(\d+)")
# The arrow-go example prints "Starting SQLite Flight SQL Server on 127.0.0.1:<port> ...".
SQLITE_LISTENING = re.compile(r"Flight SQL Server on 127\.0\.0\.1:(\d+)")
# Built by bench/setup (make bench / bench-quick) from bench/go: arrow-go v18.8.0's example.
SQLITE_SERVER = REPO / ".deps" / "bench" / "sqlite_flightsql_server"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0  # Quiver checkpoints the database on SIGTERM; give it time


class ServerProcess:
    """A server process: start, wait for the 'listening' log line, read its memory, stop."""

    def __init__(self, name: str, args: list, workdir: Path, listening=LISTENING):
        self.name = name
        self._listening = listening
        self.log_path = workdir / f"{name}.log"
        # A QUIVER_* variable in the caller's environment must not change what is measured.
        env = {k: v for k, v in os.environ.items() if not k.startswith("QUIVER_")}
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                        cwd=workdir, env=env)
        try:
            self.port = self._wait_for_port()
        except RuntimeError:
            self._log.close()
            raise
        self.uri = f"grpc://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def _wait_for_port(self) -> int:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            match = self._listening.search(self.log_path.read_text())
            if match:
                return int(match.group(1))
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_path.read_text()}")
            time.sleep(0.02)
        self.process.kill()
        self.process.wait(timeout=STOP_TIMEOUT_S)
        raise RuntimeError(f"{self.name} did not start in {START_TIMEOUT_S}s:\n"
                           f"{self.log_path.read_text()}")

    def memory_kib(self) -> dict:
        """Current (VmRSS) and peak (VmHWM) resident memory of the server, in KiB."""
        fields = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
        return fields

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far (all its threads). Unlike wall
        time, this hardly changes when other processes load the machine."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def client(self) -> flight.FlightClient:
        return flight.FlightClient(self.uri)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)
        self._log.close()
        return self.process.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def private_quiver_binary(workdir: Path) -> Path:
    """A copy of build/quiver (or $QUIVER_BENCH_BINARY) for this run, so that a rebuild in the
    shared tree while the benchmark runs cannot swap the binary between two cases. The CloudQuery
    plugin next to it (quiver-cq-arrowflight) is copied too, when it is there."""
    source = Path(os.environ.get("QUIVER_BENCH_BINARY", REPO / "build" / "quiver"))
    if not source.exists():
        raise SystemExit(f"{source} not found: run `make build` first")
    target = workdir / "quiver"
    shutil.copy2(source, target)
    plugin = source.with_name(PLUGIN_NAME)
    if plugin.exists():
        shutil.copy2(plugin, workdir / PLUGIN_NAME)
    return target


PLUGIN_NAME = "quiver-cq-arrowflight"


def start_sqlite_server(workdir: Path) -> ServerProcess:
    """The arrow-go SQLite Flight SQL example server (in-memory SQLite, no authentication)."""
    return ServerProcess("sqlite-flightsql", [str(SQLITE_SERVER), "-host", "127.0.0.1",
                                              "-port", "0"], workdir, listening=SQLITE_LISTENING)


def start_quiver(binary: Path, workdir: Path, database: Path, name="quiver",
                 config_text: str = "") -> ServerProcess:
    args = [str(binary), "serve", "--port", "0", "--database", str(database)]
    if config_text:
        config = workdir / f"{name}.yaml"
        config.write_text(config_text)
        args += ["--config", str(config)]
    return ServerProcess(name, args, workdir)


def start_pyflight(workdir: Path, ipc_file: Path = None) -> ServerProcess:
    args = [sys.executable, str(Path(__file__).with_name("pyflight_server.py"))]
    if ipc_file is not None:
        args.append(str(ipc_file))
    return ServerProcess("pyflight", args, workdir)
