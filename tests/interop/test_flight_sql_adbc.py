"""Flight SQL through the ADBC Flight SQL driver (DB-API): queries, updates, parameters, ingest,
metadata (get_objects, table schema, table types, info) and transactions."""
import datetime
import decimal

import adbc_driver_flightsql.dbapi as adbc
import adbc_driver_manager
import pyarrow as pa
import pytest

from test_auth import BOB_DIGEST, USERS

ALICE = {"username": "alice", "password": "s3cret-Pa55"}


@pytest.fixture
def secured(start_server):
    return start_server(USERS.format(bob_digest=BOB_DIGEST))


@pytest.fixture
def conn(secured):
    connection = adbc.connect(secured.uri, db_kwargs=ALICE, autocommit=True)
    yield connection
    connection.close()


def test_query_and_fetch(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT 1 AS one, 'hello' AS greeting, 3.5::DOUBLE AS x")
        assert cur.fetchall() == [(1, "hello", 3.5)]
        cur.execute("SELECT range AS n FROM range(100000)")
        table = cur.fetch_arrow_table()
        assert table.num_rows == 100000
        assert table.column("n").to_pylist()[:3] == [0, 1, 2]


def test_types_round_trip(conn):
    with conn.cursor() as cur:
        cur.execute(
            "SELECT 42::INTEGER AS i, 9000000000::BIGINT AS b, 'text' AS s, DATE '2024-01-15' AS d, "
            "TIMESTAMP '2024-01-15 10:30:00' AS ts, 123.456::DECIMAL(18,3) AS dec, true AS flag, "
            "NULL::VARCHAR AS nothing, [1, 2, 3] AS list, {'a': 1} AS st, '\\x00\\x01'::BLOB AS blob"
        )
        row = cur.fetchone()
    assert row[:8] == (42, 9000000000, "text", datetime.date(2024, 1, 15),
                       datetime.datetime(2024, 1, 15, 10, 30), decimal.Decimal("123.456"), True, None)
    assert row[8] == [1, 2, 3] and row[9] == {"a": 1}


def test_ddl_and_dml_take_effect_without_fetching(conn):
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, name VARCHAR)")
        cur.execute("INSERT INTO events VALUES (1, 'a'), (2, 'b')")
        assert cur.rowcount in (2, -1)
        cur.execute("SELECT count(*) FROM events")
        assert cur.fetchone() == (2,)


def test_parameters(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT ? + ? AS total", (40, 2))
        assert cur.fetchone() == (42,)
        cur.execute("SELECT ?::VARCHAR AS s, ? AS d", ("it's \"quoted\"", datetime.date(2021, 6, 15)))
        assert cur.fetchone() == ("it's \"quoted\"", datetime.date(2021, 6, 15))
        cur.execute("CREATE TABLE kv (k INTEGER, v VARCHAR)")
        cur.executemany("INSERT INTO kv VALUES (?, ?)", [(1, "one"), (2, "two"), (3, None)])
        cur.execute("SELECT k, v FROM kv ORDER BY k")
        assert cur.fetchall() == [(1, "one"), (2, "two"), (3, None)]
        cur.execute("SELECT v FROM kv WHERE k = ?", (2,))
        assert cur.fetchall() == [("two",)]


def test_ingest_modes(conn):
    data = pa.table({"id": pa.array([1, 2], pa.int64()), "name": ["x", "y"]})
    with conn.cursor() as cur:
        assert cur.adbc_ingest("ingested", data, mode="create") == 2
        assert cur.adbc_ingest("ingested", data, mode="append") == 2
        with pytest.raises(adbc_driver_manager.Error, match="already exists"):
            cur.adbc_ingest("ingested", data, mode="create")
        cur.execute("SELECT count(*) FROM ingested")
        assert cur.fetchone() == (4,)
        assert cur.adbc_ingest("ingested", data.slice(0, 1), mode="replace") == 1
        cur.execute("SELECT count(*) FROM ingested")
        assert cur.fetchone() == (1,)
        assert cur.adbc_ingest("other", data, mode="create_append") == 2
        assert cur.adbc_ingest("other", data, mode="create_append") == 2
        with pytest.raises(adbc_driver_manager.Error, match="does not exist"):
            cur.adbc_ingest("missing", data, mode="append")
        cur.execute("CREATE SCHEMA staging")
        assert cur.adbc_ingest("in_schema", data, mode="create", db_schema_name="staging") == 2
        cur.execute("SELECT sum(id) FROM staging.in_schema")
        assert cur.fetchone() == (3,)


def test_metadata(conn):
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY, label VARCHAR NOT NULL)")
        cur.execute("CREATE TABLE child (pid INTEGER REFERENCES parent(id), note VARCHAR)")
        cur.execute("CREATE VIEW parent_view AS SELECT * FROM parent")
    objects = conn.adbc_get_objects(depth="all").read_all().to_pylist()
    catalogs = {c["catalog_name"]: c for c in objects}
    assert "test" in catalogs  # the database file is test.duckdb
    schemas = {s["db_schema_name"]: s for s in catalogs["test"]["catalog_db_schemas"]}
    tables = {t["table_name"]: t for t in schemas["main"]["db_schema_tables"]}
    assert tables["parent"]["table_type"] == "TABLE"
    assert tables["parent_view"]["table_type"] == "VIEW"
    columns = [c["column_name"] for c in tables["parent"]["table_columns"]]
    assert columns == ["id", "label"]

    schema = conn.adbc_get_table_schema("parent")
    assert schema.names == ["id", "label"]
    assert schema.field("id").type == pa.int32()
    assert not schema.field("label").nullable
    assert set(conn.adbc_get_table_types()) >= {"TABLE", "VIEW"}

    info = conn.adbc_get_info()
    assert info["vendor_name"] == "Quiver"
    assert info["vendor_arrow_version"].startswith("26.")


def test_transactions(secured):
    with adbc.connect(secured.uri, db_kwargs=ALICE) as conn:  # autocommit off: a transaction
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE ledger (amount INTEGER)")
            conn.commit()
            cur.execute("INSERT INTO ledger VALUES (10)")
            conn.rollback()
            cur.execute("INSERT INTO ledger VALUES (20)")
            conn.commit()
            cur.execute("SELECT sum(amount) FROM ledger")
            assert cur.fetchone() == (20,)
            conn.commit()


def test_uncommitted_rows_are_invisible_to_others(secured):
    with adbc.connect(secured.uri, db_kwargs=ALICE, autocommit=True) as setup:
        with setup.cursor() as cur:
            cur.execute("CREATE TABLE shared (v INTEGER)")
    with adbc.connect(secured.uri, db_kwargs=ALICE) as writer, \
            adbc.connect(secured.uri, db_kwargs=ALICE, autocommit=True) as reader:
        with writer.cursor() as w, reader.cursor() as r:
            w.execute("INSERT INTO shared VALUES (1)")
            r.execute("SELECT count(*) FROM shared")
            assert r.fetchone() == (0,)
            writer.commit()
            r.execute("SELECT count(*) FROM shared")
            assert r.fetchone() == (1,)


def test_sql_errors_reach_the_client(conn):
    with conn.cursor() as cur:
        with pytest.raises(adbc_driver_manager.Error, match="syntax error"):
            cur.execute("SELEKT 1")
        with pytest.raises(adbc_driver_manager.Error, match="does not exist"):
            cur.execute("SELECT * FROM no_such_table")
        with pytest.raises(adbc_driver_manager.Error, match="syntax error"):
            cur.execute("SELEKT ?", (1,))
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
