"""MySQL's client/server protocol, as far as the MySQL proxy tests read it: packets, the
server's greeting (HandshakeV10), the client's HandshakeResponse41, ERR packets; a raw client
for the handshake; a tap that records what a client sends the proxy; and a fake server (TLS
with iamdb's certificate) that records what the proxy sends upstream.

Nothing here prints a token: the fake server keeps only the token's length and whether it has
the shape of one.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

# Capability flags (MySQL's names; MariaDB's differ only where noted).
CLIENT_LONG_PASSWORD = 1  # MariaDB: CLIENT_MYSQL
CLIENT_FOUND_ROWS = 1 << 1
CLIENT_CONNECT_WITH_DB = 1 << 3
CLIENT_COMPRESS = 1 << 5
CLIENT_LOCAL_FILES = 1 << 7
CLIENT_PROTOCOL_41 = 1 << 9
CLIENT_INTERACTIVE = 1 << 10
CLIENT_SSL = 1 << 11
CLIENT_TRANSACTIONS = 1 << 13
CLIENT_SECURE_CONNECTION = 1 << 15
CLIENT_MULTI_STATEMENTS = 1 << 16
CLIENT_MULTI_RESULTS = 1 << 17
CLIENT_PS_MULTI_RESULTS = 1 << 18
CLIENT_PLUGIN_AUTH = 1 << 19
CLIENT_CONNECT_ATTRS = 1 << 20
CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 1 << 21
CLIENT_SESSION_TRACK = 1 << 23
CLIENT_DEPRECATE_EOF = 1 << 24

#: The flags a client chooses for its session (not the handshake's own business): each one a
#: client sends must reach the server.
SESSION_FLAGS = {
    "CLIENT_FOUND_ROWS": CLIENT_FOUND_ROWS,
    "CLIENT_CONNECT_WITH_DB": CLIENT_CONNECT_WITH_DB,
    "CLIENT_LOCAL_FILES": CLIENT_LOCAL_FILES,
    "CLIENT_INTERACTIVE": CLIENT_INTERACTIVE,
    "CLIENT_TRANSACTIONS": CLIENT_TRANSACTIONS,
    "CLIENT_MULTI_STATEMENTS": CLIENT_MULTI_STATEMENTS,
    "CLIENT_MULTI_RESULTS": CLIENT_MULTI_RESULTS,
    "CLIENT_PS_MULTI_RESULTS": CLIENT_PS_MULTI_RESULTS,
    "CLIENT_CONNECT_ATTRS": CLIENT_CONNECT_ATTRS,
    "CLIENT_SESSION_TRACK": CLIENT_SESSION_TRACK,
    "CLIENT_DEPRECATE_EOF": CLIENT_DEPRECATE_EOF,
}

COM_QUIT = 0x01


def packet(seq: int, payload: bytes) -> bytes:
    return len(payload).to_bytes(3, "little") + bytes([seq & 0xFF]) + payload


def recv_exact(sock: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError(f"closed after {len(out)} of {n} bytes")
        out += chunk
    return out


def read_packet(sock: socket.socket) -> tuple[int, bytes]:
    """One packet: (sequence id, payload)."""
    head = recv_exact(sock, 4)
    return head[3], recv_exact(sock, int.from_bytes(head[:3], "little"))


def split_packets(data: bytes) -> list[tuple[int, bytes]]:
    """The whole packets at the start of `data`."""
    out = []
    while len(data) >= 4:
        n = int.from_bytes(data[:3], "little")
        if len(data) < 4 + n:
            break
        out.append((data[3], data[4 : 4 + n]))
        data = data[4 + n :]
    return out


class Reader:
    def __init__(self, buf: bytes) -> None:
        self.buf, self.pos = buf, 0

    def take(self, n: int) -> bytes:
        out = self.buf[self.pos : self.pos + n]
        if len(out) != n:
            raise ValueError(f"short packet: {n} bytes wanted at {self.pos}")
        self.pos += n
        return out

    def int(self, n: int) -> int:
        return int.from_bytes(self.take(n), "little")

    def nul(self) -> bytes:
        end = self.buf.index(b"\0", self.pos)
        out, self.pos = self.buf[self.pos : end], end + 1
        return out

    def lenenc(self) -> int:
        first = self.int(1)
        if first < 0xFB:
            return first
        return self.int({0xFC: 2, 0xFD: 3, 0xFE: 8}[first])

    def lenenc_bytes(self) -> bytes:
        return self.take(self.lenenc())

    def done(self) -> bool:
        return self.pos >= len(self.buf)


def lenenc(n: int) -> bytes:
    if n < 0xFB:
        return bytes([n])
    if n < 1 << 16:
        return b"\xfc" + n.to_bytes(2, "little")
    if n < 1 << 24:
        return b"\xfd" + n.to_bytes(3, "little")
    return b"\xfe" + n.to_bytes(8, "little")


@dataclass
class Greeting:
    version: str
    connection_id: int
    capabilities: int
    charset: int
    plugin: str
    raw: bytes


def parse_greeting(p: bytes) -> Greeting:
    r = Reader(p)
    assert r.int(1) == 10, p[:40]
    version = r.nul().decode()
    conn_id = r.int(4)
    r.take(9)
    low = r.int(2)
    charset = r.int(1)
    r.int(2)  # status
    caps = low | (r.int(2) << 16)
    auth_len = r.int(1)
    r.take(10)
    r.take(max(13, auth_len - 8))
    plugin = r.nul().decode() if caps & CLIENT_PLUGIN_AUTH else ""
    return Greeting(version, conn_id, caps, charset, plugin, p)


@dataclass
class Response:
    capabilities: int
    max_packet: int
    charset: int
    user: str
    auth: bytes
    database: str | None
    plugin: str | None
    attributes: dict[str, str] = field(default_factory=dict)


def is_ssl_request(p: bytes) -> bool:
    return len(p) == 32 and struct.unpack("<I", p[:4])[0] & CLIENT_SSL != 0


def parse_response(p: bytes) -> Response:
    r = Reader(p)
    caps, max_packet, charset = r.int(4), r.int(4), r.int(1)
    r.take(23)
    user = r.nul().decode()
    if caps & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA:
        auth = r.lenenc_bytes()
    elif caps & CLIENT_SECURE_CONNECTION:
        auth = r.take(r.int(1))
    else:
        auth = r.nul()
    database = r.nul().decode() if caps & CLIENT_CONNECT_WITH_DB and not r.done() else None
    plugin = r.nul().decode() if caps & CLIENT_PLUGIN_AUTH and not r.done() else None
    attributes = {}
    if caps & CLIENT_CONNECT_ATTRS and not r.done():
        a = Reader(r.lenenc_bytes())
        while not a.done():
            key = a.lenenc_bytes().decode()
            attributes[key] = a.lenenc_bytes().decode()
    return Response(caps, max_packet, charset, user, auth, database, plugin, attributes)


def encode_response(
    caps: int,
    user: str,
    *,
    auth: bytes = b"",
    database: str | None = None,
    plugin: str = "caching_sha2_password",
    charset: int = 45,
    attributes: dict[str, str] | None = None,
) -> bytes:
    caps |= CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH
    if database is not None:
        caps |= CLIENT_CONNECT_WITH_DB
    if attributes is not None:
        caps |= CLIENT_CONNECT_ATTRS
    out = struct.pack("<IIB", caps, 16 << 20, charset) + b"\0" * 23
    out += user.encode() + b"\0" + bytes([len(auth)]) + auth
    if database is not None:
        out += database.encode() + b"\0"
    out += plugin.encode() + b"\0"
    if attributes is not None:
        block = b"".join(
            lenenc(len(s)) + s for kv in attributes.items() for s in map(str.encode, kv)
        )
        out += lenenc(len(block)) + block
    return out


def parse_err(p: bytes) -> tuple[int, str, str]:
    """An ERR packet: (code, SQLSTATE, message)."""
    assert p[:1] == b"\xff", p[:40]
    code = int.from_bytes(p[1:3], "little")
    if p[3:4] == b"#":
        return code, p[4:9].decode(), p[9:].decode()
    return code, "", p[3:].decode()


class RawClient:
    """A hand-written client: the greeting, then whatever the test sends."""

    def __init__(self, port: int, timeout: float = 20.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.seq, payload = read_packet(self.sock)
        self.greeting = parse_greeting(payload) if payload[:1] == b"\x0a" else None
        self.first = payload

    def login(self, user: str, **kw: object) -> tuple[int, bytes]:
        """Sends a HandshakeResponse41 (no TLS); the answer's first packet."""
        caps = self.greeting.capabilities if self.greeting else 0
        caps &= CLIENT_DEPRECATE_EOF | CLIENT_MULTI_RESULTS | CLIENT_TRANSACTIONS
        caps |= int(kw.pop("extra_caps", 0))  # type: ignore[call-overload]
        self.sock.sendall(packet(1, encode_response(caps, user, **kw)))  # type: ignore[arg-type]
        return read_packet(self.sock)

    def closed_by_peer(self, timeout: float = 10.0) -> bool:
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Tap:
    """A TCP relay on a free loopback port in front of `port`: keeps the first bytes each client
    sends (its handshake; plain text unless it asked for TLS) and relays everything."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sent: list[bytearray] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            record = bytearray()
            with self._lock:
                self.sent.append(record)
            threading.Thread(
                target=self._pump, args=(client, upstream, record), daemon=True
            ).start()
            threading.Thread(target=self._pump, args=(upstream, client, None), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket, record: bytearray | None) -> None:
        try:
            while data := src.recv(65536):
                if record is not None and len(record) < 65536:
                    record += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
                with contextlib.suppress(OSError):
                    s.shutdown(how)

    def responses(self) -> list[Response | str]:
        """Each connection's HandshakeResponse41, or "tls" when it began with an SSLRequest."""
        out: list[Response | str] = []
        with self._lock:
            recorded = [bytes(r) for r in self.sent]
        for data in recorded:
            packets = split_packets(data)
            if not packets:
                continue
            first = packets[0][1]
            out.append("tls" if is_ssl_request(first) else parse_response(first))
        return out

    def close(self) -> None:
        self.listener.close()


@dataclass
class Upstream:
    """What the fake server saw of one login."""

    ssl_caps: int | None = None  # the SSLRequest's capabilities
    response: Response | None = None
    token_len: int = 0
    token_shaped: bool = False


class FakeServer:
    """A MySQL server on a free loopback port that greets with `greeting_caps` (a real
    server's), takes TLS with iamdb's certificate, records the HandshakeResponse41, asks for
    the password with mysql_clear_password, then answers OK to every command until COM_QUIT."""

    def __init__(self, tls_dir: str, greeting_caps: int, version: str) -> None:
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls = Path(tls_dir)
        self.ctx.load_cert_chain(tls / "server.pem", tls / "server.key")
        self.caps = greeting_caps
        self.version = version
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.logins: list[Upstream] = []
        self.errors: list[str] = []
        self._next_id = 9000
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self._next_id += 1
            threading.Thread(target=self._serve, args=(conn, self._next_id), daemon=True).start()

    def greeting(self, conn_id: int) -> bytes:
        scramble = b"abcdefghijklmnopqrst"
        out = b"\x0a" + self.version.encode() + b"\0" + conn_id.to_bytes(4, "little")
        out += scramble[:8] + b"\0" + (self.caps & 0xFFFF).to_bytes(2, "little")
        out += bytes([45]) + (2).to_bytes(2, "little") + (self.caps >> 16).to_bytes(2, "little")
        out += bytes([21]) + b"\0" * 10 + scramble[8:] + b"\0" + b"mysql_native_password\0"
        return out

    def _serve(self, raw: socket.socket, conn_id: int) -> None:
        seen = Upstream()
        self.logins.append(seen)
        conn: socket.socket = raw
        try:
            conn.settimeout(20)
            conn.sendall(packet(0, self.greeting(conn_id)))
            seq, p = read_packet(conn)
            if is_ssl_request(p):
                seen.ssl_caps = int.from_bytes(p[:4], "little")
                conn = self.ctx.wrap_socket(conn, server_side=True)
                seq, p = read_packet(conn)
            seen.response = parse_response(p)
            conn.sendall(packet(seq + 1, b"\xfe" + b"mysql_clear_password\0"))
            seq, token = read_packet(conn)
            token = token.rstrip(b"\0")
            seen.token_len = len(token)
            seen.token_shaped = b"Action=connect" in token and b"X-Amz-Signature=" in token
            ok = b"\x00\x00\x00\x02\x00\x00\x00"
            conn.sendall(packet(seq + 1, ok))
            while True:
                seq, p = read_packet(conn)
                if p[:1] == bytes([COM_QUIT]):
                    break
                conn.sendall(packet(seq + 1, ok))
        except (OSError, ValueError, ConnectionError) as e:
            self.errors.append(repr(e))
        finally:
            conn.close()

    def close(self) -> None:
        self.listener.close()
