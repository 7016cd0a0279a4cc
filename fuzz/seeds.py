#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (fuzz/corpus/<target>/) from the test suites' inputs
and from real captures: the bytes a running iamdb's PostgreSQL and MariaDB send during a login,
and the bytes psql and the mariadb client open a connection with (a loopback tap in front of
iamdb records them). Run by hand when the protocols or the suites change, with iamdb up:

    eval "$(IAMDB_DIR=/tmp/iamdb-fuzz tests/iamdb/iamdb up)" && python3 fuzz/seeds.py

then minimize (`make fuzz-cmin`). The corpora are committed; `make fuzz` never runs this.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests/proxy"))
sys.path.insert(0, str(ROOT / "tests/proxy/mysql"))
import mywire  # noqa: E402
import pgwire  # noqa: E402

CORPUS = ROOT / "fuzz/corpus"
ENV = os.environ


def put(target: str, data: bytes) -> None:
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def recv_all(sock: socket.socket, until: bytes | None = None) -> bytes:
    """Everything the peer sends until it closes, goes quiet for 2 s, or sends `until`."""
    sock.settimeout(2)
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
            if until and until in out:
                break
    except TimeoutError:
        pass
    return out


def pg_server() -> None:
    """Real PostgreSQL logins: trust on the socket (AuthenticationOk … ReadyForQuery), an
    unknown user, and an IAM user over TCP asked for its password, then refused."""
    sock_path = f"{ENV['IAMDB_PG_SOCKET_DIR']}/.s.PGSQL.{ENV['IAMDB_PG_PORT']}"
    for params in (
        {"user": "postgres", "database": "postgres", "application_name": "psql"},
        {"user": "no_such_user", "database": "postgres"},
    ):
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock_path)
        s.sendall(pgwire.startup_packet(params))
        put("pg_server_login", recv_all(s, until=b"Z\0\0\0\x05"))
        s.close()
    # Over TCP the IAM user gets AuthenticationCleartextPassword (after TLS: asked in the clear
    # here, which iamdb refuses, so the bytes are its plaintext refusal).
    s = socket.create_connection(("127.0.0.1", int(ENV["IAMDB_PG_PORT"])))
    s.sendall(pgwire.startup_packet({"user": ENV["IAMDB_USER"], "database": "iamdb"}))
    put("pg_server_login", recv_all(s))
    s.close()


def tap(listen: socket.socket, answer_first: bytes | None, target: str) -> threading.Thread:
    """Records what one client sends: with `answer_first`, answers its first packet
    (SSLRequest → 'N') and records both; otherwise relays to the database."""

    def run() -> None:
        c, _ = listen.accept()
        c.settimeout(3)
        got = b""
        try:
            first = c.recv(8)
            got += first
            if answer_first is not None and first[4:8] == struct.pack("!I", pgwire.SSL_REQUEST):
                c.sendall(answer_first)
            got += recv_all(c)
        except OSError:
            pass
        put(target, got)
        c.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def pg_clients() -> None:
    """psql's and pgbench's openings: SSLRequest (answered N), then the StartupMessage."""
    for app, conninfo in (
        ("psql", "sslmode=prefer user=iam_user dbname=iamdb application_name=psql"),
        ("psql", "sslmode=disable user=app options='-c search_path=a' replication=database"),
    ):
        listen = socket.create_server(("127.0.0.1", 0))
        port = listen.getsockname()[1]
        t = tap(listen, b"N", "pg_client_opening")
        subprocess.run(
            [app, f"host=127.0.0.1 port={port} connect_timeout=3 {conninfo}", "-c", "select 1"],
            capture_output=True,
            timeout=10,
            env={**ENV, "PGPASSWORD": "x"},
        )
        t.join(5)
    put("pg_client_opening", pgwire.gssenc_request() + pgwire.startup_packet({"user": "u"}))
    put("pg_client_opening", pgwire.cancel_request(1234, b"\x01\x02\x03\x04"))
    put("pg_client_opening", pgwire.cancel_request(1234, bytes(range(32))))  # protocol 3.2
    # A repeated key (PostgreSQL keeps the last one), protocol 3.2.
    body = struct.pack("!I", 3 << 16 | 2) + b"user\0a\0user\0b\0\0"
    put("pg_client_opening", struct.pack("!I", len(body) + 4) + body)


def mysql() -> None:
    """MariaDB's greeting and its refusal of an unknown user; the mariadb client's
    HandshakeResponse41 (plain, with a database and connect attributes) through a tap."""
    s = socket.create_connection(("127.0.0.1", int(ENV["IAMDB_MYSQL_PORT"])))
    greeting = recv_all(s)
    seq, _ = mywire.split_packets(greeting)[0]
    response = mywire.encode_response(
        0,
        "no_such_user",
        database="iamdb",
        plugin="mysql_native_password",
        attributes={"_client_name": "seeds.py"},
    )
    s.sendall(mywire.packet(seq + 1, response))
    put("mysql_server_greeting", greeting + recv_all(s))
    s.close()
    t = mywire.Tap(int(ENV["IAMDB_MYSQL_PORT"]))
    for extra in (["--skip-ssl"], ["--skip-ssl", "-D", "iamdb"], ["--ssl"]):
        subprocess.run(
            [
                "mariadb",
                "-h127.0.0.1",
                f"-P{t.port}",
                "-uiam_user",
                "-px",
                *extra,
                "-e",
                "select 1",
            ],
            capture_output=True,
            timeout=10,
        )
    for record in t.sent:
        put("mysql_client_response", bytes(record[:4096]))
    t.close()


def text_seeds() -> None:
    """Hosts, URLs, credential_process outputs and config files from the suites."""
    for name in ("rds.json", "dsql.json"):
        for case in json.loads((ROOT / "tests/vectors" / name).read_text())["cases"]:
            host = case.get("host") or case.get("hostname") or ""
            put("endpoint", b"\0" + host.encode())
            put("endpoint", b"\x01" + f"https://{host}:{case.get('port', 5432)}/".encode())
            user = case.get("user") or "admin"
            put("connection_url", f"{host}\0{user}\0app db\0{case['token']}".encode())
    for h in (
        "[::1]:5432",
        "localhost",
        "user:pw@db:5432",
        "postgres://u:p@h/db?x=1",
        "10.0.0.1:3306",
    ):
        put("endpoint", b"\x03" + h.encode())
    tests = (ROOT / "core/tests").glob("*.rs")
    sources = [p.read_text() for p in tests] + [
        (ROOT / "core/src/credentials" / n).read_text() for n in ("profile.rs", "process_output.rs")
    ]
    for src in sources:
        for lit in re.findall(r'r#"(.*?)"#|"((?:[^"\\]|\\.)*)"', src, re.S):
            text = lit[0] or bytes(lit[1], "utf-8").decode("unicode_escape", "ignore")
            if '"Version"' in text or "'Version'" in text or '\\"Version\\"' in lit[1]:
                put("credential_process", text.encode())
            if re.search(r"^\s*\[(profile |default|sso-session )", text, re.M):
                put("profile_files", text.encode() + b"\0\0")
    put(
        "profile_files",
        b"[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
        b"[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n\0\0a",
    )
    put(
        "profile_files",
        b"[default]\nregion = us-east-1\n\0[default]\naws_access_key_id = A\n"
        b"aws_secret_access_key = S\n\0",
    )


if __name__ == "__main__":
    text_seeds()
    if "IAMDB_PG_PORT" in ENV:
        pg_server()
        pg_clients()
        mysql()
    else:
        print("iamdb is not up: only the text seeds were written", file=sys.stderr)
    for d in sorted(CORPUS.iterdir()):
        print(f"{d.name}: {len(list(d.iterdir()))} inputs")
