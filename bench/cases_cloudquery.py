"""Case 7: Quiver as a CloudQuery destination. The plugin (quiver-cq-arrowflight, built with
Quiver) is started and driven as the CloudQuery CLI drives it (unix socket; Init, then one Write
stream of MigrateTable + inserts of 10,000-row records, then Close, as at the end of a sync) and
writes into the running Quiver. Baseline: a pyarrow DoPut of the same Arrow rows straight into
Quiver, in the same rounds. The CloudQuery-shaped rows (CloudQuery's _cq_sync_time,
_cq_source_name and _cq_id uuid columns plus five data columns) are encoded before timing, so the
time is the plugin's and Quiver's (and gRPC's), not the Python client's."""
import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import cq_plugin
import flight_ops as ops
import servers
from context import Context
from runner import Variant

CASE = "7. Destination"
DOPUT = "Quiver DoPut PATH of the same rows (pyarrow)"
APPEND = "CloudQuery plugin → Quiver, write_mode append"
UPSERT = "CloudQuery plugin → Quiver, overwrite (upsert on primary key)"
RECORD_ROWS = 10_000
SYNC_MICROS = 1_700_000_000 * 1_000_000
UUID_EXT = {b"ARROW:extension:name": b"uuid", b"ARROW:extension:metadata": b"uuid-serialized"}


def _schema(table: str, primary_key: bool) -> pa.Schema:
    id_meta = {b"cq:extension:primary_key": b"true"} if primary_key else None
    return pa.schema([
        pa.field("_cq_sync_time", pa.timestamp("us", "UTC")),
        pa.field("_cq_source_name", pa.utf8()),
        pa.field("_cq_id", pa.binary(16), nullable=not primary_key, metadata=UUID_EXT),
        pa.field("id", pa.int64(), nullable=not primary_key, metadata=id_meta),
        pa.field("name", pa.utf8()),
        pa.field("region", pa.utf8()),
        pa.field("value", pa.float64()),
        pa.field("active", pa.bool_()),
        pa.field("created_at", pa.timestamp("us", "UTC")),
    ], metadata={b"cq:table_name": table.encode()})


def _columns(rows: int) -> list:
    """Deterministic column arrays (no schema metadata yet)."""
    i = np.arange(rows, dtype=np.int64)
    ids = pa.array(i)
    uuids = np.zeros((rows, 2), dtype=">u8")
    uuids[:, 0] = 0x5145_5649_4552_0000  # fixed prefix, then the row number
    uuids[:, 1] = i
    regions = pa.array(["eu-west-1", "us-east-1", "us-west-2", "ap-south-1"])
    return [
        pa.array(np.full(rows, SYNC_MICROS, dtype=np.int64), pa.timestamp("us", "UTC")),
        pa.array(["quiver-bench"] * rows, pa.utf8()),
        pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), rows,
                                             [None, pa.py_buffer(uuids.tobytes())]),
        ids,
        pc.binary_join_element_wise("resource-", pc.cast(ids, pa.utf8()), ""),
        pc.take(regions, pa.array(i % 4)),
        pa.array((i % 1000) * 0.25),
        pa.array(i % 3 == 0),
        pa.array(SYNC_MICROS - (i % 86_400) * 1_000_000, pa.timestamp("us", "UTC")),
    ]


def _messages(columns: list, table: str, primary_key: bool) -> list:
    schema = _schema(table, primary_key)
    whole = pa.Table.from_arrays(columns, schema=schema)
    return [cq_plugin.migrate_table(schema)] + [
        cq_plugin.insert(batch) for batch in whole.to_batches(max_chunksize=RECORD_ROWS)]


def run(ctx: Context) -> None:
    binary = ctx.binary.with_name(servers.PLUGIN_NAME)
    if not binary.exists():
        ctx.results.skip(CASE, "CloudQuery destination plugin",
                         f"{servers.PLUGIN_NAME} not found next to the Quiver binary")
        return
    rows = ctx.profile.cq_rows
    columns = _columns(rows)
    plain = pa.Table.from_arrays(columns, schema=_schema("cq_doput", False))
    client = ctx.quiver.client()
    options = ops.call_options(client, authenticate=True)
    plugin = cq_plugin.Plugin(binary, ctx.workdir)
    # The bench's Quiver has no users: the plugin connects as the anonymous user `default`.
    plugin.init(json.dumps({"addr": f"127.0.0.1:{ctx.quiver.port}"}))
    counter = {"n": 0}
    pending = {}

    def drop(table):
        ops.run_sql(client, options, f"DROP TABLE IF EXISTS {table}")

    def check(table):
        got = ops.fetch_raw_ticket(client, options, f"SELECT count(*) FROM {table}".encode())
        got = got.column(0)[0].as_py()
        if got != rows:
            raise RuntimeError(f"{table}: {got} rows stored, expected {rows}")

    def prepare(primary_key):
        def setup():
            counter["n"] += 1
            table = f"cq_bench_{'upsert' if primary_key else 'append'}_{counter['n']}"
            pending["table"] = table
            pending["messages"] = _messages(columns, table, primary_key)
        return setup

    def sync():
        plugin.write(pending["messages"], timeout=600)
        plugin.close()  # the end of a sync: every stream finished and answered

    def finish():
        check(pending["table"])
        drop(pending["table"])

    def doput():
        ops.put_table(client, options, "cq_doput", plain)

    def doput_done():
        check("cq_doput")
        drop("cq_doput")

    try:
        samples = ctx.rounds([
            Variant(DOPUT, doput, setup=lambda: drop("cq_doput"), teardown=doput_done),
            Variant(APPEND, sync, setup=prepare(False), teardown=finish),
            Variant(UPSERT, sync, setup=prepare(True), teardown=finish),
        ])
    finally:
        code = plugin.stop()
        client.close()
    if code not in (0, None):
        raise RuntimeError(f"plugin exited with {code}:\n{plugin.log_path.read_text()}")

    def rate(seconds):
        return [rows / s for s in seconds]

    r = ctx.results
    r.add(CASE, DOPUT, "throughput", "rows/s", rate(samples[DOPUT]["seconds"]),
          note=f"{rows:,} rows, {len(columns)} columns")
    r.add(CASE, APPEND, "throughput", "rows/s", rate(samples[APPEND]["seconds"]), baseline=DOPUT,
          note=f"records of {RECORD_ROWS:,} rows")
    r.add(CASE, UPSERT, "throughput", "rows/s", rate(samples[UPSERT]["seconds"]), baseline=DOPUT)

