"""Sessions: ClickHouse's x-clickhouse-session-* headers and Flight SQL cookie sessions, with
pyarrow.flight and ADBC."""
import time

import adbc_driver_flightsql.dbapi as adbc
import pyarrow as pa
import pyarrow.flight as flight
import pytest

import wire
from test_auth import BOB_DIGEST, BOB_PASSWORD, USERS


@pytest.fixture
def server(start_server):
    return start_server(USERS.format(bob_digest=BOB_DIGEST) + "max_session_timeout: 30\n")


def login(server, user="alice", password="s3cret-Pa55"):
    client = server.client()
    return client, client.authenticate_basic_token(user, password)


def run(client, token, sql, **session):
    headers = [token] + [(f"x-clickhouse-session-{k}".encode(), str(v).encode()) for k, v in session.items()]
    options = flight.FlightCallOptions(headers=headers)
    return client.do_get(flight.Ticket(sql.encode()), options).read_all()


def test_state_persists_within_a_session_only(server):
    client, token = login(server)
    run(client, token, "SET VARIABLE answer = 42", id="s1")
    run(client, token, "CREATE TEMP TABLE scratch AS SELECT 7 AS x", id="s1")
    assert run(client, token, "SELECT getvariable('answer') AS v", id="s1").column("v").to_pylist() == [42]
    assert run(client, token, "SELECT x FROM scratch", id="s1").column("x").to_pylist() == [7]
    # Another session, or no session, sees none of it.
    assert run(client, token, "SELECT getvariable('answer') AS v", id="s2").column("v").to_pylist() == [None]
    with pytest.raises(flight.FlightServerError, match="scratch does not exist"):
        run(client, token, "SELECT x FROM scratch", id="s2")
    with pytest.raises(flight.FlightServerError, match="scratch does not exist"):
        run(client, token, "SELECT x FROM scratch")


def test_open_transaction_spans_calls_of_a_session(server):
    client, token = login(server)
    run(client, token, "CREATE TABLE accounts (v INTEGER)")
    run(client, token, "BEGIN TRANSACTION", id="tx")
    run(client, token, "INSERT INTO accounts VALUES (1)", id="tx")
    assert run(client, token, "SELECT count(*) AS n FROM accounts").column("n").to_pylist() == [0]
    assert run(client, token, "SELECT count(*) AS n FROM accounts", id="tx").column("n").to_pylist() == [1]
    run(client, token, "COMMIT", id="tx")
    assert run(client, token, "SELECT count(*) AS n FROM accounts").column("n").to_pylist() == [1]


def test_sessions_are_per_user(server):
    alice, alice_token = login(server)
    bob, bob_token = login(server, "bob", BOB_PASSWORD)
    run(alice, alice_token, "SET VARIABLE who = 'alice'", id="shared")
    assert run(bob, bob_token, "SELECT getvariable('who') AS v", id="shared").column("v").to_pylist() == [None]
    assert run(alice, alice_token, "SELECT getvariable('who') AS v", id="shared").column("v").to_pylist() == ["alice"]


def test_session_check_close_and_timeout(server):
    client, token = login(server)
    with pytest.raises(pa.ArrowInvalid, match="Session missing not found"):
        run(client, token, "SELECT 1", id="missing", check=1)
    run(client, token, "SET VARIABLE v = 1", id="closing")
    run(client, token, "SELECT 1", id="closing", check=1)
    run(client, token, "SELECT 1", id="closing", close=1)
    with pytest.raises(pa.ArrowInvalid, match="not found"):
        run(client, token, "SELECT 1", id="closing", check=1)

    with pytest.raises(pa.ArrowInvalid, match="Invalid session timeout: soon"):
        run(client, token, "SELECT 1", id="t", timeout="soon")
    with pytest.raises(pa.ArrowInvalid, match="larger than max_session_timeout: 30"):
        run(client, token, "SELECT 1", id="t", timeout=31)
    run(client, token, "SELECT 1", id="short", timeout=1)
    time.sleep(1.5)
    with pytest.raises(pa.ArrowInvalid, match="not found"):
        run(client, token, "SELECT 1", id="short", check=1)


class CookieJar(flight.ClientMiddlewareFactory):
    """Keeps the cookies a server sets, as browsers and the Flight SQL drivers do."""

    def __init__(self):
        self.cookies = {}

    def start_call(self, info):
        return CookieMiddleware(self)


class CookieMiddleware(flight.ClientMiddleware):
    def __init__(self, jar):
        self.jar = jar

    def sending_headers(self):
        if not self.jar.cookies:
            return {}
        return {"cookie": "; ".join(f"{k}={v}" for k, v in self.jar.cookies.items())}

    def received_headers(self, headers):
        for value in headers.get("set-cookie", []):
            name, _, rest = value.partition("=")
            cookie, _, attributes = rest.partition(";")
            if "Max-Age=0" in attributes:
                self.jar.cookies.pop(name, None)
            else:
                self.jar.cookies[name] = cookie


def test_cookie_session_from_set_session_options(server):
    jar = CookieJar()
    client = flight.FlightClient(server.uri, middleware=[jar])
    options = flight.FlightCallOptions(headers=[client.authenticate_basic_token("alice", "s3cret-Pa55")])
    request = wire.set_session_options_request(
        {"threads": 3, "default_null_order": "nulls_first", "no_such_setting": "x", "memory_limit": "lots"})
    result = list(client.do_action(flight.Action("SetSessionOptions", request), options))
    errors = {name: wire.fields(value).get(1, 0) for name, value in wire.map_entries(result[0].body.to_pybytes()).items()}
    assert errors == {"no_such_setting": 1, "memory_limit": 2}  # INVALID_NAME, INVALID_VALUE
    assert "arrow_flight_session_id" in jar.cookies

    got = list(client.do_action(flight.Action("GetSessionOptions", b""), options))
    values = {k: wire.fields(v).get(1) for k, v in wire.map_entries(got[0].body.to_pybytes()).items()}
    assert values["threads"] == b"3"
    assert values["schema"] == b"main"
    table = client.do_get(flight.Ticket(b"SELECT current_setting('threads') AS t"), options).read_all()
    assert table.column("t").to_pylist() == [3]

    closed = list(client.do_action(flight.Action("CloseSession", b""), options))
    assert wire.fields(closed[0].body.to_pybytes())[1] == 1  # CLOSED
    assert "arrow_flight_session_id" not in jar.cookies


def test_adbc_cookie_session_keeps_the_current_schema(server):
    kwargs = {"username": "alice", "password": "s3cret-Pa55",
              "adbc.flight.sql.rpc.with_cookie_middleware": "true"}
    with adbc.connect(server.uri, db_kwargs=kwargs, autocommit=True) as conn:
        with conn.cursor() as cur:
            cur.execute("CREATE SCHEMA reports")
            conn.adbc_connection.set_options(**{"adbc.connection.db_schema": "reports"})
            cur.execute("SELECT current_schema()")
            assert cur.fetchone() == ("reports",)
            cur.execute("CREATE TABLE daily (d INTEGER)")
        assert conn.adbc_connection.get_option("adbc.connection.db_schema") == "reports"
    with adbc.connect(server.uri, db_kwargs={"username": "alice", "password": "s3cret-Pa55"},
                      autocommit=True) as other:
        with other.cursor() as cur:
            cur.execute("SELECT count(*) FROM reports.daily")
            assert cur.fetchone() == (0,)
            cur.execute("SELECT current_schema()")
            assert cur.fetchone() == ("main",)


def test_get_tables_runs_on_the_session(server):
    """Flight SQL metadata commands run on the session's connection: its temporary tables are
    listed (catalog `temp`), those of other sessions are not."""
    client, token = login(server)
    run(client, token, "CREATE TEMP TABLE scratch_pad (x INTEGER)", id="s1")

    def table_names(**session):
        headers = [token] + [(f"x-clickhouse-session-{k}".encode(), str(v).encode())
                             for k, v in session.items()]
        options = flight.FlightCallOptions(headers=headers)
        descriptor = flight.FlightDescriptor.for_command(wire.command("CommandGetTables"))
        info = client.get_flight_info(descriptor, options)
        table = client.do_get(info.endpoints[0].ticket, options).read_all()
        return set(zip(table.column("catalog_name").to_pylist(),
                       table.column("table_name").to_pylist()))

    assert ("temp", "scratch_pad") in table_names(id="s1")
    assert not any(name == "scratch_pad" for _, name in table_names(id="s2"))
    assert not any(name == "scratch_pad" for _, name in table_names())
