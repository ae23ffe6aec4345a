"""Quiver benchmark driver: `make bench` (full) or `make bench-quick`.

    .venv/bin/python bench/run.py --profile quick|full [--out bench/results/<profile>]

Starts every server it measures on 127.0.0.1 (free ports), runs the cases, and writes
results.json, summary.md and PNG plots. Everything temporary lives in one directory that is
removed at the end (keep it with --keep for profiling)."""
import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa

import cases_flight_sql
import cases_ingest
import cases_large
import cases_memory
import cases_small
import data
import flight_ops as ops
import servers
from context import LINEITEM, Context
from profiles import BATCH_BYTES, PROFILES
from report import Results

RESULTS = Path(__file__).resolve().parent / "results"
# Quiver drops a GetFlightInfo result after its DoGet: repeated large queries would otherwise
# keep one full copy each in memory for tickets_lifetime_seconds (600 s by default).
QUIVER_CONFIG = "cancel_ticket_after_do_get: true\n"


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(mem_kib / 1024 ** 2, 1),
            "kernel": platform.release(), "python": platform.python_version(),
            "pyarrow": pa.__version__, "duckdb": duckdb.__version__}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    profile = PROFILES[args.profile]
    out = args.out or RESULTS / profile.name
    started = time.monotonic()
    meta = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "load_average_at_start": os.getloadavg(), "profile": vars(profile)}
    workdir = Path(tempfile.mkdtemp(prefix="quiver-bench-"))
    ctx = None
    try:
        log(f"profile {profile.name}: generating lineitem at scale factor {profile.scale_factor}")
        table = data.rechunk(data.generate_lineitem(profile.scale_factor), BATCH_BYTES)
        meta["lineitem"] = {"rows": table.num_rows, "arrow_bytes": table.nbytes}
        ipc_file = workdir / "lineitem.arrow"
        with pa.OSFile(str(ipc_file), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
            w.write_table(table)

        ctx = Context(profile, workdir, servers.private_quiver_binary(workdir),
                      workdir / "bench.duckdb", table, Results(profile.name, meta))
        ctx.quiver = servers.start_quiver(ctx.binary, workdir, ctx.database,
                                          config_text=QUIVER_CONFIG)
        ctx.pyflight = servers.start_pyflight(workdir, ipc_file)
        log(f"servers up: quiver {ctx.quiver.uri}, pyarrow.flight {ctx.pyflight.uri}")

        # The same rows everywhere: loaded into Quiver by DoPut, into the in-process baseline
        # (a DuckDB file, like Quiver's) from the same Arrow table.
        client = ctx.quiver.client()
        ops.put_table(client, ops.call_options(client, authenticate=True), LINEITEM, table)
        client.close()
        ctx.duck = duckdb.connect(str(workdir / "baseline.duckdb"))
        ctx.duck.register("lineitem_arrow", table)
        ctx.duck.execute(f"CREATE TABLE {LINEITEM} AS SELECT * FROM lineitem_arrow")
        ctx.duck.unregister("lineitem_arrow")

        for name, case in (("1+2 large result / transport", cases_large),
                           ("3 ingest", cases_ingest), ("4 small queries", cases_small),
                           ("Flight SQL probe and skipped cases", cases_flight_sql)):
            log(f"case {name}")
            case.run(ctx)
        # Case 6 starts its own servers on the same database file, which only one process
        # may open: stop the shared one first.
        ctx.quiver.stop()
        log("case 6 memory")
        cases_memory.run(ctx)
    finally:
        if ctx is not None:
            for server in (ctx.quiver, ctx.pyflight):
                if server is not None:
                    server.stop()
            if ctx.duck is not None:
                ctx.duck.close()
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    meta["load_average_at_end"] = os.getloadavg()
    meta["wall_seconds"] = round(time.monotonic() - started, 1)
    ctx.results.write(out)
    log(f"done in {meta['wall_seconds']} s: {out / 'summary.md'}")
    print((out / "summary.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
