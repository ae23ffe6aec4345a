"""Hand-made protobuf bytes for Flight messages that pyarrow cannot build or send itself."""


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_bytes(number: int, payload: bytes) -> bytes:
    """A length-delimited field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def field_varint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def read_varint_field(data: bytes, number: int) -> int:
    """The value of a varint field in a flat message (0 when absent)."""
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        if key & 7 == 0:
            value, pos = _read_varint(data, pos)
            if key >> 3 == number:
                return value
        elif key & 7 == 2:
            length, pos = _read_varint(data, pos)
            pos += length
        else:
            raise ValueError("unsupported wire type")
    return 0


def _read_varint(data: bytes, pos: int):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def any_message(type_name: str, value: bytes = b"") -> bytes:
    """google.protobuf.Any{type_url, value}."""
    return field_bytes(1, f"type.googleapis.com/{type_name}".encode()) + field_bytes(2, value)


# arrow.flight.protocol messages used by the tests (field numbers from Flight.proto).
def cancel_flight_info_request(serialized_info: bytes) -> bytes:
    return field_bytes(1, serialized_info)


def renew_flight_endpoint_request(serialized_endpoint: bytes) -> bytes:
    return field_bytes(1, serialized_endpoint)


def flight_data(descriptor: bytes = b"", header: bytes = b"", body: bytes = b"") -> bytes:
    """FlightData{flight_descriptor = 1, data_header = 2, data_body = 1000}."""
    out = b""
    if descriptor:
        out += field_bytes(1, descriptor)
    if header:
        out += field_bytes(2, header)
    if body:
        out += field_bytes(1000, body)
    return out


def path_descriptor(*parts: str) -> bytes:
    """FlightDescriptor{type = PATH (1), path = 3}."""
    return field_varint(1, 1) + b"".join(field_bytes(3, p.encode()) for p in parts)


# arrow.flight.protocol.sql messages (field numbers from the Flight SQL specification).
SQL = "arrow.flight.protocol.sql."


def statement_query(query: str, transaction_id: bytes = b"") -> bytes:
    body = field_bytes(1, query.encode())
    if transaction_id:
        body += field_bytes(2, transaction_id)
    return any_message(SQL + "CommandStatementQuery", body)


def statement_update(query: str) -> bytes:
    return any_message(SQL + "CommandStatementUpdate", field_bytes(1, query.encode()))


def get_sql_info(*ids: int) -> bytes:
    return any_message(SQL + "CommandGetSqlInfo", b"".join(field_varint(1, i) for i in ids))


def command(name: str, body: bytes = b"") -> bytes:
    return any_message(SQL + name, body)


def prepared_query(handle: bytes) -> bytes:
    return any_message(SQL + "CommandPreparedStatementQuery", field_bytes(1, handle))


def create_prepared_request(query: str, wrapped: bool = True) -> bytes:
    body = field_bytes(1, query.encode())
    return any_message(SQL + "ActionCreatePreparedStatementRequest", body) if wrapped else body


def close_prepared_request(handle: bytes, wrapped: bool = True) -> bytes:
    body = field_bytes(1, handle)
    return any_message(SQL + "ActionClosePreparedStatementRequest", body) if wrapped else body


def fields(data: bytes) -> dict:
    """Length-delimited and varint fields of a flat message: {number: value} (last one wins)."""
    out = {}
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        if key & 7 == 0:
            out[key >> 3], pos = _read_varint(data, pos)
        elif key & 7 == 2:
            length, pos = _read_varint(data, pos)
            out[key >> 3] = data[pos:pos + length]
            pos += length
        else:
            raise ValueError("unsupported wire type")
    return out


def unpack_any(data: bytes) -> tuple:
    """(type name, value bytes) of a google.protobuf.Any."""
    parts = fields(data)
    return parts[1].decode().rsplit("/", 1)[-1], parts.get(2, b"")


# Flight session options (arrow.flight.protocol, field numbers from Flight.proto).
def session_option_value(value) -> bytes:
    if isinstance(value, bool):
        return field_varint(2, int(value))
    if isinstance(value, int):
        return varint(3 << 3 | 1) + value.to_bytes(8, "little", signed=True)
    if isinstance(value, float):
        import struct
        return varint(4 << 3 | 1) + struct.pack("<d", value)
    if isinstance(value, list):
        return field_bytes(5, b"".join(field_bytes(1, v.encode()) for v in value))
    if value is None:
        return b""
    return field_bytes(1, value.encode())


def set_session_options_request(options: dict) -> bytes:
    return b"".join(
        field_bytes(1, field_bytes(1, name.encode()) + field_bytes(2, session_option_value(value)))
        for name, value in options.items())


def map_entries(data: bytes) -> dict:
    """{key: value bytes} of the map field 1 of a message."""
    out = {}
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        length, pos = _read_varint(data, pos)
        entry = fields(data[pos:pos + length])
        pos += length
        out[entry[1].decode()] = entry.get(2, b"")
    return out


def all_fields(data: bytes) -> dict:
    """Every field of a message: {number: [values]}; doubles (wire type 1) decoded."""
    import struct
    out = {}
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        wire_type = key & 7
        if wire_type == 0:
            value, pos = _read_varint(data, pos)
        elif wire_type == 1:
            value = struct.unpack("<d", data[pos:pos + 8])[0]
            pos += 8
        elif wire_type == 2:
            length, pos = _read_varint(data, pos)
            value = data[pos:pos + length]
            pos += length
        elif wire_type == 5:
            value = data[pos:pos + 4]
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire_type}")
        out.setdefault(key >> 3, []).append(value)
    return out
