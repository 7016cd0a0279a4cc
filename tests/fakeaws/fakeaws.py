#!/usr/bin/env python3
"""fakeaws: one local HTTP server that speaks the AWS credential protocols the SDKs use
(IMDSv2, ECS/EKS container credentials, STS awsQuery, SSO portal), so tests never reach AWS.
Python 3 stdlib only. Run `python3 fakeaws.py [--port 0]` (prints one JSON line) or import
`FakeAws`. Protocol shapes follow aws-config 1.13 and botocore; see README.md."""
import argparse, base64, datetime as dt, email.utils, hashlib, json, os, re, signal, stat, sys
import threading, time, traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

try:  # works both as a script / top-level module and as the `fakeaws` package
    from .fakeaws_client import Client
    from .fakeaws_protocols import GARBAGE, Protocols, now_utc
except ImportError:
    from fakeaws_client import Client
    from fakeaws_protocols import GARBAGE, Protocols, now_utc

# Access key id prefixes per source; ids are prefix + zero-padded serial, 20 chars total.
KEY_PREFIX = {"imds": "ASIAIMDS", "ecs": "ASIAECS", "assumed": "ASIAASSUMED", "webid": "ASIAWEBID", "sso": "ASIASSO"}
SERVICES = ("imds", "ecs", "sts", "sso", "oidc")
CONFIG_KEYS = {"delay_ms", "status", "error_code", "error_message", "garbage", "hang", "expiration", "fail_times",
               "date_skew_s", "imds_token_status", "require_token", "role_name", "require_auth",
               "no_cache", "discovery_status", "jwks_status", "jwks_delay_ms"}
HANG_MAX_S = 60


class State:
    """Everything the server remembers; guarded by one lock because handlers run in threads."""

    def __init__(self, expiration_s=3600):
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.expiration_s = expiration_s
        self.reset()

    def reset(self):
        with self.lock:
            self.calls, self.config = [], {s: {} for s in SERVICES}
            self.serial = {k: 0 for k in KEY_PREFIX}
            self.identities, self.imds_tokens = {}, set()

    def cfg(self, svc):
        with self.lock:
            return dict(self.config.get(svc, {}))

    def merge_config(self, patch):
        if not isinstance(patch, dict) or set(patch) - set(SERVICES):
            raise ValueError(f"config keys must be among {list(SERVICES)}")
        for svc, opts in patch.items():
            if opts is not None and (not isinstance(opts, dict) or set(opts) - CONFIG_KEYS):
                raise ValueError(f"{svc}: options must be among {sorted(CONFIG_KEYS)}")
        with self.lock:
            for svc, opts in patch.items():
                cur = {} if opts is None else self.config[svc]  # null clears a service
                cur.update({k: v for k, v in (opts or {}).items() if v is not None})
                for k in [k for k, v in (opts or {}).items() if v is None]:
                    cur.pop(k, None)
                self.config[svc] = cur
            return json.loads(json.dumps(self.config))

    def record(self, call):
        with self.lock:
            self.calls.append(call)
        return call

    def counts(self):
        with self.lock:
            out = {}
            for c in self.calls:
                for key in (c["service"], f'{c["service"]}_{c["action"]}'):
                    out[key] = out.get(key, 0) + 1
            return out

    def failure(self, svc):
        """None, or how to fail this credential request: 'hang' | 'garbage' | 'error'."""
        with self.lock:
            c = self.config[svc]
            if "fail_times" in c:
                if c["fail_times"] <= 0:
                    return None
                c["fail_times"] -= 1
            elif not any(c.get(k) for k in ("hang", "garbage", "status", "error_code")):
                return None
            return "hang" if c.get("hang") else "garbage" if c.get("garbage") else "error"

    def issue(self, kind, arn):
        """New distinct credentials for `kind`, remembered so GetCallerIdentity can map them back."""
        with self.lock:
            self.serial[kind] += 1
            n, prefix = self.serial[kind], KEY_PREFIX[kind]
            akid = prefix + str(n).zfill(20 - len(prefix))
            self.identities[akid] = arn
        # Realistic session token: 640 chars of base64 starting "IQoJb3JpZ2luX2Vj++++////" (like
        # real STS tokens, and always with '+', '/' and '=') so URL-encoding bugs in signers show up.
        head = base64.b64decode("IQoJb3JpZ2luX2Vj") + b"\xfb\xef\xbe\xff\xff\xff"
        head += f"fakeaws:{kind}:{n}:{arn[:300]}:".encode()
        filler = hashlib.sha512(head).digest() * 8
        token = base64.b64encode(head + filler[: 479 - len(head)]).decode()
        secret = f"fakeaws/{kind}/secret/{n:06d}".ljust(40, "K")
        return {"AccessKeyId": akid, "SecretAccessKey": secret, "SessionToken": token}

    def expiration(self, svc, duration_s=None):
        spec = self.cfg(svc).get("expiration")
        if spec is None:
            return now_utc() + dt.timedelta(seconds=int(duration_s or self.expiration_s))
        if isinstance(spec, (int, float)) or re.fullmatch(r"[+-]\d+", str(spec)):
            return now_utc() + dt.timedelta(seconds=int(spec))
        return dt.datetime.fromisoformat(spec.replace("Z", "+00:00")).astimezone(dt.timezone.utc)


class Handler(Protocols, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real endpoints; SDKs pool connections
    server_version, sys_version = "fakeaws", ""
    svc = None

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fakeaws: " + (fmt % args) + "\n")

    def date_time_string(self, timestamp=None):  # Date header, skewed on request (clock-skew tests)
        skew = self.state.cfg(self.svc).get("date_skew_s", 0) if self.svc else 0
        return email.utils.formatdate((timestamp or time.time()) + float(skew), usegmt=True)

    do_GET = do_PUT = do_POST = do_DELETE = lambda self: self.route()

    def route(self):
        # One handler object serves every request of a keep-alive connection: start afresh.
        self.state, self.svc = self.server.state, None
        url = urlsplit(self.path)
        self.url_path, self.query = url.path, {k: v[0] for k, v in parse_qs(url.query).items()}
        self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        p = self.url_path
        if p.startswith("/_fake/"):
            return self.control(p)
        if p.startswith("/latest/"):
            self.svc, handler = "imds", self.imds
        elif p.startswith("/ecs/"):
            self.svc, handler = "ecs", self.ecs
        elif p == "/federation/credentials":
            self.svc, handler = "sso", self.sso
        elif p == "/" and (self.command == "POST" or "Action" in self.query):
            self.svc, handler = "sts", self.sts
        elif p.startswith("/oidc/"):
            self.svc, handler = "oidc", self.oidc
        else:
            return self.unrecognised("unknown", 404)
        try:
            handler()
        except Exception:  # a bad config value, say: show it rather than drop the connection
            traceback.print_exc()
            self.reply(None, 500, json.dumps({"message": "fakeaws internal error, see its stderr"}))

    # ---- plumbing -------------------------------------------------------------------------
    def record(self, action, **details):
        return self.state.record({"service": self.svc, "action": action, "method": self.command,
                                  "path": self.path, "time": time.time(), "status": None, "issued_access_key_id": None,
                                  "headers": {k.lower(): v for k, v in self.headers.items()}, **details})

    def reply(self, call, status, body, ctype="application/json", headers=None):
        delay = self.state.cfg(self.svc).get("delay_ms") if self.svc else None
        if delay:
            self.state.stop_event.wait(float(delay) / 1000)
        body = body.encode() if isinstance(body, str) else body
        if call is not None:
            call["status"] = status
        self.send_response(status)
        for k, v in {"Content-Type": ctype, "Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def unrecognised(self, action, status):
        """Dump anything we do not understand so a newer SDK's request shape is visible."""
        sys.stderr.write(f"fakeaws: UNRECOGNISED {self.command} {self.path}\n{self.headers}"
                         f"{self.body[:4000].decode('utf-8', 'replace')}\n---\n")
        sys.stderr.flush()
        self.svc = self.svc or "unknown"
        call = self.record(action, body=self.body[:4000].decode("utf-8", "replace"))
        if self.svc == "sts":
            return self.error(call, status, "InvalidAction", "fakeaws does not understand this request")
        self.reply(call, status, json.dumps({"message": "fakeaws: unrecognised request"}))

    def injected_failure(self, call):
        """Apply hang/garbage/status/error_code (with fail_times) to a credential request."""
        mode = self.state.failure(self.svc)
        if mode == "hang":
            call["status"] = "hang"
            self.state.stop_event.wait(HANG_MAX_S)  # bounded: released by stop() or after 60 s
            self.close_connection = True  # never answer; the client sees the socket close
        elif mode == "garbage":
            body = GARBAGE[self.svc].replace(b"{action}", call["action"].encode())  # right root, cut short
            self.reply(call, 200, body, "text/xml" if self.svc == "sts" else "application/json")
        elif mode == "error":
            c = self.state.cfg(self.svc)
            self.error(call, c.get("status"), c.get("error_code"), c.get("error_message", "fakeaws injected failure"))
        return mode is not None

    def request_id(self):
        return f"fa4e0000-0000-4000-8000-{len(self.state.calls):012d}"

    # ---- control API -------------------------------------------------------------------------
    def control(self, p):
        st, cmd = self.state, self.command
        if p == "/_fake/calls" and cmd == "GET":
            with st.lock:
                out = json.dumps(st.calls)
            return self.reply(None, 200, out)
        if p == "/_fake/counts" and cmd == "GET":
            return self.reply(None, 200, json.dumps(st.counts()))
        if p == "/_fake/oidc/token" and cmd == "POST":  # a JWT naming this issuer (not a real signature)
            try:
                return self.reply(None, 200, json.dumps({"token": self.jwt(json.loads(self.body or b"{}"))}))
            except (ValueError, TypeError) as e:
                return self.reply(None, 400, json.dumps({"error": str(e)}))
        if p == "/_fake/reset" and cmd == "POST":
            st.reset()
            return self.reply(None, 200, "{}")
        if p == "/_fake/config" and cmd in ("GET", "POST"):
            try:
                patch = json.loads(self.body or b"{}") if cmd == "POST" else {}
                return self.reply(None, 200, json.dumps(st.merge_config(patch)))
            except ValueError as e:
                return self.reply(None, 400, json.dumps({"error": str(e)}))
        self.reply(None, 404, json.dumps({"error": f"no control endpoint {cmd} {p}"}))


class FakeAws(Client):
    """The server, run in-process on a background thread (for Python tests)."""

    def __init__(self, port=0, expiration_s=3600, verbose=False):
        self._port, self._expiration_s, self._verbose, self._httpd = port, expiration_s, verbose, None

    def start(self):
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._httpd.daemon_threads = True
        self._httpd.state, self._httpd.verbose = State(self._expiration_s), self._verbose
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._httpd.serve_forever, args=(0.1,), daemon=True).start()
        return self

    def stop(self):
        if self._httpd:
            self._httpd.state.stop_event.set()  # releases hanging/delayed handlers
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


def start(**kw):
    return FakeAws(**kw).start()


def _wait_for_eof(done):
    # os.read, not sys.stdin: a daemon thread blocked in a buffered read aborts interpreter exit.
    try:
        while os.read(0, 65536):
            pass
    finally:
        done.set()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--expiration-s", type=int, default=3600, help="default credential lifetime")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = ap.parse_args(argv)
    fake = start(port=args.port, expiration_s=args.expiration_s, verbose=args.verbose)
    print(json.dumps({"port": fake.port, "url": fake.url}), flush=True)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    # Exit when a parent that piped our stdin goes away; never watch /dev/null or a tty (instant EOF).
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        mode = 0
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        threading.Thread(target=_wait_for_eof, args=(done,), daemon=True).start()
    while not done.wait(0.5):
        pass
    fake.stop()


if __name__ == "__main__":
    main()
