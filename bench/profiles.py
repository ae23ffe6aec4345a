"""How much each run measures. `quick` must finish in under 3 minutes on a 2-core machine
(`make bench-quick`); `full` is the issue's setting (`make bench`)."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    scale_factor: float        # lineitem rows = 6,001,215 x scale_factor
    warmup: int                # unmeasured rounds before each case
    runs: int                  # measured rounds per case (fewer if the budget runs out)
    case_budget_s: float       # no new round of a case starts after this
    small_statements: int      # statements per round of the small-query case
    adbc_statements: int       # the same for its ADBC part (vs the arrow-go SQLite server)
    small_runs: int            # measured rounds of the small-query case
    small_budget_s: float      # per round and variant: a round stops early after this
    memory_runs: int           # fresh servers started per memory variant
    tpch_budget_s: float       # the TPC-H case starts no new round after this
    cq_rows: int               # rows the CloudQuery destination case writes per run


QUICK = Profile("quick", scale_factor=0.1, warmup=1, runs=5, case_budget_s=25,
                small_statements=500, adbc_statements=250, small_runs=3, small_budget_s=10,
                memory_runs=2, tpch_budget_s=20, cq_rows=100_000)
FULL = Profile("full", scale_factor=1.0, warmup=1, runs=5, case_budget_s=240,
               small_statements=5000, adbc_statements=5000, small_runs=3, small_budget_s=60,
               memory_runs=3, tpch_budget_s=300, cq_rows=1_000_000)
PROFILES = {p.name: p for p in (QUICK, FULL)}

# Quiver's default `max_batch_bytes`: every server sends batches of this size (data.rechunk).
BATCH_BYTES = 2 * 1024 * 1024
# Quiver's GetFlightInfo endpoint size (src/server/results/flight_info_builder.cpp).
ENDPOINT_BYTES = 64 * 1024 * 1024
