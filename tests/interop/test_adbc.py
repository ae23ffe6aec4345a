"""The ADBC Flight SQL driver (Go, through adbc_driver_manager) connecting and authenticating."""
import adbc_driver_flightsql.dbapi as adbc
import adbc_driver_manager
import pytest

from test_auth import USERS, BOB_DIGEST


@pytest.fixture
def secured(start_server):
    return start_server(USERS.format(bob_digest=BOB_DIGEST))


def test_adbc_connects_with_username_and_password(secured):
    with adbc.connect(secured.uri, db_kwargs={"username": "alice", "password": "s3cret-Pa55"}) as conn:
        info = conn.adbc_get_info()
        assert info["driver_name"].startswith("ADBC Flight SQL Driver")


def test_adbc_reports_wrong_password(secured):
    with pytest.raises(adbc_driver_manager.Error, match="Authentication failed"):
        with adbc.connect(secured.uri, db_kwargs={"username": "alice", "password": "wrong"}) as conn:
            conn.cursor().execute("SELECT 1")


def test_adbc_connects_anonymously(server):
    with adbc.connect(server.uri, db_kwargs={"username": "default", "password": ""}) as conn:
        assert conn.adbc_get_info()["driver_name"].startswith("ADBC Flight SQL Driver")
