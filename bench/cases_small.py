"""Case 4: latency of many tiny statements, one client and 16 concurrent clients, through
DoGet with a raw SQL ticket (one RPC) and through GetFlightInfo + DoGet (two RPCs).
Baseline: the pyarrow.flight server answering a constant one-row table (no SQL at all), so the
ratio is what Quiver's per-statement work (auth, parsing, DuckDB, ticket store) costs.
In-process DuckDB running the same statements into Arrow is shown as a reference point: it is
the engine's own share of that cost."""
import threading
import time

import pyarrow.flight as flight

import flight_ops as ops
from context import Context
from runner import Variant, interleaved
from stats import quantile

CASE = "4. Small queries"
STATEMENTS = [b"SELECT 1", b"SELECT 42 AS answer", b"SELECT 1 + 1 AS two",
              b"SELECT 'quiver' AS name"]
CLIENT_COUNTS = (1, 16)
IN_PROCESS = "DuckDB in-process, 1 client"
MODES = {"raw SQL ticket": "raw", "GetFlightInfo + DoGet": "info"}


def _one_statement(client, options, mode: str, statement: bytes) -> None:
    if mode == "raw":
        client.do_get(flight.Ticket(statement), options).read_all()
    else:
        ops.fetch_flight_info(client, options, statement)


def _sweep(clients: list, mode: str, total: int, budget_s: float) -> dict:
    """`total` statements spread over the clients, each on its own thread (pyarrow releases the
    GIL during calls); a thread stops at its share or at the deadline, whichever comes first."""
    deadline = time.monotonic() + budget_s
    latencies = [[] for _ in clients]
    errors = []
    share = max(1, total // len(clients))

    def worker(index):
        client, options = clients[index]
        try:
            for i in range(share):
                if time.monotonic() >= deadline:
                    break
                start = time.perf_counter()
                _one_statement(client, options, mode, STATEMENTS[i % len(STATEMENTS)])
                latencies[index].append(time.perf_counter() - start)
        except Exception as error:  # surfaced below: a failing statement fails the case
            errors.append(error)

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
            "statements_per_s": len(done) / wall, "statements": len(done)}


def _measured_sweep(server, clients, mode, profile) -> dict:
    """A sweep plus the server CPU it cost per statement (robust to load on a shared box)."""
    cpu = server.cpu_seconds()
    result = _sweep(clients, mode, profile.small_statements, profile.small_budget_s)
    result["server_cpu_us"] = (server.cpu_seconds() - cpu) * 1e6 / max(1, result["statements"])
    return result


def _in_process_sweep(duck, total: int, budget_s: float) -> dict:
    """Reference point: the same statements run by in-process DuckDB into Arrow, no network.
    (Informative only: this is the engine's own per-statement cost that Quiver also pays.)"""
    deadline = time.monotonic() + budget_s
    latencies = []
    cpu = time.process_time()
    for i in range(total):
        if time.monotonic() >= deadline:
            break
        start = time.perf_counter()
        duck.execute(STATEMENTS[i % len(STATEMENTS)].decode()).fetch_arrow_table()
        latencies.append(time.perf_counter() - start)
    return {"p50_ms": quantile(latencies, 0.5) * 1000, "p99_ms": quantile(latencies, 0.99) * 1000,
            "server_cpu_us": (time.process_time() - cpu) * 1e6 / len(latencies),
            "statements": len(latencies)}


def _clients(server, count: int, authenticate: bool) -> list:
    """One connection per simulated client, logged in before anything is timed."""
    pairs = []
    for _ in range(count):
        client = server.client()
        pairs.append((client, ops.call_options(client, authenticate)))
    return pairs


def run(ctx: Context) -> None:
    p = ctx.profile
    servers = {"pyarrow server": (ctx.pyflight, False), "Quiver": (ctx.quiver, True)}
    pools = {(name, count): _clients(server, count, auth)
             for name, (server, auth) in servers.items() for count in CLIENT_COUNTS}
    variants = []
    for mode_label, mode in MODES.items():
        for count in CLIENT_COUNTS:
            for name in servers:
                label = _label(name, mode_label, count)
                pool = pools[(name, count)]
                server = servers[name][0]
                variants.append(Variant(label, lambda pool=pool, mode=mode, server=server:
                                        _measured_sweep(server, pool, mode, p)))
    variants.append(Variant(IN_PROCESS, lambda: _in_process_sweep(
        ctx.duck, p.small_statements, p.small_budget_s)))
    samples = interleaved(variants, warmup=p.warmup, runs=p.small_runs,
                          budget_s=p.case_budget_s)
    for pool in pools.values():
        for client, _ in pool:
            client.close()

    r = ctx.results
    for mode_label in MODES:
        for count in CLIENT_COUNTS:
            base = _label("pyarrow server", mode_label, count)
            mine = _label("Quiver", mode_label, count)
            done = int(min(samples[mine]["statements"]))
            for metric, key in (("p50 latency", "p50_ms"), ("p99 latency", "p99_ms")):
                r.add(CASE, base, metric, "ms", samples[base][key], note="constant table")
                r.add(CASE, mine, metric, "ms", samples[mine][key], baseline=base,
                      note=f"{done} statements/round")
            r.add(CASE, base, "server CPU per statement", "µs", samples[base]["server_cpu_us"])
            r.add(CASE, mine, "server CPU per statement", "µs", samples[mine]["server_cpu_us"],
                  baseline=base)
            if (mode_label, count) == ("raw SQL ticket", 1):
                for metric, key in (("p50 latency", "p50_ms"), ("p99 latency", "p99_ms"),
                                    ("server CPU per statement", "server_cpu_us")):
                    r.add(CASE, IN_PROCESS, metric, "µs" if key == "server_cpu_us" else "ms",
                          samples[IN_PROCESS][key], baseline=base, note="reference, no network")
            if count > 1:
                r.add(CASE, base, "throughput", "statements/s", samples[base]["statements_per_s"])
                r.add(CASE, mine, "throughput", "statements/s",
                      samples[mine]["statements_per_s"], baseline=base)


def _label(server: str, mode_label: str, count: int) -> str:
    return f"{server}, {mode_label}, {count} client{'s' if count > 1 else ''}"
