"""Case 5: the 22 TPC-H queries through ADBC (cursor.execute + fetch_arrow_table, a fresh cursor
per query, as an application would) vs the same queries on in-process DuckDB
(`.arrow()`), on the same data: DuckDB's dbgen at the profile's scale factor, loaded into Quiver
by DoPut (run.py). Each query is its own pair of variants, interleaved round by round; the
headline figures are the time of all 22 queries and the geometric mean of the 22 ratios."""
import math

import adbc_ops
import tpch
from context import Context
from runner import Variant

CASE = "5. Analytics (TPC-H)"
DUCKDB = "DuckDB in-process .arrow()"
ADBC = "Quiver via ADBC"


def _q(nr: int) -> str:
    return f"Q{nr:02d}"


def run(ctx: Context) -> None:
    if not ctx.tpch:
        ctx.results.skip(CASE, "22 TPC-H queries via ADBC",
                         "DuckDB's tpch extension is not installed (bench/setup installs it)")
        return
    queries = tpch.queries(ctx.duck)
    adbc = adbc_ops.connect(ctx.quiver.uri, authenticate=True)
    expected = {}

    def duckdb_query(nr, sql):
        def run_once():
            table = ctx.duck.sql(sql).arrow().read_all()
            expected.setdefault(nr, table.num_rows)
        return run_once

    def adbc_query(nr, sql):
        def run_once():
            with adbc.cursor() as cursor:
                table = adbc_ops.query(cursor, sql)
            # The same answer size as in-process DuckDB (which ran first in the round).
            if nr in expected and table.num_rows != expected[nr]:
                raise RuntimeError(f"TPC-H {_q(nr)}: {table.num_rows} rows via ADBC, "
                                   f"{expected[nr]} in-process")
        return run_once

    variants = []
    for nr, sql in queries:
        variants.append(Variant(f"{DUCKDB} {_q(nr)}", duckdb_query(nr, sql)))
        variants.append(Variant(f"{ADBC} {_q(nr)}", adbc_query(nr, sql)))
    samples = ctx.rounds(variants, budget_s=ctx.profile.tpch_budget_s)
    adbc.close()

    # Totals per round (every round ran all 44 variants).
    rounds = min(len(v["seconds"]) for v in samples.values())
    totals = {side: [sum(samples[f"{side} {_q(nr)}"]["seconds"][i] for nr, _ in queries)
                     for i in range(rounds)] for side in (DUCKDB, ADBC)}
    r = ctx.results
    r.add(CASE, f"{DUCKDB}, all 22 queries", "time", "s", totals[DUCKDB],
          note=f"scale factor {ctx.profile.scale_factor}")
    r.add(CASE, f"{ADBC}, all 22 queries", "time", "s", totals[ADBC],
          baseline=f"{DUCKDB}, all 22 queries")
    # Geometric mean over the queries of the per-round ratio, one value per round.
    geo = []
    for i in range(rounds):
        logs = [math.log(samples[f"{ADBC} {_q(nr)}"]["seconds"][i] /
                         samples[f"{DUCKDB} {_q(nr)}"]["seconds"][i]) for nr, _ in queries]
        geo.append(math.exp(sum(logs) / len(logs)))
    r.add_ratio(CASE, f"{ADBC}, geometric mean of the 22 per-query ratios", "time", geo,
                baseline=DUCKDB)
    for nr, _ in queries:
        base = r.add(CASE, f"{DUCKDB} {_q(nr)}", "time", "s",
                     samples[f"{DUCKDB} {_q(nr)}"]["seconds"], detail=True)
        r.add(CASE, f"{ADBC} {_q(nr)}", "time", "s", samples[f"{ADBC} {_q(nr)}"]["seconds"],
              baseline=base.variant, detail=True)
