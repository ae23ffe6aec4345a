"""Where Quiver spends its time while serving `SELECT * FROM lineitem`: records the server with
`perf record` during repeated fetches and prints the hottest symbols. Not part of `make bench`.

    .venv/bin/python bench/profile.py [--scale-factor 1] [--mode raw|info|small|adbc-small]
        [--fetches 3] [--call-graph fp|dwarf] [--frequency 499] [--out /tmp]

Needs `perf` (linux-perf). Output: perf-<mode>.data and perf-report-<mode>.txt in --out. For
call paths, `perf script -i perf-<mode>.data` and count the samples whose stack holds a function."""
import argparse
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import data
import flight_ops as ops
import servers
from context import LINEITEM, SELECT_ALL
from profiles import BATCH_BYTES

PERF_STOP_TIMEOUT_S = 120
SMALL_STATEMENTS_PER_FETCH = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale-factor", type=float, default=1.0)
    # raw / info: SELECT * FROM lineitem by raw-SQL DoGet / GetFlightInfo + DoGet;
    # small: --fetches x 1000 `SELECT 1` raw-SQL DoGets from one client.
    # adbc-small: the same through ADBC (Flight SQL CommandStatementQuery, GetFlightInfo + DoGet).
    parser.add_argument("--mode", choices=("raw", "info", "small", "adbc-small"), default="raw")
    parser.add_argument("--fetches", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("/tmp"))
    # The Arrow and DuckDB libraries have no frame pointers: `dwarf` gives usable callers.
    parser.add_argument("--call-graph", choices=("fp", "dwarf"), default="fp")
    parser.add_argument("--frequency", type=int, default=499, help="samples per second")
    args = parser.parse_args()
    if shutil.which("perf") is None:
        raise SystemExit("perf not found (Debian: linux-perf)")
    args.out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="quiver-profile-"))
    table = data.rechunk(data.generate_lineitem(args.scale_factor), BATCH_BYTES)
    server = servers.start_quiver(servers.private_quiver_binary(workdir), workdir,
                                  workdir / "bench.duckdb",
                                  config_text="cancel_ticket_after_do_get: true\n")
    try:
        client = server.client()
        options = ops.call_options(client, authenticate=True)
        ops.put_table(client, options, LINEITEM, table)
        fetch = ops.fetch_flight_info if args.mode == "info" else ops.fetch_raw_ticket
        if args.mode == "small":
            def fetch(client, options, _query, inner=fetch):  # noqa: E306 -- same signature
                for _ in range(SMALL_STATEMENTS_PER_FETCH):
                    inner(client, options, b"SELECT 1")
        elif args.mode == "adbc-small":
            import adbc_ops
            connection = adbc_ops.connect(server.uri, authenticate=True)
            cursor = connection.cursor()

            def fetch(client, options, _query):  # noqa: E306 -- same signature
                for _ in range(SMALL_STATEMENTS_PER_FETCH):
                    adbc_ops.ad_hoc(cursor, "SELECT 1")
        fetch(client, options, SELECT_ALL.encode())  # warm DuckDB's buffer pool first
        perf_data = args.out / f"perf-{args.mode}.data"
        perf = subprocess.Popen(["perf", "record", "-F", str(args.frequency), "--call-graph",
                                 args.call_graph, "-o", str(perf_data), "-p", str(server.pid)],
                                stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # perf attaches asynchronously
        for _ in range(args.fetches):
            start = time.perf_counter()
            fetch(client, options, SELECT_ALL.encode())
            print(f"{args.mode} fetch: {time.perf_counter() - start:.2f} s")
        perf.send_signal(signal.SIGINT)
        perf.wait(timeout=PERF_STOP_TIMEOUT_S)
        client.close()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    report = subprocess.run(["perf", "report", "-i", str(perf_data), "--no-children",
                             "--sort", "dso,symbol", "--stdio", "-g", "none",
                             "--percent-limit", "0.7"],
                            capture_output=True, text=True, timeout=PERF_STOP_TIMEOUT_S)
    text_path = args.out / f"perf-report-{args.mode}.txt"
    text_path.write_text(report.stdout)
    print(report.stdout)
    print(f"written: {perf_data}, {text_path}")


if __name__ == "__main__":
    main()
