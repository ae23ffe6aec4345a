"""Cases that need Flight SQL on Quiver's side (ADBC, prepared statements, the arrow-go SQLite
peer) or a CloudQuery destination. They are listed, not measured: each is a skip with its
reason, so the summary shows what is missing instead of silently leaving it out.

When Quiver serves Flight SQL, replace a SkippedCase by a real case module (like cases_large),
measured against the baseline named here."""
import warnings
from dataclasses import dataclass

from context import Context

NEEDS_FLIGHT_SQL = "needs Flight SQL"


@dataclass(frozen=True)
class SkippedCase:
    case: str
    variant: str
    needs: str
    baseline: str


SKIPPED = [
    SkippedCase("1. Large result", "ADBC fetch_arrow_table (SELECT * lineitem)", NEEDS_FLIGHT_SQL,
                "DuckDB in-process .arrow()"),
    SkippedCase("3. Ingest", "ADBC adbc_ingest of lineitem", NEEDS_FLIGHT_SQL,
                "DuckDB in-process CREATE TABLE AS from Arrow"),
    SkippedCase("4. Small queries", "arrow-go SQLite Flight SQL example server (peer)",
                NEEDS_FLIGHT_SQL + " (both sides speak Flight SQL only)",
                "Quiver via ADBC, same statements"),
    SkippedCase("4. Small queries", "prepared point query via ADBC", NEEDS_FLIGHT_SQL,
                "arrow-go SQLite Flight SQL example server"),
    SkippedCase("5. Analytics", "22 TPC-H queries via ADBC", NEEDS_FLIGHT_SQL +
                " (and all 8 TPC-H tables: only lineitem is generated here)",
                "DuckDB in-process"),
    SkippedCase("7. Destination", "CloudQuery destination plugin, 1M rows",
                "needs the CloudQuery destination", "DoPut of the same rows"),
]


def probe(uri: str) -> str:
    """Whether this Quiver build answers a Flight SQL statement (through ADBC), in words."""
    try:
        import adbc_driver_flightsql.dbapi as adbc
        kwargs = {"username": "default", "password": "",
                  "adbc.flight.sql.rpc.timeout_seconds.query": "10",
                  "adbc.flight.sql.rpc.timeout_seconds.fetch": "10"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Cannot disable autocommit": irrelevant here
            with adbc.connect(uri, db_kwargs=kwargs) as connection:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                    cursor.fetchall()
        return "answered (the skipped Flight SQL cases can now be written)"
    except Exception as error:  # any failure means: not usable for measuring yet
        text = str(error)
        for status in ("NOT_IMPLEMENTED", "UNIMPLEMENTED", "UNAVAILABLE", "UNKNOWN"):
            if status in text:
                return f"refused with {status}"
        return f"failed: {text.strip().splitlines()[0][:80] if text.strip() else repr(error)}"


def run(ctx: Context) -> None:
    answer = probe(ctx.quiver.uri)
    ctx.results.meta.setdefault("notes", []).append(
        f"Flight SQL probe (ADBC `SELECT 1` against this Quiver build): {answer}.")
    for skipped in SKIPPED:
        ctx.results.skip(skipped.case, skipped.variant,
                         f"{skipped.needs}; baseline would be: {skipped.baseline}")
