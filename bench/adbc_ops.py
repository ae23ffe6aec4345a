"""The client calls of the Flight SQL cases, through the ADBC Flight SQL driver
(adbc_driver_flightsql, the same for every server)."""
import warnings

import adbc_driver_flightsql.dbapi as adbc
import pyarrow as pa

from flight_ops import CALL_TIMEOUT_S


def connect(uri: str, authenticate: bool):
    """A DB-API connection in autocommit mode. Quiver: user `default` (Basic, then the bearer
    token, as the driver does); the arrow-go SQLite example server has no authentication."""
    kwargs = {f"adbc.flight.sql.rpc.timeout_seconds.{kind}": str(CALL_TIMEOUT_S)
              for kind in ("query", "fetch", "update")}
    if authenticate:
        kwargs.update(username="default", password="")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Cannot disable autocommit": irrelevant here
        return adbc.connect(uri, db_kwargs=kwargs, autocommit=True)


def query(cursor, sql: str) -> pa.Table:
    """What a DB-API user writes: execute, then fetch every endpoint into one table. (The
    DB-API prepares a statement the first time a cursor sees a query text.)"""
    cursor.execute(sql)
    return cursor.fetch_arrow_table()


def ad_hoc(cursor, sql: str) -> pa.Table:
    """One ad-hoc statement without preparing it: Flight SQL CommandStatementQuery, i.e.
    GetFlightInfo + DoGet, through the driver's statement API."""
    statement = cursor.adbc_statement
    statement.set_sql_query(sql)
    handle, _ = statement.execute_query()
    return pa.RecordBatchReader._import_from_c(handle.address).read_all()


def update(cursor, sql: str) -> None:
    """A statement without a result (DDL/DML), not prepared: CommandStatementUpdate."""
    statement = cursor.adbc_statement
    statement.set_sql_query(sql)
    statement.execute_update()
