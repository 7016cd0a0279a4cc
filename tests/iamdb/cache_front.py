"""iamdb cache front: a TLS front for a local Redis that checks IAM tokens like ElastiCache.

Run by `iamdb up` as
  /usr/bin/python3 -IS cache_front.py CONFIG LISTEN_PORT UPSTREAM_PORT CERT KEY SECRET_FILE
It accepts TLS on 127.0.0.1:LISTEN_PORT and relays each session to the Redis on UPSTREAM_PORT.
`AUTH <user> <token>` and `HELLO <v> AUTH <user> <token>` are checked with validator.check_cache;
the front forwards them with the ACL user's real password when the token is good and with a
password Redis refuses when it is not (so replies stay in order, pipelined or not). One JSON line
per attempt goes to the validator log. A connection is closed once it has gone longer than the
config's `cache.max_connection_age` seconds since its last accepted AUTH (or since it opened),
the stand-in for ElastiCache's 12-hour cut. Python 3 stdlib only; never logs a token.
"""
import asyncio
import datetime
import json
import os
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import validator  # noqa: E402

REFUSED = b"iamdb-refused-token"  # no ACL user has this password: Redis answers WRONGPASS
WATCH_EVERY = 0.1  # seconds between checks of a connection's age


class Config:
    """The validator config, read again when the file changes (set-max-age, add-key, …)."""

    def __init__(self, path):
        self.path, self.mtime, self.data = path, None, {}

    def get(self):
        try:
            mtime = os.stat(self.path).st_mtime_ns
            if mtime != self.mtime:
                with open(self.path, encoding="utf-8") as f:
                    self.data, self.mtime = json.load(f), mtime
        except (OSError, ValueError):
            pass  # mid-replace or gone: keep the last good copy
        return self.data

    def max_connection_age(self):
        return float(self.get().get("cache", {}).get("max_connection_age", 43200))


def log(config, entry):
    line = json.dumps(entry, sort_keys=True) + "\n"
    fd = os.open(config["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def split_commands(buf):
    """Complete commands at the start of `buf`: ([(raw, args)], bytes consumed).
    RESP arrays of bulk strings, or inline commands (one line, split on spaces)."""
    out, pos = [], 0
    while pos < len(buf):
        if buf[pos:pos + 1] != b"*":
            stop = buf.find(b"\n", pos) + 1
            if stop == 0:
                break
            out.append((bytes(buf[pos:stop]), bytes(buf[pos:stop]).split()))
            pos = stop
            continue
        end = buf.find(b"\r\n", pos)
        if end < 0:
            break
        count, cur, args = int(buf[pos + 1:end]), end + 2, []
        for _ in range(max(count, 0)):
            end = buf.find(b"\r\n", cur)
            if end < 0 or buf[cur:cur + 1] != b"$":
                break
            size = int(buf[cur + 1:end])
            if len(buf) < end + 2 + size + 2:
                break
            args.append(bytes(buf[end + 2:end + 2 + size]))
            cur = end + 2 + size + 2
        if len(args) != max(count, 0):
            break
        out.append((bytes(buf[pos:cur]), args))
        pos = cur
    return out, pos


def encode(args):
    return b"".join([b"*%d\r\n" % len(args)] + [b"$%d\r\n%s\r\n" % (len(a), a) for a in args])


class Session:
    def __init__(self, front, peer):
        self.front, self.peer = front, peer
        self.last_auth = time.monotonic()

    def check(self, command, user, token):
        """Validate one AUTH; return the password to forward."""
        config = self.front.config.get()
        now = datetime.datetime.now(datetime.timezone.utc)
        text = token.decode("utf-8", "replace")
        entry = {"time": now.isoformat(timespec="milliseconds"), "server": "cache",
                 "command": command, "user": user.decode("utf-8", "replace"),
                 "access_key_id": None, "outcome": "reject", "reason": None,
                 "token_len": len(text)}
        try:
            validator.check_cache(text, entry["user"], config, now, entry)
            entry["outcome"] = "accept"
        except validator.Reject as r:
            entry["reason"] = r.reason
            if r.detail:
                entry["detail"] = r.detail
        except Exception as e:  # noqa: BLE001 - any surprise is a logged rejection
            entry["reason"], entry["detail"] = "error", type(e).__name__
        log(config, entry)
        if entry["outcome"] != "accept":
            return REFUSED
        self.last_auth = time.monotonic()
        return self.front.secret

    def rewrite(self, raw, args):
        name = args[0].upper() if args else b""
        if name == b"AUTH":
            if len(args) == 3:
                return encode([args[0], args[1], self.check("AUTH", args[1], args[2])])
            self.refuse("AUTH", "no_user")  # IAM needs `AUTH <user> <token>`
            return encode([args[0], REFUSED])
        if name == b"HELLO":
            upper = [a.upper() for a in args]
            if b"AUTH" in upper:
                i = upper.index(b"AUTH")
                if i + 2 < len(args):
                    args = list(args)
                    args[i + 2] = self.check("HELLO", args[i + 1], args[i + 2])
                    return encode(args)
        return raw

    def refuse(self, command, reason):
        config = self.front.config.get()
        now = datetime.datetime.now(datetime.timezone.utc)
        log(config, {"time": now.isoformat(timespec="milliseconds"), "server": "cache",
                     "command": command, "user": None, "access_key_id": None,
                     "outcome": "reject", "reason": reason, "token_len": 0})

    async def client_to_server(self, reader, up_w):
        buf = bytearray()
        while True:
            data = await reader.read(65536)
            if not data:
                return
            buf += data
            commands, used = split_commands(buf)
            del buf[:used]
            if commands:
                up_w.write(b"".join(self.rewrite(raw, args) for raw, args in commands))
                await up_w.drain()

    @staticmethod
    async def server_to_client(up_r, writer):
        while True:
            data = await up_r.read(65536)
            if not data:
                return
            writer.write(data)
            await writer.drain()

    async def watchdog(self):
        while True:
            age = time.monotonic() - self.last_auth
            limit = self.front.config.max_connection_age()
            if age > limit:
                config = self.front.config.get()
                now = datetime.datetime.now(datetime.timezone.utc)
                log(config, {"time": now.isoformat(timespec="milliseconds"), "server": "cache",
                             "command": None, "user": None, "access_key_id": None,
                             "outcome": "closed", "reason": "max_connection_age",
                             "connection_age_s": round(age, 1)})
                return
            await asyncio.sleep(min(WATCH_EVERY, max(limit - age, 0.01)))


class Front:
    def __init__(self, config_path, upstream_port, secret):
        self.config = Config(config_path)
        self.upstream_port, self.secret = upstream_port, secret

    async def handle(self, reader, writer):
        session = Session(self, writer.get_extra_info("peername"))
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        tasks = [asyncio.ensure_future(t) for t in (
            session.client_to_server(reader, up_w), session.server_to_client(up_r, writer),
            session.watchdog())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            for w in (writer, up_w):
                w.close()
            await asyncio.gather(*tasks, return_exceptions=True)


async def serve(argv):
    config_path, listen_port, upstream_port, cert, key, secret_file = argv[1:7]
    with open(secret_file, "rb") as f:
        secret = f.read().strip()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(cert, key)
    front = Front(config_path, int(upstream_port), secret)
    server = await asyncio.start_server(front.handle, "127.0.0.1", int(listen_port), ssl=tls)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(serve(sys.argv))
    except KeyboardInterrupt:
        pass
