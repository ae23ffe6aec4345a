"""The `quiver` command-line client (sql, get, put, tables, schema) against a real Quiver server
with a configured user: outputs read back with pyarrow's own readers, uploads read back with
pyarrow.flight, errors, and the interactive prompt driven through a pseudo-terminal."""
import base64
import datetime
import json
import os
import pty
import re
import select
import socket
import subprocess
import time

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.flight as flight
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from conftest import BINARY, QuiverServer

USER = "alice"
PASSWORD = "s3cret-Pa55"
CONFIG = f"""\
users:
  - name: {USER}
    password: "{PASSWORD}"
"""
SEED = """
CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR, score DOUBLE, born DATE);
INSERT INTO people VALUES
  (1, 'Ada', 9.5, DATE '1815-12-10'),
  (2, 'Quote "q", comma', NULL, DATE '1970-01-01'),
  (3, 'multi
line', -1.25, NULL),
  (4, NULL, 0.1, DATE '2024-02-29');
"""
PEOPLE_QUERY = "SELECT * FROM people ORDER BY id"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("cli_server")
    server = QuiverServer(workdir, CONFIG)
    client = server.client()
    options = flight.FlightCallOptions(headers=[client.authenticate_basic_token(USER, PASSWORD)])
    client.get_flight_info(flight.FlightDescriptor.for_command(SEED), options)
    client.close()
    yield server
    assert server.stop() == 0, server.log()


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    path.mkdir()
    return path


def env_for(home, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUIVER_")}
    env["HOME"] = str(home)
    env.update(extra)
    return env


def run(server, home, *args, input=None, auth=True, timeout=20, **env):
    """Runs `quiver <args...> --addr <server>` (with alice's credentials unless auth=False)."""
    command = [BINARY, *args, "--addr", server.uri if server else "grpc://127.0.0.1:1"]
    if auth:
        command += ["--user", USER, "--password", PASSWORD]
    return subprocess.run(command, input=input, capture_output=True, timeout=timeout,
                          env=env_for(home, **env))


def ok(result):
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def fetch(server, query):
    """`query`'s result as pyarrow.flight reads it: the independent reference."""
    client = server.client()
    options = flight.FlightCallOptions(headers=[client.authenticate_basic_token(USER, PASSWORD)])
    info = client.get_flight_info(flight.FlightDescriptor.for_command(query), options)
    table = pa.concat_tables(client.do_get(e.ticket, options).read_all() for e in info.endpoints)
    client.close()
    return table


def strip_metadata(table):
    return table.replace_schema_metadata(None).cast(
        pa.schema([f.remove_metadata() for f in table.schema]))


def test_tables_and_schema_with_authentication(server, home):
    listing = ok(run(server, home, "tables", "--format", "csv"))
    rows = [line.split(",") for line in listing.splitlines()]
    assert rows[0] == ["catalog_name", "db_schema_name", "table_name", "table_type"]
    assert ["main", "people", "TABLE"] == rows[1 + [r[2] for r in rows[1:]].index("people")][1:]

    assert "people" not in ok(run(server, home, "tables", "--table-pattern", "nobody%", "-f", "csv"))
    assert "people" in ok(run(server, home, "tables", "--schema-pattern", "ma_n", "-f", "csv"))

    description = ok(run(server, home, "schema", "people", "--format", "csv")).splitlines()
    assert description == [
        "column_name,type,arrow_type,nullable,primary_key",
        "id,INTEGER,int32,false,true",
        "name,VARCHAR,string,true,false",
        "score,DOUBLE,double,true,false",
        "born,DATE,date32[day],true,false",
    ]
    # Qualified names, JSON lines, and an unknown table.
    jsonl = ok(run(server, home, "schema", "main.PEOPLE", "--format", "jsonl"))
    assert json.loads(jsonl.splitlines()[0]) == {
        "column_name": "id", "type": "INTEGER", "arrow_type": "int32", "nullable": False,
        "primary_key": True}
    missing = run(server, home, "schema", "nobody")
    assert missing.returncode != 0
    assert "no table named 'nobody'" in missing.stderr.decode()


def test_query_outputs_match_pyarrow_readers(server, home, tmp_path):
    expected = strip_metadata(fetch(server, PEOPLE_QUERY))
    assert expected.num_rows == 4

    for name in ("out.arrow", "out.parquet"):
        ok(run(server, home, "sql", PEOPLE_QUERY, "--output", str(tmp_path / name)))
    with ipc.open_stream(tmp_path / "out.arrow") as reader:
        assert strip_metadata(reader.read_all()).equals(expected)
    assert strip_metadata(pq.read_table(tmp_path / "out.parquet")).equals(expected)

    # CSV and JSON lines also go to standard output when it is not a terminal.
    csv_text = run(server, home, "sql", PEOPLE_QUERY).stdout
    (tmp_path / "stdout.csv").write_bytes(csv_text)
    ok(run(server, home, "sql", PEOPLE_QUERY, "-o", str(tmp_path / "out.csv")))
    assert (tmp_path / "out.csv").read_bytes() == csv_text
    options = pa_csv.ConvertOptions(column_types=expected.schema, strings_can_be_null=True,
                                    quoted_strings_can_be_null=False)
    assert pa_csv.read_csv(tmp_path / "out.csv", convert_options=options).equals(expected)

    lines = ok(run(server, home, "sql", PEOPLE_QUERY, "--format", "jsonl")).splitlines()
    want = [{**row, "born": row["born"].isoformat() if row["born"] else None}
            for row in expected.to_pylist()]
    assert [json.loads(line) for line in lines] == want

    # Arrow IPC to a pipe, and nested values as JSON.
    arrow_bytes = run(server, home, "sql", "SELECT [1, 2] AS l, {'k': 'v'} AS s", "-f", "arrow")
    assert arrow_bytes.returncode == 0, arrow_bytes.stderr.decode()
    table = ipc.open_stream(arrow_bytes.stdout).read_all()
    assert table.to_pylist() == [{"l": [1, 2], "s": {"k": "v"}}]
    nested = ok(run(server, home, "sql", "SELECT [1, 2] AS l, {'k': 'v'} AS s", "-f", "jsonl"))
    assert json.loads(nested) == {"l": [1, 2], "s": {"k": "v"}}


def test_table_format_and_update_counts(server, home):
    table = ok(run(server, home, "sql", "SELECT 1 AS n, 'x' AS word", "--format", "table"))
    assert table == " n | word\n---+------\n 1 | x\n(1 row)\n"

    script = ("CREATE TABLE counted (a INTEGER); INSERT INTO counted VALUES (1), (2), (3);"
              "SELECT sum(a) AS total FROM counted; DROP TABLE counted")
    assert ok(run(server, home, "sql", script)).splitlines() == [
        "0 rows affected", "3 rows affected", "total", "6", "0 rows affected"]


def test_script_on_standard_input(server, home):
    script = b"""-- a comment; with a semicolon
CREATE TABLE scripted (a INTEGER, b VARCHAR);
INSERT INTO scripted VALUES (1, 'one;'),
                            (2, 'two');
\\d scripted
SELECT a, b
  FROM scripted ORDER BY a;
SELECT count(*) AS n FROM scripted"""
    out = ok(run(server, home, "sql", input=script)).splitlines()
    assert out[:2] == ["0 rows affected", "2 rows affected"]
    assert out[2] == "column_name,type,arrow_type,nullable,primary_key"
    assert out[5:] == ["a,b", "1,one;", "2,two", "n", "2"]

    # The first error stops the script with a non-zero status.
    failed = run(server, home, "sql", input=b"SELECT 1 AS first; SELEC oops; SELECT 2 AS never;")
    assert failed.returncode != 0
    assert failed.stdout.decode() == "first\n1\n"
    assert "syntax error" in failed.stderr.decode()


def test_put_uploads_csv_parquet_and_arrow_files(server, home, tmp_path):
    data = pa.table({
        "id": pa.array([1, 2, 3], pa.int64()),
        "name": ["a", None, "c, \"quoted\""],
        "value": [1.5, 2.25, None],
        "day": pa.array([datetime.date(2020, 1, 1), None, datetime.date(1999, 12, 31)]),
    })
    pa_csv.write_csv(data, tmp_path / "data.csv")
    pq.write_table(data, tmp_path / "data.parquet")
    with ipc.new_stream(tmp_path / "data.arrows", data.schema) as writer:
        writer.write_table(data, max_chunksize=2)
    with ipc.new_file(tmp_path / "data.arrow", data.schema) as writer:
        writer.write_table(data)

    for index, name in enumerate(["data.csv", "data.parquet", "data.arrows", "data.arrow"]):
        table = f"up_{index}"
        out = ok(run(server, home, "put", "--table", table, str(tmp_path / name)))
        assert out == f"3 rows written to {table}\n"
        got = strip_metadata(fetch(server, f"SELECT * FROM {table} ORDER BY id"))
        assert got.to_pylist() == data.to_pylist(), name

    # Default mode appends to an existing table; replace and the failing modes.
    ok(run(server, home, "put", "-t", "up_1", str(tmp_path / "data.parquet")))
    assert fetch(server, "SELECT count(*) AS n FROM up_1").column("n").to_pylist() == [6]
    ok(run(server, home, "put", "-t", "up_1", "--mode", "replace", str(tmp_path / "data.parquet")))
    assert fetch(server, "SELECT count(*) AS n FROM up_1").column("n").to_pylist() == [3]
    exists = run(server, home, "put", "-t", "up_1", "--mode", "create", str(tmp_path / "data.csv"))
    assert exists.returncode != 0 and exists.stderr.decode().startswith("error: ")
    missing = run(server, home, "put", "-t", "nope", "--mode", "append", str(tmp_path / "data.csv"))
    assert missing.returncode != 0 and "nope" in missing.stderr.decode()
    # The format can be forced, and a file that is not what it claims is an error.
    (tmp_path / "data.bin").write_bytes((tmp_path / "data.parquet").read_bytes())
    ok(run(server, home, "put", "-t", "up_4", "--format", "parquet", str(tmp_path / "data.bin")))
    bad = run(server, home, "put", "-t", "up_5", str(tmp_path / "data.csv"), "--format", "parquet")
    assert bad.returncode != 0 and "cannot read" in bad.stderr.decode()


def test_get_downloads_results(server, home, tmp_path):
    query = "SELECT i, i * 2 AS twice FROM range(100000) t(i)"
    out = ok(run(server, home, "get", query, "--output", str(tmp_path / "big.parquet")))
    assert out == f"100000 rows written to {tmp_path / 'big.parquet'}\n"
    table = pq.read_table(tmp_path / "big.parquet")
    assert table.num_rows == 100000 and table.column("twice")[99999].as_py() == 199998

    ok(run(server, home, "get", PEOPLE_QUERY, "-o", str(tmp_path / "people.jsonl")))
    assert len((tmp_path / "people.jsonl").read_text().splitlines()) == 4
    unknown = run(server, home, "get", PEOPLE_QUERY, "-o", str(tmp_path / "people.xlsx"))
    assert unknown.returncode != 0 and "--format" in unknown.stderr.decode()


def test_errors_are_clear_and_fail(server, home, tmp_path):
    bad_sql = run(server, home, "sql", "SELEC 1", "-o", str(tmp_path / "never.csv"))
    assert bad_sql.returncode != 0
    assert "Parser Error" in bad_sql.stderr.decode() and bad_sql.stdout == b""
    assert not (tmp_path / "never.csv").exists()

    missing = run(server, home, "sql", "SELECT * FROM no_such_table")
    assert missing.returncode != 0 and "no_such_table" in missing.stderr.decode()

    wrong = subprocess.run([BINARY, "sql", "SELECT 1", "--addr", server.uri, "--user", USER],
                           capture_output=True, timeout=20,
                           env=env_for(home, QUIVER_PASSWORD="wrong-password"))
    assert wrong.returncode != 0
    message = wrong.stderr.decode()
    assert f"authentication as '{USER}' failed" in message and "password is incorrect" in message
    assert "wrong-password" not in message

    anonymous = run(server, home, "sql", "SELECT 1", auth=False)
    assert anonymous.returncode != 0 and "default" in anonymous.stderr.decode()

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for extra in ([], ["--user", USER, "--password", PASSWORD]):
        unreachable = subprocess.run(
            [BINARY, "sql", "SELECT 1", "--addr", f"127.0.0.1:{port}", *extra],
            capture_output=True, timeout=20, env=env_for(home))
        assert unreachable.returncode != 0
        assert f"grpc://127.0.0.1:{port}: cannot connect" in unreachable.stderr.decode()

    bad_header = run(server, home, "sql", "SELECT 1", "-H", "no-equals-sign")
    assert bad_header.returncode != 0 and "key=value" in bad_header.stderr.decode()
    # Headers are repeatable and do not swallow the query.
    assert ok(run(server, home, "sql", "-H", "x-one=1", "-H", "x-two=2", "SELECT 7 AS seven")) == \
        "seven\n7\n"


# --- a second, independent server: pyarrow.flight with just enough Flight SQL ------------------

def protobuf_fields(data):
    """{field number: [value, ...]} of a protobuf message (varints and length-delimited only)."""
    fields, i = {}, 0

    def varint():
        nonlocal i
        value, shift = 0, 0
        while True:
            byte = data[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while i < len(data):
        key = varint()
        if key & 7 == 0:
            value = varint()
        else:
            length = varint()
            value, i = data[i:i + length], i + length
        fields.setdefault(key >> 3, []).append(value)
    return fields


def flight_sql_command(descriptor):
    """(message name, its fields) of an Any-wrapped Flight SQL command."""
    any_fields = protobuf_fields(descriptor.command)
    name = any_fields[1][0].decode().rsplit(".", 1)[-1]
    return name, protobuf_fields(any_fields.get(2, [b""])[0])


class HeaderRecorder(flight.ServerMiddlewareFactory):
    """Records each call's headers; Basic credentials get a bearer token, other calls need it."""

    def __init__(self):
        self.calls = []

    def start_call(self, info, headers):
        self.calls.append((info.method, headers))
        authorization = headers.get("authorization", [""])[0]
        if authorization.startswith("Basic "):
            if authorization != "Basic " + base64.b64encode(b"carol:pw-carol").decode():
                raise flight.FlightUnauthenticatedError("carol's password is wrong")
            return BearerSender()
        if authorization != "Bearer token-for-carol":
            raise flight.FlightUnauthenticatedError("no bearer token")
        return None


class BearerSender(flight.ServerMiddleware):
    def sending_headers(self):
        return {"authorization": "Bearer token-for-carol"}


class NoHandshake(flight.ServerAuthHandler):
    def authenticate(self, outgoing, incoming):
        pass

    def is_valid(self, token):
        return ""


class SqlishServer(flight.FlightServerBase):
    """Answers CommandStatementQuery with two endpoints (the second one, when `other` is given,
    served elsewhere) and CommandStatementUpdate with a row count of 7."""

    SCHEMA = pa.schema([("n", pa.int64()), ("part", pa.string())])

    def __init__(self, other=None):
        self.recorder = HeaderRecorder()
        super().__init__("grpc://127.0.0.1:0", auth_handler=NoHandshake(),
                         middleware={"recorder": self.recorder})
        self.other = other
        self.commands = []

    def get_flight_info(self, context, descriptor):
        name, fields = flight_sql_command(descriptor)
        self.commands.append((name, fields[1][0].decode()))
        second = [f"grpc://127.0.0.1:{self.other.port}"] if self.other else []
        endpoints = [flight.FlightEndpoint(b"first", []), flight.FlightEndpoint(b"second", second)]
        return flight.FlightInfo(self.SCHEMA, descriptor, endpoints, 3, -1)

    def do_get(self, context, ticket):
        part = ticket.ticket.decode()
        rows = {"first": [1, 2], "second": [3]}[part]
        return flight.RecordBatchStream(
            pa.table({"n": rows, "part": [part] * len(rows)}, schema=self.SCHEMA))

    def do_put(self, context, descriptor, reader, writer):
        name, fields = flight_sql_command(descriptor)
        self.commands.append((name, fields[1][0].decode()))
        reader.read_all()
        writer.write(pa.py_buffer(bytes([0x08, 7])))  # DoPutUpdateResult{record_count: 7}


def test_against_a_pyarrow_flight_sql_server(home):
    with SqlishServer() as other, SqlishServer(other=other) as main:
        address = f"127.0.0.1:{main.port}"
        common = ["--addr", address, "--user", "carol", "--password", "pw-carol",
                  "-H", "x-session-id=s-42"]
        out = subprocess.run([BINARY, "sql", "SELECT whatever", *common], capture_output=True,
                             timeout=20, env=env_for(home))
        assert ok(out) == "n,part\n1,first\n2,first\n3,second\n"
        assert main.commands == [("CommandStatementQuery", "SELECT whatever")]
        # The second endpoint was read where it said, with the same headers.
        assert [method for method, _ in other.recorder.calls] == [flight.FlightMethod.DO_GET]
        for server in (main, other):
            for method, headers in server.recorder.calls:
                assert headers.get("x-session-id") == ["s-42"], method
                if method != flight.FlightMethod.HANDSHAKE:
                    assert headers.get("authorization") == ["Bearer token-for-carol"], method

        update = subprocess.run([BINARY, "sql", "DELETE FROM x", *common], capture_output=True,
                                timeout=20, env=env_for(home))
        assert ok(update) == "7 rows affected\n"
        assert main.commands[-1] == ("CommandStatementUpdate", "DELETE FROM x")

        wrong = subprocess.run([BINARY, "sql", "SELECT 1", "--addr", address, "--user", "carol",
                                "--password", "nope"], capture_output=True, timeout=20,
                               env=env_for(home))
        assert wrong.returncode != 0
        assert "authentication as 'carol' failed: carol's password is wrong" in \
            wrong.stderr.decode()


# --- the interactive prompt ----------------------------------------------------------------------

class Terminal:
    """`quiver sql` on a pseudo-terminal."""

    def __init__(self, args, env):
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        start_new_session=True)
        os.close(slave)
        self.output = b""

    def expect(self, pattern, timeout=10.0):
        """Reads until `pattern` (a regex) appears after what earlier calls consumed."""
        regex = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.output)
            if match:
                seen, self.output = self.output[:match.end()], self.output[match.end():]
                return seen.decode(errors="replace")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{pattern!r} not seen in {self.output!r}")
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"{pattern!r} not seen before the end: {self.output!r}")
                self.output += chunk

    def send(self, text):
        os.write(self.master, text.encode())

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        os.close(self.master)


def test_interactive_prompt_on_a_terminal(server, home):
    term = Terminal([BINARY, "sql", "--addr", server.uri, "--user", USER], env_for(home))
    try:
        term.expect(f"Password for {USER}: ")
        term.send(PASSWORD + "\r")
        term.expect(r"\\\? for help")
        term.expect("quiver> ")
        # A statement over two lines, with a continuation prompt.
        term.send("SELECT 40 + 2 AS answer,\r")
        term.expect(r"   \.\.\.> ")
        term.send("  'multi' AS lines;\r")
        table = term.expect(r"\(1 row\)")
        assert re.search(r"answer \| lines\s*\r\n-+\+-+\r\n +42 \| multi", table), table
        term.expect("quiver> ")
        # Up recalls the whole statement; Enter runs it again.
        term.send("\x1b[A")
        term.expect("SELECT 40 \\+ 2 AS answer, 'multi' AS lines;")
        term.send("\r")
        term.expect(r"42 \| multi")
        term.expect("quiver> ")
        term.send("\\d\r")
        assert "people" in term.expect(r"\(\d+ rows?\)")
        term.expect("quiver> ")
        term.send("\\d people\r")
        description = term.expect(r"\(4 rows\)")
        assert re.search(r"id +\| INTEGER", description), description
        term.expect("quiver> ")
        term.send("SELEC nonsense;\r")
        term.expect("ERROR: .*syntax error")
        term.expect("quiver> ")
        term.send("\\nope\r")
        term.expect(r"unknown command '\\nope'")
        term.send("\\q\r")
        assert term.process.wait(timeout=10) == 0
    finally:
        term.close()
    history = (home / ".quiver_history").read_text().splitlines()
    assert "SELECT 40 + 2 AS answer, 'multi' AS lines;" in history
    assert "\\d people" in history


def test_interactive_prompt_ctrl_c_and_ctrl_d(server, home):
    term = Terminal([BINARY, "sql", "--addr", server.uri, "--user", USER],
                    env_for(home, QUIVER_PASSWORD=PASSWORD))
    try:
        term.expect("quiver> ")
        term.send("SELECT 'abandoned'\r")
        term.expect(r"   \.\.\.> ")
        term.send("\x03")  # Ctrl-C drops the unfinished statement
        term.expect("quiver> ")
        term.send("SELECT 'kept' AS k;\r")
        out = term.expect(r"\(1 row\)")
        assert "kept" in out and "abandoned" not in out.split("^C")[-1]
        term.expect("quiver> ")
        term.send("\x04")  # Ctrl-D on an empty line ends the session
        assert term.process.wait(timeout=10) == 0
    finally:
        term.close()
