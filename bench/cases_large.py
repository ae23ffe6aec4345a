"""Cases 1 (large result: Quiver's overhead over in-process DuckDB) and 2 (transport ceiling:
Quiver vs a pyarrow.flight server serving the same table from memory).

All variants run in the same rounds; case 2 reuses the rounds' DoGet timings (GB/s = Arrow bytes
of the table / seconds). Besides wall time, each run records the CPU time the serving side used
(the server process; for in-process DuckDB, this process), which this shared machine's load
distorts far less than wall time."""
import time

import pyarrow as pa
import pyarrow.flight as flight

import adbc_ops
import flight_ops as ops
from context import SELECT_ALL, Context
from pyflight_server import TABLE_TICKET
from runner import Variant

LARGE = "1. Large result"
CEILING = "2. Transport ceiling"

DUCKDB = "DuckDB in-process .arrow()"
RAW = "Quiver DoGet, raw SQL ticket"
INFO = "Quiver GetFlightInfo + DoGet"
INFO_PART = "Quiver GetFlightInfo + DoGet: GetFlightInfo part"
ADBC = "Quiver via ADBC: cursor.execute + fetch_arrow_table"
PYFLIGHT = "pyarrow.flight server, from memory"
STORED = "Quiver DoGet of a GetFlightInfo ticket (from memory)"
RAW_STREAM = "Quiver DoGet, raw SQL ticket (DuckDB streaming)"


def run(ctx: Context) -> None:
    quiver = ctx.quiver.client()
    quiver_options = ops.call_options(quiver, authenticate=True)
    pyflight = ctx.pyflight.client()
    pyflight_options = ops.call_options(pyflight, authenticate=False)
    query = SELECT_ALL.encode()

    def duckdb_arrow():
        cpu = time.process_time()
        ctx.check_rows(ctx.duck.sql(SELECT_ALL).arrow().read_all(), DUCKDB)
        return {"cpu_s": time.process_time() - cpu}

    def quiver_raw():
        cpu = ctx.quiver.cpu_seconds()
        ctx.check_rows(ops.fetch_raw_ticket(quiver, quiver_options, query), RAW)
        return {"cpu_s": ctx.quiver.cpu_seconds() - cpu}

    def quiver_info():
        # Timed in two parts: running + storing the result, then sending it from memory.
        cpu = ctx.quiver.cpu_seconds()
        start = time.perf_counter()
        info = quiver.get_flight_info(flight.FlightDescriptor.for_command(query), quiver_options)
        stored = time.perf_counter()
        cpu_stored = ctx.quiver.cpu_seconds()
        tables = [quiver.do_get(e.ticket, quiver_options).read_all() for e in info.endpoints]
        done = time.perf_counter()
        cpu_done = ctx.quiver.cpu_seconds()
        ctx.check_rows(pa.concat_tables(tables), INFO)
        return {"getflightinfo_s": stored - start, "doget_s": done - stored,
                "cpu_s": cpu_done - cpu, "getflightinfo_cpu_s": cpu_stored - cpu,
                "doget_cpu_s": cpu_done - cpu_stored, "endpoints": len(info.endpoints)}

    adbc = adbc_ops.connect(ctx.quiver.uri, authenticate=True)

    def adbc_fetch():
        # A fresh cursor each time, as an application would: the driver prepares the query,
        # runs it (GetFlightInfo) and reads every endpoint.
        cpu = ctx.quiver.cpu_seconds()
        with adbc.cursor() as cursor:
            ctx.check_rows(adbc_ops.query(cursor, SELECT_ALL), ADBC)
        return {"cpu_s": ctx.quiver.cpu_seconds() - cpu}

    def pyflight_get():
        cpu = ctx.pyflight.cpu_seconds()
        ctx.check_rows(ops.fetch_raw_ticket(pyflight, pyflight_options, TABLE_TICKET), PYFLIGHT)
        return {"cpu_s": ctx.pyflight.cpu_seconds() - cpu}

    samples = ctx.rounds([Variant(DUCKDB, duckdb_arrow), Variant(RAW, quiver_raw),
                          Variant(INFO, quiver_info), Variant(ADBC, adbc_fetch),
                          Variant(PYFLIGHT, pyflight_get)])
    adbc.close()
    quiver.close()
    pyflight.close()

    r = ctx.results
    rows = ctx.table.num_rows
    endpoints = int(samples[INFO]["endpoints"][0])
    for metric, key, info_key in (("time", "seconds", "getflightinfo_s"),
                                  ("serving CPU", "cpu_s", "getflightinfo_cpu_s")):
        r.add(LARGE, DUCKDB, metric, "s", samples[DUCKDB][key], note=f"{rows:,} rows")
        r.add(LARGE, RAW, metric, "s", samples[RAW][key], baseline=DUCKDB)
        r.add(LARGE, INFO, metric, "s", samples[INFO][key], baseline=DUCKDB,
              note=f"{endpoints} endpoint(s)")
        r.add(LARGE, INFO_PART, metric, "s", samples[INFO][info_key], baseline=DUCKDB)
        r.add(LARGE, ADBC, metric, "s", samples[ADBC][key], baseline=DUCKDB)

    gigabytes = ctx.table.nbytes / 1e9

    def rate(seconds):
        return [gigabytes / s for s in seconds]

    r.add(CEILING, PYFLIGHT, "throughput", "GB/s", rate(samples[PYFLIGHT]["seconds"]),
          note=f"{gigabytes:.2f} GB of Arrow data")
    r.add(CEILING, STORED, "throughput", "GB/s", rate(samples[INFO]["doget_s"]), baseline=PYFLIGHT)
    r.add(CEILING, RAW_STREAM, "throughput", "GB/s", rate(samples[RAW]["seconds"]),
          baseline=PYFLIGHT)
    r.add(CEILING, PYFLIGHT, "server CPU per GB", "s", [c / gigabytes for c in
                                                        samples[PYFLIGHT]["cpu_s"]])
    r.add(CEILING, STORED, "server CPU per GB", "s",
          [c / gigabytes for c in samples[INFO]["doget_cpu_s"]], baseline=PYFLIGHT)
    r.add(CEILING, RAW_STREAM, "server CPU per GB", "s",
          [c / gigabytes for c in samples[RAW]["cpu_s"]], baseline=PYFLIGHT)
