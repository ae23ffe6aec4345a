"""Case 4 (Flight SQL part): small statements through the ADBC Flight SQL driver, against a peer
Flight SQL server: the arrow-go SQLite example server (arrow-go v18.8.0, in-memory SQLite;
bench/setup builds it). Two kinds of statement, 1 and 16 concurrent clients:

* ad-hoc `SELECT 1`-class statements (CommandStatementQuery: GetFlightInfo + DoGet);
* a prepared point query `SELECT * FROM points WHERE id = ?` (prepared once per client; every
  execution binds a new id: DoPut of the parameters, GetFlightInfo, DoGet), on a 10,000-row table
  with an integer primary key in both servers.

Both servers are driven by the same Python client code and driver, so the client's own cost
(which dominates on this 2-core machine) is the same on both sides; the server CPU per
statement (from /proc) is the figure that the client's load hardly distorts."""
import threading
import time

import adbc_ops
import servers
from context import Context
from runner import Variant, interleaved
from stats import quantile

CASE = "4. Small queries"
SQLITE = "arrow-go SQLite server"
QUIVER = "Quiver"
STATEMENTS = ["SELECT 1", "SELECT 42 AS answer", "SELECT 1 + 1 AS two", "SELECT 'quiver' AS name"]
POINT_ROWS = 10_000
POINT_QUERY = "SELECT * FROM points WHERE id = ?"
KINDS = {"ADBC ad-hoc SELECT 1-class": "ad_hoc", "ADBC prepared point query": "point"}
CLIENT_COUNTS = (1, 16)


def _create_points(cursor, dialect: str) -> None:
    adbc_ops.update(cursor, "DROP TABLE IF EXISTS points")
    adbc_ops.update(cursor, "CREATE TABLE points (id INTEGER PRIMARY KEY, name VARCHAR, "
                            "value INTEGER)")
    if dialect == "sqlite":
        rows = (f"WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r "
                f"WHERE i < {POINT_ROWS - 1}) SELECT i, 'point ' || i, i * 7 FROM r")
    else:
        rows = f"SELECT i, 'point ' || i, i * 7 FROM range({POINT_ROWS}) t(i)"
    adbc_ops.update(cursor, f"INSERT INTO points {rows}")
    count = adbc_ops.ad_hoc(cursor, "SELECT count(*) AS n FROM points").column(0)[0].as_py()
    if count != POINT_ROWS:
        raise RuntimeError(f"{dialect}: points has {count} rows, expected {POINT_ROWS}")


class _Client:
    """One ADBC connection with its cursor, connected (and prepared) before anything is timed."""

    def __init__(self, uri: str, authenticate: bool, kind: str):
        self.connection = adbc_ops.connect(uri, authenticate)
        self.cursor = self.connection.cursor()
        self.kind = kind
        if kind == "point":
            self.cursor.adbc_prepare(POINT_QUERY)

    def statement(self, i: int) -> None:
        if self.kind == "ad_hoc":
            table = adbc_ops.ad_hoc(self.cursor, STATEMENTS[i % len(STATEMENTS)])
        else:
            point = (i * 7919) % POINT_ROWS
            self.cursor.execute(POINT_QUERY, (point,))
            table = self.cursor.fetch_arrow_table()
            if i < 4 and table.column("value").to_pylist() != [point * 7]:
                raise RuntimeError(f"point query {point}: got {table.to_pylist()}")
        if table.num_rows != 1:
            raise RuntimeError(f"{self.kind}: {table.num_rows} rows instead of 1")

    def close(self) -> None:
        self.cursor.close()
        self.connection.close()


def _sweep(server, clients: list, total: int, budget_s: float) -> dict:
    """`total` statements spread over the clients, one thread each (the driver releases the GIL
    while it waits); a thread stops at its share or the deadline. Plus the server's CPU."""
    deadline = time.monotonic() + budget_s
    latencies = [[] for _ in clients]
    errors = []
    share = max(1, total // len(clients))

    def worker(index):
        client = clients[index]
        try:
            for i in range(share):
                if time.monotonic() >= deadline:
                    break
                start = time.perf_counter()
                client.statement(index * share + i)
                latencies[index].append(time.perf_counter() - start)
        except Exception as error:  # surfaced below: a failing statement fails the case
            errors.append(error)

    cpu = server.cpu_seconds()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(clients))]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=budget_s + 60)
    wall = time.perf_counter() - start
    if errors:
        raise errors[0]
    done = [value for per_thread in latencies for value in per_thread]
    return {"p50_ms": quantile(done, 0.5) * 1000, "p99_ms": quantile(done, 0.99) * 1000,
            "statements_per_s": len(done) / wall, "statements": len(done),
            "server_cpu_us": (server.cpu_seconds() - cpu) * 1e6 / max(1, len(done))}


def _label(server: str, kind: str, count: int) -> str:
    return f"{server}, {kind}, {count} client{'s' if count > 1 else ''}"


def run(ctx: Context) -> None:
    if not servers.SQLITE_SERVER.exists():
        for kind in KINDS:
            ctx.results.skip(CASE, f"{QUIVER} vs {SQLITE}, {kind}",
                             f"{servers.SQLITE_SERVER.name} not built (bench/setup needs Go)")
        return
    p = ctx.profile
    sqlite = servers.start_sqlite_server(ctx.workdir)
    pools = []
    try:
        targets = {SQLITE: (sqlite, False, "sqlite"), QUIVER: (ctx.quiver, True, "duckdb")}
        for server, authenticate, dialect in targets.values():
            with adbc_ops.connect(server.uri, authenticate) as connection:
                with connection.cursor() as cursor:
                    _create_points(cursor, dialect)
        variants = []
        for kind_label, kind in KINDS.items():
            for count in CLIENT_COUNTS:
                for name, (server, authenticate, _) in targets.items():
                    clients = [_Client(server.uri, authenticate, kind) for _ in range(count)]
                    pools.append(clients)
                    variants.append(Variant(
                        _label(name, kind_label, count),
                        lambda server=server, clients=clients: _sweep(
                            server, clients, p.adbc_statements, p.small_budget_s)))
        samples = interleaved(variants, warmup=p.warmup, runs=p.small_runs,
                              budget_s=p.case_budget_s)
    finally:
        for clients in pools:
            for client in clients:
                client.close()
        sqlite.stop()

    r = ctx.results
    for kind_label in KINDS:
        for count in CLIENT_COUNTS:
            base = _label(SQLITE, kind_label, count)
            mine = _label(QUIVER, kind_label, count)
            done = int(min(samples[mine]["statements"]))
            for metric, key in (("p50 latency", "p50_ms"), ("p99 latency", "p99_ms")):
                r.add(CASE, base, metric, "ms", samples[base][key])
                r.add(CASE, mine, metric, "ms", samples[mine][key], baseline=base,
                      note=f"{done} statements/round")
            r.add(CASE, base, "server CPU per statement", "µs", samples[base]["server_cpu_us"])
            r.add(CASE, mine, "server CPU per statement", "µs", samples[mine]["server_cpu_us"],
                  baseline=base)
            if count > 1:
                r.add(CASE, base, "throughput", "statements/s", samples[base]["statements_per_s"])
                r.add(CASE, mine, "throughput", "statements/s",
                      samples[mine]["statements_per_s"], baseline=base)
