"""The transport baseline: a minimal pyarrow.flight server, run as its own process.

It answers from memory with the same Arrow wheel Quiver is built against, so the difference
between it and Quiver is what Quiver adds on top of Arrow Flight's own transport:
  * DoGet with ticket `table` (or a GetFlightInfo descriptor naming it) streams the table read at
    start-up from an Arrow IPC file;
  * any other ticket or command is a "SELECT 1"-class statement answered with a constant one-row
    table (the small-query baseline: no SQL parsing, no engine).
It logs the same kind of line as Quiver so the driver finds the port the same way.

Usage: python pyflight_server.py [IPC_FILE]
"""
import sys

import pyarrow as pa
import pyarrow.flight as flight

TABLE_TICKET = b"table"
_CONSTANT = pa.table({"answer": pa.array([1], pa.int32())})


class MemoryFlightServer(flight.FlightServerBase):
    def __init__(self, table):
        super().__init__("grpc://127.0.0.1:0")
        self._table = table

    def _result(self, ticket_or_command: bytes) -> pa.Table:
        if ticket_or_command == TABLE_TICKET and self._table is not None:
            return self._table
        return _CONSTANT

    def get_flight_info(self, context, descriptor):
        key = descriptor.command if descriptor.command is not None else b"/".join(descriptor.path)
        result = self._result(key)
        endpoint = flight.FlightEndpoint(key, [])
        return flight.FlightInfo(result.schema, descriptor, [endpoint], result.num_rows,
                                 result.nbytes)

    def do_get(self, context, ticket):
        return flight.RecordBatchStream(self._result(ticket.ticket))


def main():
    table = None
    if len(sys.argv) > 1:
        # Read the whole file into memory: the baseline serves from RAM, not from a mapping.
        with pa.OSFile(sys.argv[1], "rb") as source:
            table = pa.ipc.open_file(source).read_all()
    server = MemoryFlightServer(table)
    print(f"Arrow Flight server listening on grpc://127.0.0.1:{server.port}", flush=True)
    server.serve()  # returns on SIGTERM/SIGINT (pyarrow installs the signal handlers)


if __name__ == "__main__":
    main()
