"""PostgreSQL's frontend side by hand, for what libpq will not do: a GSSENCRequest and then a
startup on the same socket, a StartupMessage one byte at a time, an oversized or half packet, a
CancelRequest with a chosen key; and for reading the SQLSTATE of a refused login (psycopg gives
none for connection errors). Protocol 3.0, simple queries, text results, no TLS."""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, field

PROTOCOL_3_0 = 3 << 16
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102


def startup_packet(
    params: dict[str, str] | list[tuple[str, str]], version: int = PROTOCOL_3_0
) -> bytes:
    """A StartupMessage; a list of pairs may name a parameter twice."""
    pairs = list(params.items()) if isinstance(params, dict) else params
    body = struct.pack("!I", version)
    for name, value in pairs:
        body += name.encode() + b"\0" + value.encode() + b"\0"
    body += b"\0"
    return struct.pack("!I", len(body) + 4) + body


def gssenc_request() -> bytes:
    return struct.pack("!II", 8, GSSENC_REQUEST)


def ssl_request() -> bytes:
    return struct.pack("!II", 8, SSL_REQUEST)


def cancel_request(process_id: int, secret: bytes) -> bytes:
    return struct.pack("!III", 12 + len(secret), CANCEL_REQUEST, process_id) + secret


def fields(body: bytes) -> dict[str, str]:
    """An ErrorResponse's or NoticeResponse's fields by their one-letter codes (C, M, H …)."""
    out = {}
    for f in body.split(b"\0"):
        if f:
            out[chr(f[0])] = f[1:].decode(errors="replace")
    return out


class Closed(Exception):
    """The server closed the connection."""


@dataclass
class Login:
    """How a startup ended: `error` (the ErrorResponse's fields) or logged in."""

    error: dict[str, str] | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    key: tuple[int, bytes] | None = None
    auth_requests: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


class Conn:
    """One client connection speaking the protocol by hand."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def __enter__(self) -> Conn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def recv_exact(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise Closed(f"closed after {len(out)} of {n} bytes")
            out += chunk
        return out

    def read(self) -> tuple[bytes, bytes]:
        """One typed message: (tag, body)."""
        head = self.recv_exact(5)
        (length,) = struct.unpack("!I", head[1:])
        return head[:1], self.recv_exact(length - 4)

    def closed_by_peer(self) -> bool:
        """True once the server has closed its side (EOF or reset); waits up to the timeout."""
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def finish_login(self) -> Login:
        """Reads the server's answers to a startup until ReadyForQuery or an ErrorResponse."""
        result = Login()
        while True:
            tag, body = self.read()
            if tag == b"R":
                (code,) = struct.unpack("!I", body[:4])
                result.auth_requests.append(code)
                if code != 0:
                    result.error = {"C": "client", "M": f"asked for authentication {code}"}
                    return result
            elif tag == b"S":
                name, value, _ = body.split(b"\0")
                result.parameters[name.decode()] = value.decode()
            elif tag == b"K":
                (pid,) = struct.unpack("!I", body[:4])
                result.key = (pid, body[4:])
            elif tag == b"E":
                result.error = fields(body)
                return result
            elif tag == b"Z":
                return result

    def login(self, user: str, database: str, **params: str) -> Login:
        self.send(startup_packet({"user": user, "database": database, **params}))
        return self.finish_login()

    def query(self, sql: str) -> list[list[str | None]]:
        """A simple query; its rows as text. Raises RuntimeError with the error's fields."""
        body = sql.encode() + b"\0"
        self.send(b"Q" + struct.pack("!I", len(body) + 4) + body)
        rows: list[list[str | None]] = []
        error = None
        while True:
            tag, body = self.read()
            if tag == b"D":
                (n,) = struct.unpack("!H", body[:2])
                at, row = 2, []
                for _ in range(n):
                    (size,) = struct.unpack("!i", body[at : at + 4])
                    at += 4
                    if size < 0:
                        row.append(None)
                    else:
                        row.append(body[at : at + size].decode())
                        at += size
                rows.append(row)
            elif tag == b"E":
                error = fields(body)
            elif tag == b"Z":
                if error:
                    raise RuntimeError(error)
                return rows

    def terminate(self) -> None:
        self.send(b"X" + struct.pack("!I", 4))
        self.close()


def refused(port: int, user: str = "iam_user", database: str = "iamdb") -> dict[str, str]:
    """Logs in expecting a refusal; the ErrorResponse's fields."""
    with Conn(port) as c:
        result = c.login(user, database)
        assert result.error is not None, "logged in, but a refusal was expected"
        return result.error
