"""What every case needs: the profile, the data, the running servers and the result sink."""
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from profiles import Profile
from report import Results
from runner import interleaved
from servers import ServerProcess

LINEITEM = "lineitem"
SELECT_ALL = f"SELECT * FROM {LINEITEM}"


@dataclass
class Context:
    profile: Profile
    workdir: Path
    binary: Path             # private copy of build/quiver
    database: Path           # Quiver's DuckDB file
    table: pa.Table          # lineitem, in batches of BATCH_BYTES
    results: Results
    quiver: ServerProcess = None    # the long-running Quiver with lineitem loaded
    pyflight: ServerProcess = None  # the pyarrow.flight baseline serving the same table
    duck: duckdb.DuckDBPyConnection = None  # in-process DuckDB baseline (a file, like Quiver)
    tpch: bool = False       # all eight TPC-H tables (dbgen) are in both databases

    def rounds(self, variants, budget_s=None):
        """Runs variants with this profile's warm-up, run count and time budget."""
        return interleaved(variants, self.profile.warmup, self.profile.runs,
                           budget_s or self.profile.case_budget_s)

    def check_rows(self, table: pa.Table, what: str) -> None:
        # A benchmark that silently fetched the wrong thing would report nonsense.
        if table.num_rows != self.table.num_rows:
            raise RuntimeError(f"{what}: got {table.num_rows} rows, "
                               f"expected {self.table.num_rows}")
