"""Case 3: loading lineitem (from Arrow, in the client's memory) into an empty table:
Quiver DoPut vs in-process DuckDB `CREATE TABLE ... AS SELECT * FROM arrow_table`."""
import adbc_ops
import flight_ops as ops
from context import LINEITEM, Context
from runner import Variant

CASE = "3. Ingest"
DUCKDB = "DuckDB in-process CREATE TABLE AS from Arrow"
CREATE = "Quiver DoPut PATH, new table"
APPEND = "Quiver DoPut PATH, existing empty table"
ADBC = "Quiver via ADBC adbc_ingest (mode create)"
TARGET = "ingest_target"


def run(ctx: Context) -> None:
    client = ctx.quiver.client()
    options = ops.call_options(client, authenticate=True)
    # A view over the client's Arrow table: DuckDB scans it in place, as Quiver scans the stream.
    ctx.duck.register("arrow_table", ctx.table)

    def drop_quiver():
        ops.run_sql(client, options, f"DROP TABLE IF EXISTS {TARGET}")

    def create_empty():
        # Quiver appends when the table exists (INSERT INTO ... SELECT from the stream).
        drop_quiver()
        ops.run_sql(client, options, f"CREATE TABLE {TARGET} AS FROM {LINEITEM} LIMIT 0")

    def duckdb_create():
        ctx.duck.execute(f"CREATE TABLE {TARGET} AS SELECT * FROM arrow_table")

    def drop_duckdb():
        ctx.duck.execute(f"DROP TABLE IF EXISTS {TARGET}")

    def quiver_put():
        ops.put_table(client, options, TARGET, ctx.table)

    adbc = adbc_ops.connect(ctx.quiver.uri, authenticate=True)

    def adbc_ingest():
        # Flight SQL CommandStatementIngest: one DoPut of the whole table.
        with adbc.cursor() as cursor:
            cursor.adbc_ingest(TARGET, ctx.table, mode="create")

    variants = [Variant(DUCKDB, duckdb_create, setup=drop_duckdb, teardown=drop_duckdb),
                Variant(CREATE, quiver_put, setup=drop_quiver, teardown=drop_quiver),
                Variant(APPEND, quiver_put, setup=create_empty, teardown=drop_quiver),
                Variant(ADBC, adbc_ingest, setup=drop_quiver, teardown=drop_quiver)]
    samples = ctx.rounds(variants)
    adbc.close()
    ctx.duck.unregister("arrow_table")
    client.close()

    rows = ctx.table.num_rows

    def rate(seconds):
        return [rows / s for s in seconds]

    r = ctx.results
    r.add(CASE, DUCKDB, "throughput", "rows/s", rate(samples[DUCKDB]["seconds"]),
          note=f"{rows:,} rows")
    r.add(CASE, CREATE, "throughput", "rows/s", rate(samples[CREATE]["seconds"]), baseline=DUCKDB)
    r.add(CASE, APPEND, "throughput", "rows/s", rate(samples[APPEND]["seconds"]), baseline=DUCKDB)
    r.add(CASE, ADBC, "throughput", "rows/s", rate(samples[ADBC]["seconds"]), baseline=DUCKDB)
