"""arrow_flight(...) in Quiver's SQL reading from other Flight services: a second Quiver (users in
YAML) and pyarrow.flight servers written here (PATH, CMD, several endpoints, Basic auth, TLS with a
self-signed certificate), used in joins, CREATE TABLE AS and INSERT INTO SELECT, and the errors
for unreachable services, wrong passwords and missing datasets."""
import base64
import subprocess
import threading

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight
import pytest

from conftest import QuiverServer

REMOTE_PASSWORD = "Remote-Pa55word!"
PY_USER = "flyer"
PY_PASSWORD = "Py-Secret-Pa55"
PY_TOKEN = "py-token-42"

CITIES = pa.table({
    "city": ["Oslo", "Lima", "Pune", "Kyiv", "Perth", "Quito", None],
    "population": pa.array([709_000, 10_000_000, 3_100_000, 2_950_000, 2_140_000, 2_800_000, 0],
                           pa.int64()),
    "area": [454.0, 2672.3, 331.3, 839.0, 6418.0, 372.4, None],
})
CITIES_QUERY = "SELECT city, population FROM cities WHERE population > 2500000"


class BearerMiddleware(flight.ServerMiddleware):
    def __init__(self, issue_token):
        self.issue_token = issue_token

    def sending_headers(self):
        return {"authorization": f"Bearer {PY_TOKEN}"} if self.issue_token else {}


class BasicAuthFactory(flight.ServerMiddlewareFactory):
    """Basic credentials -> bearer token, like Quiver and ClickHouse."""

    def start_call(self, info, headers):
        values = headers.get("authorization", [])
        value = values[0] if values else ""
        if value == f"Bearer {PY_TOKEN}":
            return BearerMiddleware(False)
        if value.startswith("Basic "):
            user, _, password = base64.b64decode(value[6:]).decode().partition(":")
            if (user, password) == (PY_USER, PY_PASSWORD):
                return BearerMiddleware(True)
            raise flight.FlightUnauthenticatedError(f"{user}: wrong password")
        raise flight.FlightUnauthenticatedError("credentials required")


class NoopAuthHandler(flight.ServerAuthHandler):
    """Lets Handshake through; the middleware does the checking."""

    def authenticate(self, outgoing, incoming):
        pass

    def is_valid(self, token):
        return ""


class CityServer(flight.FlightServerBase):
    """Serves CITIES by PATH ["cities"] and CITIES_QUERY by CMD, in several endpoints."""

    def __init__(self, location, parts=3, **kwargs):
        super().__init__(location, **kwargs)
        self.parts = parts
        self.lock = threading.Lock()
        self.requests = []
        self.tickets = []

    def _table(self, descriptor):
        if descriptor.descriptor_type == flight.DescriptorType.PATH:
            name = b"/".join(descriptor.path).decode()
            with self.lock:
                self.requests.append(("PATH", name))
            if name == "cities":
                return "cities", CITIES
            raise flight.FlightServerError(f"no dataset named {name!r}")
        command = descriptor.command.decode()
        with self.lock:
            self.requests.append(("CMD", command))
        if command == CITIES_QUERY:
            return "query", CITIES.filter(pc.greater(CITIES["population"], 2_500_000)) \
                .select(["city", "population"])
        raise flight.FlightServerError(f"cannot run {command!r}")

    def get_schema(self, context, descriptor):
        return flight.SchemaResult(self._table(descriptor)[1].schema)

    def get_flight_info(self, context, descriptor):
        name, table = self._table(descriptor)
        endpoints = [flight.FlightEndpoint(f"{name}:{i}".encode(), []) for i in range(self.parts)]
        return flight.FlightInfo(table.schema, descriptor, endpoints, table.num_rows, -1)

    def do_get(self, context, ticket):
        name, part = ticket.ticket.decode().split(":")
        with self.lock:
            self.tickets.append(ticket.ticket.decode())
        descriptor = (flight.FlightDescriptor.for_path("cities") if name == "cities"
                      else flight.FlightDescriptor.for_command(CITIES_QUERY))
        table = self._table(descriptor)[1]
        # Part i holds rows i, i + parts, i + 2 * parts, ...
        rows = list(range(int(part), table.num_rows, self.parts))
        return flight.RecordBatchStream(table.take(pa.array(rows, pa.int64())))


# ---------------------------------------------------------------------------------------------
# Servers, shared by the module: two pyarrow servers (plain and TLS, both with Basic auth), one
# without auth, a remote Quiver with users, and the local Quiver whose arrow_flight() reads them.

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=30)
    return cert, key


def start_city_server(location, **kwargs):
    server = CityServer(location, **kwargs)
    scheme = location.split("://")[0]
    return server, f"{scheme}://127.0.0.1:{server.port}"


@pytest.fixture(scope="module")
def py_open():
    server, uri = start_city_server("grpc://127.0.0.1:0")
    yield server, uri
    server.shutdown()


@pytest.fixture(scope="module")
def py_secured():
    server, uri = start_city_server("grpc://127.0.0.1:0", auth_handler=NoopAuthHandler(),
                                    middleware={"auth": BasicAuthFactory()})
    yield server, uri
    server.shutdown()


@pytest.fixture(scope="module")
def py_tls(certificate):
    cert, key = certificate
    server, uri = start_city_server(
        "grpc+tls://127.0.0.1:0", auth_handler=NoopAuthHandler(),
        middleware={"auth": BasicAuthFactory()},
        tls_certificates=[flight.CertKeyPair(cert=cert.read_bytes(), key=key.read_bytes())])
    yield server, uri
    server.shutdown()


def stop(server):
    code = server.stop()
    assert code == 0, f"server exited with {code}:\n{server.log()}"


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    """A Quiver with a user and an `orders` table of 10,000 rows."""
    workdir = tmp_path_factory.mktemp("remote")
    server = QuiverServer(workdir, f'users:\n  - name: alice\n    password: "{REMOTE_PASSWORD}"\n')
    client = server.client()
    options = flight.FlightCallOptions(
        headers=[client.authenticate_basic_token("alice", REMOTE_PASSWORD)])
    client.do_get(flight.Ticket(
        b"CREATE TABLE orders AS SELECT range AS id, 'c' || (range % 5) AS customer, "
        b"range * 1.5 AS amount FROM range(10000)"), options).read_all()
    client.close()
    yield server
    stop(server)


@pytest.fixture(scope="module")
def local(tmp_path_factory, remote, py_secured, py_tls, certificate):
    """The Quiver under test, with named connections to the others (secrets in its YAML)."""
    cert, _ = certificate
    workdir = tmp_path_factory.mktemp("local")
    config = f"""\
flight_connections:
  - name: warehouse
    location: {remote.uri}
    user: alice
    password: "{REMOTE_PASSWORD}"
  - name: warehouse_bad_password
    location: {remote.uri}
    user: alice
    password: "not-the-{REMOTE_PASSWORD}"
  - name: pyauth
    location: {py_secured[1]}
    user: {PY_USER}
    password: "{PY_PASSWORD}"
  - name: pytls
    location: {py_tls[1]}
    user: {PY_USER}
    password: "{PY_PASSWORD}"
    tls_root_certs_file: {cert}
  - name: pytls_insecure
    location: {py_tls[1]}
    user: {PY_USER}
    password: "{PY_PASSWORD}"
    tls_skip_verify: true
  - name: pytls_untrusted
    location: {py_tls[1]}
    user: {PY_USER}
    password: "{PY_PASSWORD}"
"""
    server = QuiverServer(workdir, config)
    yield server
    stop(server)


@pytest.fixture(scope="module")
def query(local):
    """query(sql) -> pyarrow.Table, run by the local Quiver."""
    client = local.client()
    options = flight.FlightCallOptions(headers=[client.authenticate_basic_token("default", "")])

    def run(sql):
        return client.do_get(flight.Ticket(sql.encode()), options).read_all()

    yield run
    client.close()


def error_of(query, sql):
    with pytest.raises(flight.FlightError) as failure:
        query(sql)
    return str(failure.value)


def error_proper(message):
    """The error without the statement DuckDB quotes after it (SQL credentials would be there)."""
    return message.split("\nLINE ")[0]


def rows(table):
    return sorted(table.to_pylist(), key=repr)


# ---------------------------------------------------------------------------------------------
# A second Quiver

def test_reads_a_quiver_table_through_a_named_connection(query):
    table = query("SELECT count(*) AS n, sum(id) AS total, max(amount) AS top "
                  "FROM arrow_flight('warehouse', 'orders')")
    assert table.to_pylist() == [{"n": 10000, "total": 49995000, "top": 14998.5}]


def test_reads_a_quiver_query_with_credentials_in_sql(query, remote):
    table = query(f"SELECT * FROM arrow_flight('{remote.uri}', "
                  "'SELECT customer, count(*) AS n FROM orders GROUP BY customer', "
                  f"'alice', '{REMOTE_PASSWORD}') ORDER BY customer")
    assert table.column("customer").to_pylist() == ["c0", "c1", "c2", "c3", "c4"]
    assert table.column("n").to_pylist() == [2000] * 5


def test_quiver_without_or_with_wrong_credentials(query, remote):
    missing = error_of(query, f"SELECT * FROM arrow_flight('{remote.uri}', 'orders')")
    assert f"arrow_flight: {remote.uri}: GetSchema for dataset 'orders' failed" in missing
    assert "Authentication failed" in missing

    wrong = error_of(query, "SELECT * FROM arrow_flight('warehouse_bad_password', 'orders')")
    assert f"connection 'warehouse_bad_password': {remote.uri}: authentication as 'alice'" in wrong
    assert REMOTE_PASSWORD not in wrong

    wrong = error_of(query, f"SELECT * FROM arrow_flight('{remote.uri}', 'orders', 'alice', "
                            "'guess-Pa55word')")
    assert f"{remote.uri}: authentication as 'alice' failed" in wrong
    assert "guess-Pa55word" not in error_proper(wrong)


def test_missing_quiver_table_names_the_remote(query, remote):
    message = error_of(query, "SELECT * FROM arrow_flight('warehouse', 'no_such_table')")
    assert f"{remote.uri}: GetSchema for dataset 'no_such_table' failed" in message
    assert "no_such_table" in message


# ---------------------------------------------------------------------------------------------
# pyarrow.flight servers

def test_reads_every_endpoint_of_a_path_without_auth(query, py_open):
    server, uri = py_open
    before = len(server.tickets)
    table = query(f"SELECT * FROM arrow_flight('{uri}', 'cities')")
    assert rows(table) == rows(CITIES)
    assert sorted(server.tickets[before:]) == ["cities:0", "cities:1", "cities:2"]
    assert ("PATH", "cities") in server.requests


def test_sends_sql_as_a_command(query, py_open):
    server, uri = py_open
    table = query(f"SELECT * FROM arrow_flight('{uri}', '{CITIES_QUERY}') ORDER BY population")
    assert table.column("city").to_pylist() == ["Quito", "Kyiv", "Pune", "Lima"]
    assert ("CMD", CITIES_QUERY) in server.requests


def test_basic_auth_to_a_pyarrow_server(query, py_secured):
    server, uri = py_secured
    assert query("SELECT count(*) AS n FROM arrow_flight('pyauth', 'cities')").to_pylist() == [{"n": 7}]
    table = query(f"SELECT count(*) AS n FROM arrow_flight('{uri}', 'cities', "
                  f"'{PY_USER}', '{PY_PASSWORD}')")
    assert table.to_pylist() == [{"n": 7}]

    missing = error_of(query, f"SELECT * FROM arrow_flight('{uri}', 'cities')")
    assert f"arrow_flight: {uri}: GetSchema for dataset 'cities' failed" in missing
    assert "credentials required" in missing


def test_tls_with_a_configured_certificate(query, py_tls):
    server, uri = py_tls
    assert uri.startswith("grpc+tls://")
    table = query(f"SELECT * FROM arrow_flight('pytls', '{CITIES_QUERY}') ORDER BY city")
    assert table.column("city").to_pylist() == ["Kyiv", "Lima", "Pune", "Quito"]
    table = query("SELECT count(*) AS n FROM arrow_flight('pytls_insecure', 'cities')")
    assert table.to_pylist() == [{"n": 7}]


def test_tls_with_an_untrusted_certificate_fails(query, py_tls):
    server, uri = py_tls
    # System roots do not trust the self-signed certificate.
    for sql in ["SELECT * FROM arrow_flight('pytls_untrusted', 'cities')",
                f"SELECT * FROM arrow_flight('{uri}', 'cities', '{PY_USER}', '{PY_PASSWORD}')"]:
        message = error_of(query, sql)
        assert f"{uri}: authentication as '{PY_USER}' failed" in message
        assert "certificate verify failed" in message
        assert PY_PASSWORD not in error_proper(message)


# ---------------------------------------------------------------------------------------------
# In SQL statements

def test_join_with_a_local_table(query, py_open):
    _, uri = py_open
    query("CREATE OR REPLACE TABLE visits AS SELECT * FROM (VALUES ('Oslo', 3), ('Lima', 1), "
          "('Paris', 9)) v(city, times)")
    table = query(f"SELECT v.city, v.times, c.population FROM visits v "
                  f"JOIN arrow_flight('{uri}', 'cities') c ON c.city = v.city ORDER BY v.city")
    assert table.to_pylist() == [
        {"city": "Lima", "times": 1, "population": 10_000_000},
        {"city": "Oslo", "times": 3, "population": 709_000},
    ]


def test_create_table_as_and_insert_into_select(query, py_open):
    _, uri = py_open
    query("CREATE OR REPLACE TABLE copied AS SELECT * FROM arrow_flight('warehouse', 'orders') "
          "WHERE id < 100")
    query(f"INSERT INTO copied SELECT 100000 + population // 1000, city, area "
          f"FROM arrow_flight('{uri}', 'cities') WHERE city IS NOT NULL")
    table = query("SELECT count(*) AS n, count(DISTINCT customer) AS customers FROM copied")
    assert table.to_pylist() == [{"n": 106, "customers": 11}]
    schema = query("SELECT * FROM copied LIMIT 0").schema
    assert schema.names == ["id", "customer", "amount"]


# ---------------------------------------------------------------------------------------------
# Errors

def test_unreachable_service_and_unknown_names(query):
    message = error_of(query, "SELECT * FROM arrow_flight('grpc://127.0.0.1:1', 'cities')")
    assert "arrow_flight: grpc://127.0.0.1:1: " in message

    message = error_of(query, "SELECT * FROM arrow_flight('nowhere', 'cities')")
    assert "unknown Flight connection 'nowhere'" in message
    assert "warehouse" in message


def test_missing_dataset_on_a_pyarrow_server(query, py_open):
    _, uri = py_open
    message = error_of(query, f"SELECT * FROM arrow_flight('{uri}', 'atlantis')")
    assert f"{uri}: GetSchema for dataset 'atlantis' failed" in message
    assert "no dataset named 'atlantis'" in message


def test_the_local_quiver_log_has_no_remote_passwords(local, query):
    query("SELECT count(*) FROM arrow_flight('warehouse', 'orders')")
    log = local.log()
    assert "flight_connections=[warehouse=" in log
    for secret in (REMOTE_PASSWORD, PY_PASSWORD):
        assert secret not in log
