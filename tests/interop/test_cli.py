"""`quiver serve` configuration: defaults < YAML file < QUIVER_* environment < flags, and
start-up errors that name what is wrong."""
import datetime
import signal
import subprocess

import pyarrow.flight as flight
import pytest

from conftest import BINARY, QuiverServer


def ticket_lifetime(server):
    client = server.client()
    before = datetime.datetime.now(datetime.timezone.utc)
    info = client.get_flight_info(flight.FlightDescriptor.for_command("SELECT 1"))
    client.close()
    return (info.endpoints[0].expiration_time.as_py() - before).total_seconds()


def test_yaml_then_environment_then_flags(tmp_path):
    (tmp_path / "a").mkdir()
    server = QuiverServer(tmp_path / "a", "tickets_lifetime_seconds: 100\n")
    try:
        assert 99.9 < ticket_lifetime(server) < 101
    finally:
        assert server.stop() == 0

    (tmp_path / "b").mkdir()
    server = QuiverServer(tmp_path / "b", "tickets_lifetime_seconds: 100\n",
                          env={"QUIVER_TICKETS_LIFETIME_SECONDS": "200"})
    try:
        assert 199.9 < ticket_lifetime(server) < 201
    finally:
        assert server.stop() == 0

    (tmp_path / "c").mkdir()
    server = QuiverServer(tmp_path / "c", "tickets_lifetime_seconds: 100\n",
                          extra_args=["--tickets-lifetime-seconds", "300"],
                          env={"QUIVER_TICKETS_LIFETIME_SECONDS": "200"})
    try:
        assert 299.9 < ticket_lifetime(server) < 301
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize(
    "config, message",
    [
        ("colour: blue\n", "unknown config key 'colour'"),
        ("port: many\n", "config key 'port' has an invalid value 'many'"),
        ("users:\n  - name: x\n", "needs 'password' or 'password_sha256'"),
        ("users:\n  - name: x\n    password: y\n    role: admin\n", "unknown config key 'users[0].role'"),
        ("port: [1\n", "cannot parse YAML"),
    ],
)
def test_bad_configuration_fails_at_start(tmp_path, config, message):
    path = tmp_path / "bad.yaml"
    path.write_text(config)
    result = subprocess.run([BINARY, "serve", "--config", str(path), "--port", "0"],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def test_sigint_shuts_down_cleanly(tmp_path):
    server = QuiverServer(tmp_path)
    client = server.client()
    client.do_get(flight.Ticket(b"CREATE TABLE t AS SELECT 1 AS x")).read_all()
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=15) == 0
    assert "received signal 2, shutting down" in server.log()
    assert "checkpointed" in server.log()
    assert not (tmp_path / "test.duckdb.wal").exists()
