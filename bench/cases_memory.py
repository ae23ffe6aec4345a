"""Case 6: peak resident memory of the Quiver process while it serves lineitem, streamed by a
raw-SQL DoGet vs materialised by GetFlightInfo (which keeps the whole result for its tickets).

Every sample uses a freshly started server on the same database file, because VmHWM (the peak)
never goes down within a process and freed memory is not always returned to the system."""
import flight_ops as ops
import servers
from context import SELECT_ALL, Context
from profiles import ENDPOINT_BYTES
from runner import Variant, interleaved

CASE = "6. Memory"
STREAM = "Quiver raw-SQL DoGet (streaming)"
MATERIALISE = "Quiver GetFlightInfo + DoGet (materialised)"
# The same, three times in a row: with the default ticket lifetime (600 s) every result stays
# stored after it has been read, until its tickets expire.
REPEATED = "Quiver GetFlightInfo + DoGet, 3 in a row (default ticket lifetime)"
REPEATS = 3
# The setting: a result ten times larger than the ticket memory budget (results over
# the budget are spilled to disk). Builds without that setting refuse the key at start-up.
BUDGETED = "Quiver GetFlightInfo + DoGet, ticket budget = result / 10"
BUDGET_KEY = "tickets_memory_budget_bytes"


def _budget_supported(ctx: Context, config_text: str) -> bool:
    try:
        servers.start_quiver(ctx.binary, ctx.workdir, ctx.database, name="quiver-budget-probe",
                             config_text=config_text).stop()
        return True
    except RuntimeError:  # "exited early": the build does not know the key
        return False
MIB = 1024.0


def _peak_while(ctx: Context, fetch, config_text: str = "") -> dict:
    server = servers.start_quiver(ctx.binary, ctx.workdir, ctx.database, name="quiver-memory",
                                  config_text=config_text)
    try:
        client = server.client()
        options = ops.call_options(client, authenticate=True)
        ops.fetch_raw_ticket(client, options, b"SELECT 1")  # threads, channels, auth are up
        idle = server.memory_kib()["VmRSS"]
        ctx.check_rows(fetch(client, options), "memory case")
        peak = server.memory_kib()["VmHWM"]
        client.close()
    finally:
        server.stop()
    return {"idle_mib": idle / MIB, "peak_mib": peak / MIB}


def run(ctx: Context) -> None:
    query = SELECT_ALL.encode()
    variants = [
        Variant(STREAM, lambda: _peak_while(
            ctx, lambda c, o: ops.fetch_raw_ticket(c, o, query))),
        Variant(MATERIALISE, lambda: _peak_while(
            ctx, lambda c, o: ops.fetch_flight_info(c, o, query))),
        Variant(REPEATED, lambda: _peak_while(
            ctx, lambda c, o: [ops.fetch_flight_info(c, o, query) for _ in range(REPEATS)][-1])),
    ]
    budget_config = f"{BUDGET_KEY}: {max(1, ctx.table.nbytes // 10)}\n"
    budgeted = _budget_supported(ctx, budget_config)
    if budgeted:
        variants.append(Variant(BUDGETED, lambda: _peak_while(
            ctx, lambda c, o: ops.fetch_flight_info(c, o, query), budget_config)))
    samples = interleaved(variants, warmup=0, runs=ctx.profile.memory_runs,
                          budget_s=ctx.profile.case_budget_s)
    result_mib = ctx.table.nbytes / MIB / MIB
    budget_note = (f"result {result_mib:,.0f} MiB = {ctx.table.nbytes / ENDPOINT_BYTES:.1f}× "
                   f"the 64 MiB endpoint size")
    r = ctx.results
    idle = [value for variant in samples.values() for value in variant["idle_mib"]]
    r.add(CASE, "Quiver idle, after SELECT 1", "RSS", "MiB", idle)
    r.add(CASE, STREAM, "peak RSS", "MiB", samples[STREAM]["peak_mib"], note=budget_note)
    r.add(CASE, MATERIALISE, "peak RSS", "MiB", samples[MATERIALISE]["peak_mib"], baseline=STREAM)
    r.add(CASE, REPEATED, "peak RSS", "MiB", samples[REPEATED]["peak_mib"], baseline=STREAM)
    if budgeted:
        r.add(CASE, BUDGETED, "peak RSS", "MiB", samples[BUDGETED]["peak_mib"], baseline=STREAM)
    else:
        r.skip(CASE, BUDGETED, f"this build has no `{BUDGET_KEY}` setting (no ticket budget)")
