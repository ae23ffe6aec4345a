"""Load and faults: many clients mixing reads, writes and prepared statements with zero errors and
flat server memory; clients killed mid-DoGet and mid-DoPut; the server killed during acknowledged
ingests and restarted on the same file; read-only database files and directories.

`make test` runs the load test for QUIVER_LOAD_SECONDS=5 with QUIVER_LOAD_CLIENTS=8;
`make test-reliability` for 60 s with 32 clients. With QUIVER_RELIABILITY_REPORT=<file>, the
measured figures are appended there as JSON lines (docs/reliability.md quotes them)."""
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import adbc_driver_flightsql.dbapi as adbc
import pyarrow as pa
import pyarrow.flight as flight
import pytest

from conftest import BINARY, LISTENING, QuiverServer, assert_still_serving

LOAD_SECONDS = float(os.environ.get("QUIVER_LOAD_SECONDS", "5"))
LOAD_CLIENTS = int(os.environ.get("QUIVER_LOAD_CLIENTS", "8"))
REPORT = os.environ.get("QUIVER_RELIABILITY_REPORT")
MIB = 1024 * 1024
FACT_ROWS = 100_000


def report(name, **figures):
    if REPORT:
        with open(REPORT, "a") as out:
            out.write(json.dumps({"test": name, **figures}) + "\n")


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def connect(server, extra_headers=()):
    client = server.client()
    token = client.authenticate_basic_token("default", "")
    return client, flight.FlightCallOptions(headers=[token, *extra_headers])


def run(client, options, sql):
    return client.do_get(flight.Ticket(sql.encode()), options).read_all()


def scalar(client, options, sql):
    return run(client, options, sql).column(0)[0].as_py()


# --- Load ---------------------------------------------------------------------------------------

class Worker(threading.Thread):
    """One client doing one kind of work in a loop until the deadline, checking every answer."""

    KINDS = ("flight_info", "raw_get", "do_put", "adbc_ingest", "prepared")

    def __init__(self, server, index, deadline):
        super().__init__(daemon=True)
        self.server, self.index, self.deadline = server, index, deadline
        self.kind = self.KINDS[index % len(self.KINDS)]
        self.ops = 0
        self.rows_written = 0
        self.errors = []

    def run(self):
        try:
            getattr(self, self.kind)()
        except Exception as error:  # noqa: BLE001 - every failure is a finding
            self.errors.append(f"{self.kind}#{self.index}: {type(error).__name__}: {error}")

    def loop(self, step):
        while time.monotonic() < self.deadline:
            try:
                step(self.ops)
            except Exception as error:  # noqa: BLE001
                self.errors.append(f"{self.kind}#{self.index} op {self.ops}: {type(error).__name__}: {error}")
                if len(self.errors) > 20:
                    return
            self.ops += 1

    def flight_info(self):
        client, options = connect(self.server)

        def step(op):
            r = (self.index + op) % 7
            descriptor = flight.FlightDescriptor.for_command(
                f"SELECT count(*) AS n, sum(v) AS total FROM facts WHERE id % 7 = {r}")
            info = client.get_flight_info(descriptor, options)
            table = pa.concat_tables([client.do_get(e.ticket, options).read_all() for e in info.endpoints])
            ids = [i for i in range(FACT_ROWS) if i % 7 == r]
            assert table.to_pylist() == [{"n": len(ids), "total": 2 * sum(ids)}]
        self.loop(step)
        client.close()

    def raw_get(self):
        client, options = connect(self.server)

        def step(op):
            start = (self.index * 1000 + op * 997) % (FACT_ROWS - 1000)
            table = run(client, options, f"SELECT id, s FROM facts WHERE id >= {start} AND id < {start + 1000} ORDER BY id")
            assert table.num_rows == 1000 and table.column("id")[0].as_py() == start
            assert table.column("s")[999].as_py() == f"name {start + 999}"
        self.loop(step)
        client.close()

    def do_put(self):
        client, options = connect(self.server)
        schema = pa.schema([("writer", pa.int32()), ("op", pa.int64()), ("payload", pa.string())])

        def step(op):
            batch = pa.record_batch({"writer": pa.array([self.index] * 100, pa.int32()),
                                     "op": pa.array([op] * 100, pa.int64()),
                                     "payload": pa.array([f"{self.index}-{op}-{i}" for i in range(100)])}, schema=schema)
            writer, _ = client.do_put(flight.FlightDescriptor.for_path(f"puts_{self.index}"), schema, options)
            writer.write_batch(batch)
            writer.close()
            self.rows_written += 100
        self.loop(step)
        client.close()

    def adbc_ingest(self):
        with adbc.connect(self.server.uri, db_kwargs={"username": "default", "password": ""}, autocommit=True) as conn:
            with conn.cursor() as cur:
                def step(op):
                    data = pa.table({"writer": pa.array([self.index] * 100, pa.int32()),
                                     "op": pa.array([op] * 100, pa.int64())})
                    cur.adbc_ingest(f"ingest_{self.index}", data, mode="create_append")
                    self.rows_written += 100
                self.loop(step)

    def prepared(self):
        with adbc.connect(self.server.uri, db_kwargs={"username": "default", "password": ""}, autocommit=True) as conn:
            with conn.cursor() as cur:
                def step(op):
                    x = self.index * 100_000 + op
                    cur.execute("SELECT ?::BIGINT * 2 AS doubled, count(*) AS n FROM facts WHERE id < ?", parameters=(x, 500))
                    assert cur.fetchall() == [(2 * x, 500)]
                self.loop(step)


def test_load_mixed_clients(start_server):
    server = start_server()
    client, options = connect(server)
    run(client, options, f"CREATE TABLE facts AS SELECT range AS id, range * 2 AS v, 'name ' || range AS s FROM range({FACT_ROWS})")
    pid = server.process.pid
    samples = []
    started = time.monotonic()
    deadline = started + LOAD_SECONDS
    workers = [Worker(server, i, deadline) for i in range(LOAD_CLIENTS)]
    for worker in workers:
        worker.start()
    while any(worker.is_alive() for worker in workers):
        samples.append((time.monotonic() - started, rss_kib(pid)))
        time.sleep(0.2)
        assert time.monotonic() < deadline + 120, "workers did not finish"
    elapsed = time.monotonic() - started
    errors = [error for worker in workers for error in worker.errors]
    assert errors == [], errors[:10]
    client.close()
    client, options = connect(server)  # the first token expired while this one sat idle

    # Every acknowledged write is there, exactly once.
    for worker in workers:
        if worker.kind in ("do_put", "adbc_ingest") and worker.ops:
            table = f"puts_{worker.index}" if worker.kind == "do_put" else f"ingest_{worker.index}"
            assert scalar(client, options, f"SELECT count(*) FROM {table}") == worker.rows_written, table
            assert scalar(client, options, f"SELECT count(DISTINCT op) FROM {table}") == worker.ops, table

    ops = {kind: sum(w.ops for w in workers if w.kind == kind) for kind in Worker.KINDS}
    assert all(count > 0 for count in ops.values()), ops
    # Memory: no growth without bound. The second half of the run peaks no higher than the first
    # half's peak plus a margin (DuckDB's buffers grow with the rows written).
    half = elapsed / 2
    first = [kib for t, kib in samples if t <= half]
    second = [kib for t, kib in samples if t > half]
    assert first and second
    assert max(second) <= max(first) * 1.25 + 64 * 1024, (max(first), max(second))
    assert_still_serving(server, options)
    report("load", clients=LOAD_CLIENTS, seconds=round(elapsed, 1), requests=sum(ops.values()), by_kind=ops,
           errors=len(errors), rss_start_mib=round(samples[0][1] / 1024), rss_first_half_peak_mib=round(max(first) / 1024),
           rss_second_half_peak_mib=round(max(second) / 1024), rss_end_mib=round(samples[-1][1] / 1024))
    client.close()


# --- Clients killed mid-call ------------------------------------------------------------------

CLIENT_PRELUDE = """
import sys, time
import pyarrow as pa
import pyarrow.flight as flight
uri, session = sys.argv[1], sys.argv[2]
client = flight.FlightClient(uri)
headers = [client.authenticate_basic_token("default", "")]
if session:
    headers.append((b"x-clickhouse-session-id", session.encode()))
options = flight.FlightCallOptions(headers=headers)
"""

DO_GET_CLIENT = CLIENT_PRELUDE + """
query = sys.argv[3]
if query.startswith("INFO:"):
    info = client.get_flight_info(flight.FlightDescriptor.for_command(query[5:]), options)
    reader = client.do_get(info.endpoints[0].ticket, options)
else:
    reader = client.do_get(flight.Ticket(query.encode()), options)
reader.read_chunk()
print("reading", flush=True)
time.sleep(120)
"""

DO_PUT_CLIENT = CLIENT_PRELUDE + """
descriptor = sys.argv[3]
if descriptor.startswith("PATH:"):
    descriptor = flight.FlightDescriptor.for_path(descriptor[5:])
else:
    descriptor = flight.FlightDescriptor.for_command(descriptor)
schema = pa.schema([("id", pa.int64()), ("pad", pa.string())])
writer, _ = client.do_put(descriptor, schema, options)
for b in range(20):
    ids = pa.array(range(b * 50_000, (b + 1) * 50_000), pa.int64())
    writer.write_batch(pa.record_batch({"id": ids, "pad": pa.array(["p" * 20] * 50_000)}, schema=schema))
print("writing", flush=True)
time.sleep(120)
"""


def killed_mid_call(server, script, *args, session=""):
    """Runs `script` in a client process until it reports its call is under way, then SIGKILLs it."""
    process = subprocess.Popen([sys.executable, "-c", script, server.uri, session, *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.strip() in ("reading", "writing"), process.stderr.read()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    return process


def eventually(check, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - retried until the deadline
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def test_client_killed_mid_do_get(start_server, tmp_path):
    spill = tmp_path / "spill"
    server = start_server(f"tickets_memory_budget_bytes: 0\nspill_directory: {spill}\ntickets_lifetime_seconds: 2\n")
    big = "SELECT range AS id, repeat('x', 100) AS pad FROM range(50000000)"
    # A raw SQL DoGet streaming from DuckDB in a session: the session is usable again afterwards.
    killed_mid_call(server, DO_GET_CLIENT, big, session="held")
    client, options = connect(server, [(b"x-clickhouse-session-id", b"held")])
    timed = flight.FlightCallOptions(headers=options.headers, timeout=20)
    eventually(lambda: run(client, timed, "SELECT 42 AS answer").column(0)[0].as_py() == 42)
    # A spilled ticket's DoGet: its file goes when the ticket expires.
    killed_mid_call(server, DO_GET_CLIENT, "INFO:SELECT range AS id, repeat('y', 50) AS pad FROM range(2000000)")
    assert list(spill.glob("quiver-spill-*/*"))
    eventually(lambda: list(spill.glob("quiver-spill-*/*")) == [])
    assert_still_serving(server)
    client.close()


@pytest.mark.parametrize("descriptor, exists", [
    ("PATH:victim", False), ("PATH:victim", True), ("INSERT INTO victim FORMAT Arrow", True)])
def test_client_killed_mid_do_put(start_server, descriptor, exists):
    server = start_server()
    client, options = connect(server)
    if exists:
        run(client, options, "CREATE TABLE victim (id BIGINT, pad VARCHAR); INSERT INTO victim VALUES (-1, 'kept')")
    killed_mid_call(server, DO_PUT_CLIENT, descriptor)

    def settled():
        # The aborted statement has released the table: a write to it succeeds.
        run(client, options, "CREATE TABLE IF NOT EXISTS probe (x INTEGER); INSERT INTO probe VALUES (1)")
        return True
    eventually(settled)
    tables = scalar(client, options, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'victim'")
    if exists:
        assert run(client, options, "SELECT * FROM victim").to_pylist() == [{"id": -1, "pad": "kept"}]
    else:
        assert tables == 0
    assert_still_serving(server, options)
    client.close()


# --- The server killed ------------------------------------------------------------------------

def test_server_killed_during_acknowledged_ingests(tmp_path):
    workdir = tmp_path / "server"
    workdir.mkdir()
    # The killed server's spill directory stays behind: keep it under tmp_path.
    config = f"spill_directory: {tmp_path}\n"
    server = QuiverServer(workdir, config)
    acknowledged, attempted = [], []
    stop = threading.Event()
    rows = 1000
    schema = pa.schema([("batch", pa.int64()), ("i", pa.int32())])

    def writer_loop():
        client, options = connect(server)
        batch_id = 0
        while not stop.is_set():
            batch = pa.record_batch({"batch": pa.array([batch_id] * rows, pa.int64()),
                                     "i": pa.array(range(rows), pa.int32())}, schema=schema)
            attempted.append(batch_id)
            try:
                writer, _ = client.do_put(flight.FlightDescriptor.for_path("acks"), schema, options)
                writer.write_batch(batch)
                writer.close()
            except Exception:  # noqa: BLE001 - the server is gone
                return
            acknowledged.append(batch_id)
            batch_id += 1

    thread = threading.Thread(target=writer_loop, daemon=True)
    thread.start()
    eventually(lambda: len(acknowledged) >= 50, timeout=60)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)
    stop.set()
    thread.join(timeout=30)
    server.stop()

    again = QuiverServer(workdir, config)
    try:
        client, options = connect(again)
        grouped = run(client, options, "SELECT batch, count(*) AS n FROM acks GROUP BY batch").to_pylist()
        counts = {row["batch"]: row["n"] for row in grouped}
        missing = [b for b in acknowledged if counts.get(b) != rows]
        assert missing == [], missing
        partial = {b: n for b, n in counts.items() if n != rows}
        assert partial == {}, partial
        # At most the batch in flight at the kill is there without its acknowledgement.
        assert set(counts) - set(acknowledged) <= set(attempted[-1:])
        assert_still_serving(again, options)
        report("server_kill", acknowledged=len(acknowledged), present=len(counts), rows_each=rows)
        client.close()
    finally:
        assert again.stop() == 0


def test_stop_with_an_open_transaction_in_a_session(tmp_path):
    workdir = tmp_path / "server"
    workdir.mkdir()
    server = QuiverServer(workdir)
    client, options = connect(server)
    run(client, options, "CREATE TABLE ledger (v INTEGER); INSERT INTO ledger VALUES (1)")
    _, in_session = connect(server, [(b"x-clickhouse-session-id", b"open")])
    run(client, in_session, "BEGIN TRANSACTION; INSERT INTO ledger VALUES (2)")
    client.close()
    code = server.stop()
    again = QuiverServer(workdir)
    try:
        again_client, again_options = connect(again)
        # The uncommitted row is gone, the committed one kept.
        assert run(again_client, again_options, "SELECT v FROM ledger").column(0).to_pylist() == [1]
        again_client.close()
    finally:
        again.stop()
    assert code == 0, server.log()


# --- Read-only database files and directories ---------------------------------------------------

def start_as_unprivileged(workdir: Path, database: Path, extra=()):
    """The server as `nobody` when the tests run as root (root ignores file modes)."""
    args = [BINARY, "serve", "--port", "0", "--database", str(database), *extra]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv")
        nobody = pwd.getpwnam("nobody")
        args = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups", *args]
    log_path = workdir / "server.log"
    log = open(log_path, "w")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TMPDIR": str(workdir / "tmp")}
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, env=env)
    log.close()
    return process, log_path


def wait_listening_or_exit(process, log_path, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = LISTENING.search(log_path.read_text())
        if match:
            return int(match.group(1))
        if process.poll() is not None:
            return None
        time.sleep(0.05)
    process.kill()
    raise AssertionError(log_path.read_text())


@pytest.fixture
def shared_dir():
    """A directory `nobody` can reach (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="quiver-readonly-"))
    path.chmod(0o755)
    (path / "tmp").mkdir(mode=0o777)
    (path / "tmp").chmod(0o777)
    yield path
    for p in [path, *path.rglob("*")]:
        if p.is_dir():
            p.chmod(0o755)
    shutil.rmtree(path)


def make_database(path: Path):
    """A database file with a table `kept` of 10 rows, made by a server of our own."""
    workdir = Path(tempfile.mkdtemp(prefix="quiver-maker-"))
    try:
        server = QuiverServer(workdir)
        client, options = connect(server)
        run(client, options, "CREATE TABLE kept AS SELECT range AS id FROM range(10)")
        client.close()
        assert server.stop() == 0
        shutil.copy(workdir / "test.duckdb", path)
    finally:
        shutil.rmtree(workdir)


def test_read_only_database_file_is_a_clear_start_up_error(shared_dir):
    data = shared_dir / "data"
    data.mkdir()
    database = data / "ro.duckdb"
    make_database(database)
    data.chmod(0o777)
    database.chmod(0o444)
    process, log_path = start_as_unprivileged(shared_dir, database)
    port = wait_listening_or_exit(process, log_path)
    assert port is None, "served a database it cannot write"
    assert process.wait(timeout=10) == 1
    log = log_path.read_text()
    assert "cannot open DuckDB database" in log and str(database) in log, log
    assert "Permission denied" in log, log


def test_read_only_directory_is_a_clear_error(shared_dir):
    # No database file yet, and a directory the server cannot create it in: start-up error.
    data = shared_dir / "data"
    data.mkdir(mode=0o555)
    data.chmod(0o555)
    process, log_path = start_as_unprivileged(shared_dir, data / "new.duckdb")
    assert wait_listening_or_exit(process, log_path) is None
    assert process.wait(timeout=10) == 1
    assert "cannot open DuckDB database" in log_path.read_text()

    # A writable database file in a read-only directory: reads work; a write fails with an error
    # (DuckDB cannot create its write-ahead log there), and the server keeps serving.
    data.chmod(0o755)
    database = data / "rw.duckdb"
    make_database(database)
    database.chmod(0o666)
    data.chmod(0o555)
    process, log_path = start_as_unprivileged(shared_dir, database)
    port = wait_listening_or_exit(process, log_path)
    try:
        if port is None:
            assert "cannot open DuckDB database" in log_path.read_text()
            return
        client = flight.FlightClient(f"grpc://127.0.0.1:{port}")
        options = flight.FlightCallOptions(headers=[client.authenticate_basic_token("default", "")])
        assert scalar(client, options, "SELECT count(*) FROM kept") == 10
        with pytest.raises(flight.FlightServerError, match="(?i)permission denied|read-only|cannot open"):
            run(client, options, "INSERT INTO kept VALUES (99)")
        assert scalar(client, options, "SELECT count(*) FROM kept") == 10
        assert scalar(client, options, "SELECT 42") == 42
        client.close()
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
    assert code in (0, 1), log_path.read_text()
    assert "Segmentation fault" not in log_path.read_text()
