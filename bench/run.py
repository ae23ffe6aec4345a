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
import traceback
from pathlib import Path

import duckdb
import pyarrow as pa

import cases_adbc_small
import cases_cloudquery
import cases_ingest
import cases_large
import cases_memory
import cases_small
import cases_tpch
import data
import flight_ops as ops
import servers
import tpch
from context import LINEITEM, Context
from profiles import BATCH_BYTES, PROFILES
from report import Results

RESULTS = Path(__file__).resolve().parent / "results"
# Quiver drops a GetFlightInfo result after its DoGet: repeated large queries would otherwise
# keep one full copy each in memory for tickets_lifetime_seconds (600 s by default).
# Client pools of the small-query cases sit idle while the other variants run, longer than the
# default 60 s bearer-token idle timeout (and the ADBC driver does not log in again): give them
# an hour, as a deployment with pooled clients would.
QUIVER_CONFIG = "cancel_ticket_after_do_get: true\ndefault_session_timeout: 3600\n"


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
        # The same rows everywhere: generated into the in-process baseline (a DuckDB file, like
        # Quiver's), exported to Arrow, loaded into Quiver by DoPut and served from memory by the
        # pyarrow server.
        duck = duckdb.connect(str(workdir / "baseline.duckdb"))
        duck.execute("SET enable_progress_bar = false")
        tables = {}
        if tpch.available():
            log(f"profile {profile.name}: TPC-H dbgen at scale factor {profile.scale_factor}")
            tpch.generate(duck, profile.scale_factor)
            for name in tpch.TABLES:
                tables[name] = duck.sql(f"SELECT * FROM {name}").arrow().read_all()
            meta["data"] = "TPC-H, DuckDB's tpch extension (dbgen)"
        else:
            log(f"profile {profile.name}: no tpch extension (run bench/setup); generating "
                f"lineitem at scale factor {profile.scale_factor} with bench/data.py")
            tables[LINEITEM] = data.generate_lineitem(profile.scale_factor)
            duck.register("lineitem_arrow", tables[LINEITEM])
            duck.execute(f"CREATE TABLE {LINEITEM} AS SELECT * FROM lineitem_arrow")
            duck.unregister("lineitem_arrow")
            meta["data"] = "lineitem only, bench/data.py's deterministic generator"
        table = data.rechunk(tables[LINEITEM], BATCH_BYTES)
        meta["lineitem"] = {"rows": table.num_rows, "arrow_bytes": table.nbytes}
        ipc_file = workdir / "lineitem.arrow"
        with pa.OSFile(str(ipc_file), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
            w.write_table(table)

        ctx = Context(profile, workdir, servers.private_quiver_binary(workdir),
                      workdir / "bench.duckdb", table, Results(profile.name, meta),
                      duck=duck, tpch=len(tables) > 1)
        ctx.quiver = servers.start_quiver(ctx.binary, workdir, ctx.database,
                                          config_text=QUIVER_CONFIG)
        ctx.pyflight = servers.start_pyflight(workdir, ipc_file)
        log(f"servers up: quiver {ctx.quiver.uri}, pyarrow.flight {ctx.pyflight.uri}")
        client = ctx.quiver.client()
        options = ops.call_options(client, authenticate=True)
        for name, arrow_table in tables.items():
            ops.put_table(client, options, name, table if name == LINEITEM else arrow_table)
        client.close()
        del tables

        for name, case in (("1+2 large result / transport", cases_large),
                           ("3 ingest", cases_ingest), ("4 small queries", cases_small),
                           ("4 small queries via ADBC vs arrow-go SQLite", cases_adbc_small),
                           ("5 TPC-H via ADBC", cases_tpch),
                           ("7 CloudQuery destination", cases_cloudquery)):
            log(f"case {name}")
            try:
                case.run(ctx)
            except Exception as error:  # one failing case must not lose the others' results
                traceback.print_exc()
                reason = str(error).splitlines()[0][:200] if str(error) else repr(error)
                ctx.results.skip(name, "(whole case)", f"failed: {reason}")
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
