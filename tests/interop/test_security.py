"""The `security:` settings: SQL that would read or write the server's files, ATTACH other
databases or install and load extensions is refused with PERMISSION_DENIED when the server is
configured to forbid it (the default off loopback), nothing can switch it back on at run time, and
Quiver's own work (ingest, arrow_flight(), spilled tickets, the database file) is unaffected."""
import re
import subprocess
import time
from pathlib import Path

import adbc_driver_flightsql.dbapi as adbc
import adbc_driver_manager
import pyarrow as pa
import pyarrow.flight as flight
import pytest

import wire
from conftest import BINARY, QuiverServer, assert_still_serving

LOCKED = """\
security:
  allow_file_access: false
  allow_attach: false
  allow_extensions: false
"""


@pytest.fixture(scope="module")
def locked(tmp_path_factory):
    """One locked-down server for the module's many refusals (each test checks it still serves)."""
    workdir = tmp_path_factory.mktemp("locked")
    server = QuiverServer(workdir, LOCKED)
    yield server
    assert server.stop() == 0, server.log()


def connect(server):
    client = server.client()
    return client, flight.FlightCallOptions(headers=[client.authenticate_basic_token("default", "")])


def run(client, options, sql):
    return client.do_get(flight.Ticket(sql.encode()), options).read_all()


@pytest.mark.parametrize("sql, message", [
    ("SELECT * FROM read_csv('/etc/passwd')", r"Cannot access file \"/etc/passwd\".*security.allow_file_access is false"),
    ("SELECT * FROM read_text('/etc/hostname')", "security.allow_file_access"),
    ("SELECT * FROM read_parquet('/tmp/*.parquet')", "security.allow_file_access"),
    ("SELECT * FROM glob('/etc/*')", "security.allow_file_access"),
    ("COPY (SELECT 42) TO '/tmp/quiver-security-copy.csv'", "security.allow_file_access"),
    ("CREATE OR REPLACE TABLE t AS SELECT 1 AS x; COPY t FROM '/etc/passwd'", "security.allow_file_access"),
    ("EXPORT DATABASE '/tmp/quiver-security-export'", "security.allow_file_access"),
    ("IMPORT DATABASE '/tmp'", "security.allow_file_access"),
    ("ATTACH '/tmp/quiver-security-other.duckdb' AS other", "security.allow_attach"),
    ("ATTACH ':memory:' AS other", "ATTACH and DETACH are disabled by security.allow_attach"),
    ("DETACH memory", "security.allow_attach"),
    ("INSTALL httpfs", "INSTALL and LOAD are disabled by security.allow_extensions"),
    ("LOAD parquet", "security.allow_extensions"),
    ("FORCE INSTALL json FROM 'http://127.0.0.1:9/'", "security.allow_extensions"),
    ("UPDATE EXTENSIONS", "security.allow_extensions"),
    ("SET autoinstall_known_extensions = true", "autoinstall_known_extensions is disabled by security.allow_extensions"),
    ("SET GLOBAL custom_extension_repository = 'http://127.0.0.1:9/'", "security.allow_extensions"),
    # DuckDB writes profiles and logs to files even with external access disabled.
    ("SET profiling_output = '/tmp/quiver-security-profile.txt'", "profiling_output is disabled by security.allow_file_access"),
    ("PRAGMA profile_output = '/tmp/quiver-security-profile.txt'", "security.allow_file_access"),
    ("CALL enable_logging(storage := 'file', storage_path := '/tmp/quiver-security-logs')", "enable_logging\\(\\) is disabled"),
    ("SELECT * FROM enable_logging(storage := 'file', storage_path := '/tmp/quiver-security-logs')", "enable_logging"),
    ("SELECT * FROM query('SELECT * FROM enable_' || 'logging()')", r"query\(\) is disabled"),
])
def test_forbidden_sql_is_refused(locked, sql, message):
    client, options = connect(locked)
    with pytest.raises(flight.FlightUnauthorizedError, match=message):
        run(client, options, sql)
    # GetFlightInfo and GetSchema refuse it the same way.
    with pytest.raises(flight.FlightUnauthorizedError, match=message):
        client.get_flight_info(flight.FlightDescriptor.for_command(sql), options)
    for leftover in ("/tmp/quiver-security-copy.csv", "/tmp/quiver-security-export",
                     "/tmp/quiver-security-other.duckdb", "/tmp/quiver-security-profile.txt",
                     "/tmp/quiver-security-logs"):
        assert not Path(leftover).exists(), leftover
    assert_still_serving(locked, options)


def test_file_paths_are_not_tables(locked):
    client, options = connect(locked)
    # Without file access DuckDB does not turn a path into read_csv(): it is just no table.
    with pytest.raises(flight.FlightServerError, match="Table with name /etc/passwd does not exist"):
        run(client, options, "SELECT * FROM '/etc/passwd'")
    assert_still_serving(locked, options)


def test_forbidden_sql_through_adbc(locked):
    with adbc.connect(locked.uri, db_kwargs={"username": "default", "password": ""}, autocommit=True) as conn:
        with conn.cursor() as cur:
            with pytest.raises(adbc_driver_manager.Error, match="security.allow_file_access"):
                cur.execute("SELECT * FROM read_csv('/etc/passwd')")
            with pytest.raises(adbc_driver_manager.Error, match="security.allow_attach"):
                cur.execute("ATTACH ':memory:' AS other")
            # Prepared statements (CreatePreparedStatement) are checked too.
            with pytest.raises(adbc_driver_manager.Error, match="security.allow_file_access"):
                cur.execute("SELECT * FROM read_csv('/etc/passwd') WHERE ? = 1", parameters=(1,))
            with pytest.raises(adbc_driver_manager.Error, match="profiling_output"):
                cur.execute("SET profiling_output = ?", parameters=("/tmp/quiver-security-profile.txt",))
            cur.execute("SELECT 40 + 2")
            assert cur.fetchone() == (42,)
    assert_still_serving(locked)


def test_nothing_switches_it_back_on(locked):
    client, options = connect(locked)
    for sql in ("SET enable_external_access = true", "RESET enable_external_access",
                "SET GLOBAL enable_external_access = true", "SET allow_community_extensions = true",
                "SET allow_unsigned_extensions = true", "SET lock_configuration = false; SET enable_external_access = true"):
        with pytest.raises(flight.FlightServerError, match="Cannot change|Cannot upgrade"):
            run(client, options, sql)
    # SetSessionOptions maps options to SET: the refused ones come back as INVALID_VALUE.
    request = wire.set_session_options_request({
        "enable_external_access": True, "autoload_known_extensions": True,
        "profiling_output": "/tmp/quiver-security-profile.txt", "threads": 2})
    result = list(client.do_action(flight.Action("SetSessionOptions", request), options))
    errors = {name: wire.fields(value).get(1, 0)
              for name, value in wire.map_entries(result[0].body.to_pybytes()).items()}
    assert errors == {"enable_external_access": 2, "autoload_known_extensions": 2, "profiling_output": 2}
    settings = run(client, options, "SELECT current_setting('enable_external_access') AS e")
    assert settings.column("e").to_pylist() == [False]
    with pytest.raises(flight.FlightUnauthorizedError):
        run(client, options, "SELECT * FROM read_csv('/etc/passwd')")
    assert not Path("/tmp/quiver-security-profile.txt").exists()
    assert_still_serving(locked, options)


def test_quivers_own_work_is_unaffected(start_server, tmp_path):
    # A second, unrestricted server for arrow_flight() to read from.
    remote = start_server()
    remote_client, remote_options = connect(remote)
    run(remote_client, remote_options, "CREATE TABLE remote_data AS SELECT range AS id FROM range(1000)")
    spill = tmp_path / "spill"
    server = start_server(LOCKED + f"tickets_memory_budget_bytes: 0\nspill_directory: {spill}\n"
                          "flight_connections:\n"
                          f"  - {{name: remote, location: 'grpc://127.0.0.1:{remote.port}'}}\n")
    client, options = connect(server)
    # PATH ingest (DuckDB's Arrow scan) and a Flight SQL ingest through ADBC.
    batch = pa.record_batch({"id": pa.array(range(500), pa.int64()), "name": [f"n{i}" for i in range(500)]})
    writer, _ = client.do_put(flight.FlightDescriptor.for_path("ingested"), batch.schema, options)
    writer.write_batch(batch)
    writer.close()
    with adbc.connect(server.uri, db_kwargs={"username": "default", "password": ""}, autocommit=True) as conn:
        with conn.cursor() as cur:
            cur.adbc_ingest("ingested", pa.table(batch), mode="append")
    # arrow_flight() by name and by location.
    assert run(client, options, "SELECT count(*) AS n FROM arrow_flight('remote', 'remote_data')").column("n").to_pylist() == [1000]
    assert run(client, options, f"SELECT sum(id) AS s FROM arrow_flight('grpc://127.0.0.1:{remote.port}', "
                                "'SELECT * FROM remote_data')").column("s").to_pylist() == [499500]
    # Tickets spilled to files (budget 0), and a sort larger than DuckDB's memory limit, which
    # DuckDB spills to its own temporary directory.
    info = client.get_flight_info(flight.FlightDescriptor.for_command("SELECT * FROM ingested ORDER BY id"), options)
    assert client.do_get(info.endpoints[0].ticket, options).read_all().num_rows == 1000
    assert list(spill.glob("quiver-spill-*/*"))
    run(client, options, "SET memory_limit = '32MB'; SET threads = 1; SET preserve_insertion_order = false")
    big = run(client, options, "SELECT count(*) AS n, max(s) AS m FROM (SELECT range % 1000003 AS k, "
                               "repeat('x', 100) || range AS s FROM range(2000000) ORDER BY s DESC)")
    assert big.column("n").to_pylist() == [2000000]
    assert_still_serving(server, options)
    # The database file keeps everything across a restart.
    assert server.stop() == 0
    again = QuiverServer(server.workdir, LOCKED)
    try:
        again_client, again_options = connect(again)
        assert run(again_client, again_options, "SELECT count(*) AS n FROM ingested").column("n").to_pylist() == [1000]
        again_client.close()
    finally:
        assert again.stop() == 0


def test_loopback_allows_everything_by_default(server, tmp_path):
    client, options = connect(server)
    source = tmp_path / "data.csv"
    source.write_text("a,b\n1,x\n2,y\n")
    assert run(client, options, f"SELECT sum(a) AS s FROM read_csv('{source}')").column("s").to_pylist() == [3]
    run(client, options, "ATTACH ':memory:' AS scratch; CREATE TABLE scratch.t AS SELECT 1 AS x; DETACH scratch")
    assert "security=[allow_file_access=true,allow_attach=true,allow_extensions=true]" in server.log()


def wait_for_listening(log_path: Path, process, pattern: str, timeout=20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(pattern, log_path.read_text())
        if match:
            return int(match.group(1))
        assert process.poll() is None, log_path.read_text()
        time.sleep(0.05)
    raise AssertionError(log_path.read_text())


def test_public_host_forbids_by_default(tmp_path):
    # Listening on every address (with users, as the server requires there): locked down.
    config = tmp_path / "quiver.yaml"
    config.write_text("users:\n  - {name: alice, password: pw}\n")
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([BINARY, "serve", "--host", "0.0.0.0", "--port", "0", "--config", str(config),
                                    "--database", str(tmp_path / "public.duckdb")],
                                   stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
                                   env={"PATH": "/usr/bin:/bin"})
    try:
        port = wait_for_listening(log_path, process, r"listening on grpc://0\.0\.0\.0:(\d+)")
        assert "security=[allow_file_access=false,allow_attach=false,allow_extensions=false]" in log_path.read_text()
        client = flight.FlightClient(f"grpc://127.0.0.1:{port}")
        options = flight.FlightCallOptions(headers=[client.authenticate_basic_token("alice", "pw")])
        with pytest.raises(flight.FlightUnauthorizedError, match="security.allow_file_access"):
            run(client, options, "SELECT * FROM read_csv('/etc/passwd')")
        with pytest.raises(flight.FlightUnauthorizedError, match="security.allow_attach"):
            run(client, options, "ATTACH ':memory:' AS x")
        assert run(client, options, "SELECT 42 AS answer").column("answer").to_pylist() == [42]
        client.close()
    finally:
        process.terminate()
        assert process.wait(timeout=15) == 0


def test_flags_and_environment(tmp_path):
    workdir = tmp_path / "flags"
    workdir.mkdir()
    server = QuiverServer(workdir, extra_args=["--security-allow-attach", "false"],
                          env={"QUIVER_SECURITY_ALLOW_EXTENSIONS": "false"})
    try:
        assert "security=[allow_file_access=true,allow_attach=false,allow_extensions=false]" in server.log()
        client, options = connect(server)
        with pytest.raises(flight.FlightUnauthorizedError, match="allow_attach"):
            run(client, options, "ATTACH ':memory:' AS x")
        with pytest.raises(flight.FlightUnauthorizedError, match="allow_extensions"):
            run(client, options, "LOAD json")
        client.close()
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("config, message", [
    ("security:\n  allow_file_access: sometimes\n", "config key 'security.allow_file_access' has an invalid value"),
    ("security:\n  allow_network: false\n", "unknown config key 'security.allow_network'"),
    ("max_sessions: -1\n", "max_sessions must be >= 0"),
    ("max_put_bytes: -5\n", "max_put_bytes must be >= 0"),
    ("max_concurrent_queries: -1\n", "max_concurrent_queries must be >= 0"),
    ("max_tickets_per_user: -1\n", "max_tickets_per_user must be >= 0"),
    ("query_timeout_seconds: -1\n", "query_timeout_seconds must be >= 0"),
])
def test_bad_settings_fail_at_start_up(tmp_path, config, message):
    workdir = tmp_path / "server"
    workdir.mkdir()
    with pytest.raises(RuntimeError, match="server exited early") as failure:
        QuiverServer(workdir, config)
    assert message in str(failure.value)


@pytest.mark.parametrize("sql", [
    "SET profiling_output = '/tmp/quiver-security-poll.json'",
    "SELECT * FROM read_csv('/etc/passwd')",
    "ATTACH ':memory:' AS other",
])
def test_polled_queries_are_checked_too(locked, sql):
    """PollFlightInfo prepares its statement on a path of its own: the same refusals apply."""
    import grpc

    client, options = connect(locked)
    token = client.authenticate_basic_token("default", "")
    channel = grpc.insecure_channel(f"127.0.0.1:{locked.port}")
    poll = channel.unary_unary("/arrow.flight.protocol.FlightService/PollFlightInfo",
                               request_serializer=lambda b: b, response_deserializer=lambda b: b)
    with pytest.raises(grpc.RpcError) as error:
        poll(flight.FlightDescriptor.for_command(sql.encode()).serialize(),
             metadata=[(token[0].decode(), token[1].decode())], timeout=30)
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED, error.value.details()
    assert "security." in error.value.details()
    channel.close()
    assert_still_serving(locked, options)
