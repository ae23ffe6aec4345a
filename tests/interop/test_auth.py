"""Authentication as clients see it: Basic -> Bearer tokens on every call, token expiry,
error texts, anonymous access rules, and no passwords in logs."""
import base64
import time

import pyarrow.flight as flight
import pytest

from conftest import QuiverServer, assert_still_serving

USERS = """\
users:
  - name: alice
    password: "s3cret-Pa55"
  - name: bob
    password_sha256: "{bob_digest}"
default_session_timeout: 2
"""
BOB_PASSWORD = "hunter2"
BOB_DIGEST = "f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7"  # sha256("hunter2")


@pytest.fixture
def secured(start_server):
    return start_server(USERS.format(bob_digest=BOB_DIGEST))


def query_with(client, headers, query=b"SELECT 1 AS one"):
    options = flight.FlightCallOptions(headers=headers)
    return client.do_get(flight.Ticket(query), options).read_all()


def test_basic_credentials_return_a_bearer_token(secured):
    client = secured.client()
    name, value = client.authenticate_basic_token("alice", "s3cret-Pa55")
    assert name == b"authorization" and value.startswith(b"Bearer ")
    assert query_with(client, [(name, value)]).column("one").to_pylist() == [1]

    name, value = client.authenticate_basic_token("bob", BOB_PASSWORD)
    assert query_with(client, [(name, value)]).num_rows == 1


def test_basic_credentials_work_on_any_call_and_unpadded_base64_is_accepted(secured):
    client = secured.client()
    encoded = base64.b64encode(b"alice:s3cret-Pa55").decode()
    assert encoded.endswith("=")
    for credentials in (encoded, encoded.rstrip("=")):
        table = query_with(client, [(b"authorization", f"Basic {credentials}".encode())])
        assert table.num_rows == 1
    # The scheme is matched case-insensitively.
    assert query_with(client, [(b"authorization", f"basic {encoded}".encode())]).num_rows == 1


@pytest.mark.parametrize(
    "header, message",
    [
        (b"Basic " + base64.b64encode(b"alice:wrong"), "alice: Authentication failed: password is incorrect"),
        (b"Basic " + base64.b64encode(b"mallory:s3cret-Pa55"), "mallory: Authentication failed"),
        (b"Basic !!not-base64!!", "Cannot decode the Base64-encoded credentials"),
        (b"Basic " + base64.b64encode(b"no-colon-here"), "Malformed credentials in the 'authorization' header"),
        (b"Digest username=alice", "Unsupported 'authorization' header"),
        (b"Bearer 3f0c0000-0000-4000-8000-000000000000", "Bearer token expired or not authenticated"),
    ],
)
def test_bad_credentials_are_unauthenticated(secured, header, message):
    client = secured.client()
    with pytest.raises(flight.FlightUnauthenticatedError, match=message):
        query_with(client, [(b"authorization", header)])
    with pytest.raises(flight.FlightUnauthenticatedError, match=message):
        client.get_flight_info(flight.FlightDescriptor.for_command("SELECT 1"),
                               flight.FlightCallOptions(headers=[(b"authorization", header)]))


def test_handshake_with_wrong_password_fails(secured):
    client = secured.client()
    with pytest.raises(flight.FlightUnauthenticatedError, match="Authentication failed"):
        client.authenticate_basic_token("alice", "nope")


def test_no_credentials_means_user_default_which_is_not_configured(secured):
    client = secured.client()
    with pytest.raises(flight.FlightUnauthenticatedError, match="default: Authentication failed"):
        query_with(client, [])
    with pytest.raises(flight.FlightUnauthenticatedError):
        list(client.list_flights())


def test_bearer_tokens_slide_and_expire(secured):
    client = secured.client()
    token = client.authenticate_basic_token("alice", "s3cret-Pa55")
    # default_session_timeout is 2 s: each use refreshes the token.
    for _ in range(3):
        assert query_with(client, [token]).num_rows == 1
        time.sleep(1.2)
    time.sleep(1.5)  # now idle for 2.7 s
    with pytest.raises(flight.FlightUnauthenticatedError, match="Bearer token expired or not authenticated"):
        query_with(client, [token])


def test_passwords_never_reach_the_log(secured):
    client = secured.client()
    client.authenticate_basic_token("alice", "s3cret-Pa55")
    with pytest.raises(flight.FlightUnauthenticatedError):
        client.authenticate_basic_token("alice", "typo-s3cret")
    log = secured.log()
    assert "authentication failed for user 'alice'" in log
    assert "s3cret" not in log and BOB_PASSWORD not in log and BOB_DIGEST not in log


def test_anonymous_server_accepts_default_with_empty_password(server):
    client = server.client()
    token = client.authenticate_basic_token("default", "")
    assert query_with(client, [token]).num_rows == 1
    assert query_with(client, []).num_rows == 1  # no header = user default
    with pytest.raises(flight.FlightUnauthenticatedError):
        client.authenticate_basic_token("default", "guess")
    assert_still_serving(server)


def test_anonymous_server_refuses_a_public_host(tmp_path):
    with pytest.raises(RuntimeError, match="refusing to serve without users on non-loopback host"):
        QuiverServer(tmp_path, extra_args=["--host", "0.0.0.0"])
