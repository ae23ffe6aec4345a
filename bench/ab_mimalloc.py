"""A/B of mimalloc's purge delay in the Quiver server (not part of `make bench`).

    .venv/bin/python bench/ab_mimalloc.py [--scale-factor 1] [--rounds 5] [--before 10]

Quiver's `serve` re-executes itself with MIMALLOC_PURGE_DELAY=30000 unless the variable is set
(src/main/quiver_main.cpp). "before" runs the same binary with the variable set to mimalloc's
default (10 ms), which turns the re-exec off; "after" runs it without. Two servers with the same
lineitem (TPC-H dbgen, or bench/data.py without the extension), measured round by round:
server CPU per GB and wall time of GetFlightInfo (+ DoGet of every endpoint) and of a raw-SQL
DoGet, then the peak RSS (VmHWM) of fresh servers doing one raw-SQL DoGet, one and three
GetFlightInfo + DoGet (tickets dropped after their DoGet)."""
import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow.flight as flight

import data
import flight_ops as ops
import servers
import tpch
from context import LINEITEM, SELECT_ALL
from profiles import BATCH_BYTES

CONFIG = "cancel_ticket_after_do_get: true\n"


def start(binary, workdir, database, name, purge):
    saved = os.environ.get("MIMALLOC_PURGE_DELAY")
    if purge is None:
        os.environ.pop("MIMALLOC_PURGE_DELAY", None)
    else:
        os.environ["MIMALLOC_PURGE_DELAY"] = purge
    try:
        return servers.start_quiver(binary, workdir, database, name=name, config_text=CONFIG)
    finally:
        if saved is None:
            os.environ.pop("MIMALLOC_PURGE_DELAY", None)
        else:
            os.environ["MIMALLOC_PURGE_DELAY"] = saved


def environ_of(server) -> str:
    text = Path(f"/proc/{server.pid}/environ").read_bytes().split(b"\0")
    values = [v.decode() for v in text if v.startswith(b"MIMALLOC_PURGE_DELAY=")]
    return values[0] if values else "(unset)"


def one_round(server, client, options, query, gigabytes):
    out = {}
    cpu = server.cpu_seconds()
    start_t = time.perf_counter()
    info = client.get_flight_info(flight.FlightDescriptor.for_command(query), options)
    stored_t, stored_cpu = time.perf_counter(), server.cpu_seconds()
    for endpoint in info.endpoints:
        client.do_get(endpoint.ticket, options).read_all()
    done_t, done_cpu = time.perf_counter(), server.cpu_seconds()
    out["info_cpu_per_gb"] = (stored_cpu - cpu) / gigabytes
    out["info_total_cpu_per_gb"] = (done_cpu - cpu) / gigabytes
    out["info_wall_s"] = stored_t - start_t
    out["info_total_wall_s"] = done_t - start_t
    cpu = server.cpu_seconds()
    start_t = time.perf_counter()
    ops.fetch_raw_ticket(client, options, query)
    out["raw_wall_s"] = time.perf_counter() - start_t
    out["raw_cpu_per_gb"] = (server.cpu_seconds() - cpu) / gigabytes
    return out


def peak(binary, workdir, database, purge, repeats, query):
    server = start(binary, workdir, database, f"peak-{purge}", purge)
    try:
        client = server.client()
        options = ops.call_options(client, authenticate=True)
        if repeats == 0:
            ops.fetch_raw_ticket(client, options, query)
        for _ in range(repeats):
            ops.fetch_flight_info(client, options, query)
        value = server.memory_kib()["VmHWM"] / 1024
        client.close()
    finally:
        server.stop()
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale-factor", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", default="10", help="MIMALLOC_PURGE_DELAY of 'before'")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="quiver-ab-"))
    binary = servers.private_quiver_binary(workdir)
    query = SELECT_ALL.encode()
    try:
        duck = duckdb.connect()
        if tpch.available():
            tpch.generate(duck, args.scale_factor)
            table = duck.sql(f"SELECT * FROM {LINEITEM}").arrow().read_all()
        else:
            table = data.generate_lineitem(args.scale_factor)
        duck.close()
        table = data.rechunk(table, BATCH_BYTES)
        gigabytes = table.nbytes / 1e9
        variants = {"before": args.before, "after": None}
        running = {}
        for name, purge in variants.items():
            server = start(binary, workdir, workdir / f"{name}.duckdb", name, purge)
            client = server.client()
            options = ops.call_options(client, authenticate=True)
            ops.put_table(client, options, LINEITEM, table)
            running[name] = (server, client, options)
            print(f"{name}: pid {server.pid}, {environ_of(server)}")
        del table
        for server, client, options in running.values():  # warm-up
            one_round(server, client, options, query, gigabytes)
        samples = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, (server, client, options) in running.items():
                samples[name].append(one_round(server, client, options, query, gigabytes))
        for server, client, _ in running.values():
            client.close()
            server.stop()
        print(f"lineitem: {gigabytes:.2f} GB of Arrow data; load average {os.getloadavg()[0]:.1f}")
        for key in samples["before"][0]:
            cells = []
            for name in variants:
                values = [s[key] for s in samples[name]]
                cells.append(f"{name} {statistics.median(values):.3f} "
                              f"({min(values):.3f}-{max(values):.3f})")
            print(f"{key:24s} " + " | ".join(cells))
        for repeats in (0, 1, 3):
            peaks = {name: peak(binary, workdir, workdir / f"{name}.duckdb", purge, repeats, query)
                     for name, purge in variants.items()}
            what = f"{repeats} GetFlightInfo" if repeats else "one raw-SQL DoGet (streaming)"
            print(f"peak RSS, {what}: " +
                  " | ".join(f"{name} {value:,.0f} MiB" for name, value in peaks.items()))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
