"""Flight SQL through the real arrow-go Flight SQL client (github.com/apache/arrow-go/v18, pinned in
tests/interop/go/go.mod): Execute + DoGet, ExecuteUpdate, prepared statements with bound
parameters, metadata commands, GetSqlInfo, ExecuteIngest, transactions, a result far above gRPC's
4 MiB default receive limit, and SQL errors.

scripts/bootstrap builds tests/interop/go into .deps/go/quiver-go-client; each test runs it once
against a fresh server and asserts on the JSON it prints."""
import hashlib
import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GO_SRC = ROOT / "tests" / "interop" / "go"
GO_CLIENT = ROOT / ".deps" / "go" / "quiver-go-client"
GO_STAMP = ROOT / ".deps" / "go" / ".stamp"
USERS = """\
users:
  - name: alice
    password: "s3cret-Pa55"
  - name: bob
    password: "hunter2"
"""


def go_sources_hash() -> str:
    """The hash scripts/bootstrap writes into .deps/go/.stamp (go.mod, go.sum, *.go, in that order)."""
    files = [GO_SRC / "go.mod", GO_SRC / "go.sum"] + sorted(GO_SRC.glob("*.go"), key=lambda p: p.name.encode())
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]


@pytest.fixture(scope="module")
def go_client():
    assert GO_CLIENT.exists(), f"{GO_CLIENT} is missing: run scripts/bootstrap (it needs Go)"
    stamp = GO_STAMP.read_text().split()[0] if GO_STAMP.exists() else ""
    assert stamp == go_sources_hash(), (
        f"{GO_CLIENT} was built from other sources than {GO_SRC}: run scripts/bootstrap")
    return GO_CLIENT


@pytest.fixture
def run(go_client, start_server):
    """run(scenario) -> the scenario's JSON result, from the Go client against a fresh server."""
    server = start_server(USERS)

    def run_scenario(scenario: str, user="alice", password="s3cret-Pa55"):
        proc = subprocess.run(
            [str(go_client), "-uri", server.uri, "-user", user, "-password", password,
             "-user2", "bob", "-password2", "hunter2", "-timeout", "60s", scenario],
            capture_output=True, text=True, timeout=90)
        try:
            output = json.loads(proc.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"Go client printed no JSON (exit {proc.returncode}):\n"
                        f"stdout: {proc.stdout}\nstderr: {proc.stderr}\nserver log:\n{server.log()[-4000:]}")
        result = output[scenario]
        if isinstance(result, dict) and "error" in result and "step" in result:
            pytest.fail(f"Go scenario '{scenario}' failed at step '{result['step']}': "
                        f"{result.get('code', '')} {result.get('message', result['error'])}\n"
                        f"server log (tail):\n{server.log()[-3000:]}")
        assert proc.returncode == 0, proc.stderr
        return result

    return run_scenario


def records(result):
    """A metadata result's rows as dicts keyed by the schema's field names."""
    names = [f["name"] for f in result["schema"]]
    return [dict(zip(names, row)) for row in result["rows"]]


def fields(schema):
    return [(f["name"], f["type"], f["nullable"]) for f in schema]


def test_connect_authenticates_with_basic_then_bearer(run):
    result = run("connect")
    assert result["query"] == [[42]]
    refused = result["wrong_password"]
    assert refused["code"] == "Unauthenticated", refused
    assert "alice: Authentication failed" in refused["message"]


def test_query_returns_every_type_with_flight_sql_metadata(run):
    result = run("query_types")
    assert result["rows"] == [
        [1, 10000000000, 1.5, "héllo", "2024-02-29", "2024-02-29T13:14:15.123456", "1234.567", True],
        [2, -1, -0.25, "", "1970-01-01", "1970-01-01T00:00:00", "-0.001", False],
        [None] * 8,
    ]
    assert result["total_records"] == 3 and result["endpoints"] >= 1
    expected_types = ["int32", "int64", "float64", "utf8", "date32", "timestamp[us]", "decimal(18, 3)", "bool"]
    for name in ("schema", "stream_schema", "get_schema"):
        schema = result[name]
        assert [f["name"] for f in schema] == ["i", "b", "d", "s", "dt", "ts", "dec", "flag"], name
        assert [f["type"] for f in schema] == expected_types, name
        assert all(f["nullable"] for f in schema), name
    # The same Flight SQL column metadata on GetSchema, FlightInfo and the DoGet stream.
    assert result["schema"] == result["stream_schema"] == result["get_schema"]
    type_names = [f["metadata"].get("ARROW:FLIGHT:SQL:TYPE_NAME") for f in result["schema"]]
    assert type_names == ["INTEGER", "BIGINT", "DOUBLE", "VARCHAR", "DATE", "TIMESTAMP", "DECIMAL", "BOOLEAN"]
    dec = result["schema"][6]["metadata"]
    assert dec.get("ARROW:FLIGHT:SQL:PRECISION") == "18" and dec.get("ARROW:FLIGHT:SQL:SCALE") == "3"


def test_execute_update_returns_affected_rows(run):
    result = run("update")
    assert result["counts"] == [0, 3, 2, 1]  # CREATE, INSERT 3, UPDATE 2, DELETE 1
    assert result["rows"] == [[2, "b!"], [3, "c!"]]


def test_prepared_statements_with_bound_parameters(run):
    result = run("prepared")
    assert fields(result["query_parameter_schema"]) == [("parameter_1", "int32", True), ("parameter_2", "utf8", True)]
    assert fields(result["query_dataset_schema"]) == [("id", "int32", True), ("name", "utf8", True), ("day", "date32", True)]
    assert result["query_dataset_schema"] == result["query_schema"]
    assert result["query_is_update"] == {"value": False, "known": True}
    assert result["query_rows"] == [[2, "two", "2024-01-02"]]
    assert result["query_rows_rebound"] == [[1, "one", "2024-01-01"], [3, "three", "2024-01-03"]]
    assert result["insert_is_update"] == {"value": True, "known": True}
    assert [f["type"] for f in result["insert_parameter_schema"]] == ["int32", "utf8", "date32"]
    # Three parameter rows sent with CommandPreparedStatementUpdate in one DoPut: one run per row.
    assert result["insert_count"] == 3
    assert result["delete_count"] == 2
    assert result["final_rows"] == [
        [3, "three", "2024-01-03"], [10, "ten", "2025-06-01"], [11, "eleven", "2025-06-02"], [12, None, "2025-06-03"],
    ]


def test_prepared_statement_handles_belong_to_their_user(run):
    result = run("other_user_handle")
    stolen = result["other_execute"]
    assert stolen.get("code") == "NotFound" and stolen["message"] == "Prepared statement handle not found", stolen
    # Whatever bob's close answers, alice's statement survives it.
    assert result["owner_rows"] == [[42]]


def test_metadata_commands(run):
    result = run("metadata")
    assert fields(result["catalogs"]["schema"]) == [("catalog_name", "utf8", False)]
    assert result["catalogs"]["rows"] == [["test"]]
    assert fields(result["schemas"]["schema"]) == [("catalog_name", "utf8", True), ("db_schema_name", "utf8", False)]
    assert result["schemas"]["rows"] == [["test", "main"]]
    assert result["schemas_filtered"]["rows"] == [["test", "main"]]

    assert fields(result["tables"]["schema"]) == [
        ("catalog_name", "utf8", True), ("db_schema_name", "utf8", True), ("table_name", "utf8", False),
        ("table_type", "utf8", False), ("table_schema", "binary", False)]
    assert result["tables"]["rows"] == [
        ["test", "main", "go_child", "TABLE", "<schema>"], ["test", "main", "go_parent", "TABLE", "<schema>"],
        ["test", "main", "go_view", "VIEW", "<schema>"]]
    schemas = result["table_schemas"]
    assert fields(schemas["go_parent"]) == [("id", "int32", False), ("name", "utf8", False)]
    assert fields(schemas["go_child"]) == [("cid", "int32", False), ("pid", "int32", False), ("note", "utf8", True)]
    assert fields(schemas["go_view"]) == [("id", "int32", True)]
    assert schemas["go_parent"][0]["metadata"]["ARROW:FLIGHT:SQL:TABLE_NAME"] == "go_parent"
    assert schemas["go_parent"][0]["metadata"]["ARROW:FLIGHT:SQL:TYPE_NAME"] == "INTEGER"
    assert result["views"]["rows"] == [["test", "main", "go_view", "VIEW"]]
    assert result["table_types"]["rows"] == [["LOCAL TEMPORARY"], ["TABLE"], ["VIEW"]]

    assert records(result["primary_keys"]) == [
        {"catalog_name": "test", "db_schema_name": "main", "table_name": "go_child", "column_name": "cid",
         "key_sequence": 1, "key_name": "go_child_cid_pid_pkey"},
        {"catalog_name": "test", "db_schema_name": "main", "table_name": "go_child", "column_name": "pid",
         "key_sequence": 2, "key_name": "go_child_cid_pid_pkey"}]
    for name in ("exported_keys", "imported_keys", "cross_reference"):
        assert records(result[name]) == [{
            "pk_catalog_name": "test", "pk_db_schema_name": "main", "pk_table_name": "go_parent",
            "pk_column_name": "id", "fk_catalog_name": "test", "fk_db_schema_name": "main",
            "fk_table_name": "go_child", "fk_column_name": "pid", "key_sequence": 1,
            "fk_key_name": "go_child_pid_id_fkey", "pk_key_name": None, "update_rule": 1, "delete_rule": 1}], name

    types = records(result["xdbc_type_info"])
    by_name = {t["type_name"]: t for t in types}
    assert {"INTEGER", "BIGINT", "DOUBLE", "VARCHAR", "DATE", "TIMESTAMP", "DECIMAL", "BOOLEAN"} <= set(by_name)
    # java.sql.Types numbers: INTEGER 4, VARCHAR 12, DECIMAL 3
    assert (by_name["INTEGER"]["data_type"], by_name["VARCHAR"]["data_type"], by_name["DECIMAL"]["data_type"]) == (4, 12, 3)


def test_sql_info(run):
    result = run("sql_info")
    assert fields(result["schema"])[0] == ("info_name", "uint32", False)
    values = result["values"]
    assert values["0"] == "Quiver"  # FLIGHT_SQL_SERVER_NAME
    assert values["1"].startswith("0.1.0 (DuckDB v1.4.4)")  # server version
    assert values["2"] == "26.0.1"  # Arrow version of the pyarrow wheel
    assert values["3"] is False  # read-only
    assert values["4"] is True  # SQL
    assert values["5"] is False  # Substrait
    assert values["10"] is True  # bulk ingestion
    assert values["11"] is True  # ingest inside transactions
    assert values["504"] == '"'  # identifier quote char
    assert {"qualify", "pivot", "asof"} <= set(values["508"])  # keywords
    assert values["563"] is True  # SQL_TRANSACTIONS_SUPPORTED
    for required in (0, 1, 2, 3, 4, 8, 9, 504, 508, 563):
        assert required in result["all_ids"]


def test_savepoint_support_matches_sql_info(run):
    values = run("sql_info")["values"]
    savepoint = run("transactions")["savepoint"]
    transaction, savepoints = values["8"], values["573"]  # FLIGHT_SQL_SERVER_TRANSACTION, SQL_SAVEPOINTS_SUPPORTED
    if savepoint.get("error") is None:
        assert (transaction, savepoints) == (2, True), values
    else:
        assert (transaction, savepoints) == (1, False), (
            f"SqlInfo advertises savepoints (FLIGHT_SQL_SERVER_TRANSACTION={transaction}, "
            f"SQL_SAVEPOINTS_SUPPORTED={savepoints}) but BeginSavepoint failed: "
            f"{savepoint.get('code')} {savepoint.get('message')}")


def test_execute_ingest_modes(run):
    result = run("ingest")
    assert result["create"] == {"count": 2}
    assert 'Table "go_ingest" already exists' in result["create_again"].get("message", ""), result["create_again"]
    assert result["append"] == {"count": 3}
    assert result["rows_after_append"] == [[1, "a"], [2, "b"], [3, "c"], [4, "d"], [5, "e"]]
    assert result["replace"] == {"count": 1}
    assert result["rows_after_replace"] == [[9, "z"]]
    missing = result["append_missing"]
    assert 'Table "go_ingest_missing" does not exist' in missing.get("message", ""), missing


def test_transactions_commit_and_rollback(run):
    result = run("transactions")
    assert result["transaction_id_length"] > 0
    assert result["rollback_insert_count"] == 2
    assert result["rollback_ingest_count"] == 3  # ExecuteIngest with the transaction_id
    assert result["inside_before_rollback"] == 5  # the transaction sees its own rows
    assert result["outside_before_rollback"] == 0  # others do not
    assert result["after_rollback"] == 0
    assert result["commit_insert_count"] == 1
    assert result["commit_prepared_count"] == 1  # a prepared statement inside the transaction
    assert result["outside_before_commit"] == 0
    assert result["rows_after_commit"] == [[7], [8]]


def test_large_result_stays_below_the_4_mib_default_receive_limit(run):
    # ~25 MB in one result; the Go client keeps gRPC's default 4 MiB receive limit, so any batch
    # above it would fail the DoGet with RESOURCE_EXHAUSTED.
    result = run("large_result")
    assert result["rows"] == 250000 == result["total_records"]
    assert result["batches"] > 5
    assert result["max_batch_bytes"] < 4 * 1024 * 1024


def test_sql_errors_carry_duckdb_messages(run):
    result = run("bad_sql")
    syntax = result["execute"]
    assert syntax["code"] == "Unknown" and 'syntax error at or near "SELEC"' in syntax["message"], syntax
    update = result["execute_update"]
    assert update["code"] == "Unknown" and "Table with name no_such_table does not exist" in update["message"], update
    prepare = result["prepare"]
    assert prepare["code"] == "Unknown" and "Table with name no_such_table does not exist" in prepare["message"], prepare
    assert result["still_serving"] == 1


def test_execute_poll_until_done(run):
    result = run("poll")
    counts = result["endpoint_counts"]
    assert counts[0] == 0  # the first reply comes before any row
    assert counts == sorted(counts)  # endpoints accumulate
    assert len(set(c for c in counts if c > 0)) >= 2  # rows arrived over several polls
    assert result["rows"] == result["expected_rows"] == result["total_records"] > 0
    assert all(0.0 <= p <= 1.0 for p in result["progress"]) and result["progress"][-1] == 1.0
    assert result["query_id"]


def test_cancel_flight_info_of_a_polled_query(run):
    result = run("poll_cancel")
    assert result["first"] == "CANCEL_STATUS_CANCELLED"
    assert result["second"] == "CANCEL_STATUS_NOT_CANCELLABLE"
    assert result["poll_after_cancel"]["code"] == "NotFound", result
