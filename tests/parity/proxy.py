"""A small forwarding proxy (absolute-URI requests and CONNECT tunnels) that counts what it
carried, so a scenario can show that STS really went through HTTP_PROXY / HTTPS_PROXY."""
import select
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_CONNECT(self):
        host, port = self.path.rsplit(":", 1)
        self.server.seen.append(("CONNECT", self.path))
        upstream = socket.create_connection((host, int(port)), timeout=10)
        self.send_response(200, "Connection established")
        self.end_headers()
        conns = [self.connection, upstream]
        while True:
            ready, _, _ = select.select(conns, [], [], 10)
            if not ready:
                break
            for r in ready:
                data = r.recv(65536)
                if not data:
                    upstream.close()
                    return
                (upstream if r is self.connection else self.connection).sendall(data)
        upstream.close()

    def _forward(self):
        url = urllib.parse.urlsplit(self.path)
        self.server.seen.append((self.command, self.path))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        upstream = socket.create_connection((url.hostname, url.port or 80), timeout=10)
        path = url.path + ("?" + url.query if url.query else "")
        head = [f"{self.command} {path or '/'} HTTP/1.0"]
        head += [f"{k}: {v}" for k, v in self.headers.items()
                 if k.lower() not in ("proxy-connection", "connection")]
        upstream.sendall(("\r\n".join(head) + "\r\nConnection: close\r\n\r\n").encode() + body)
        while True:
            data = upstream.recv(65536)
            if not data:
                break
            self.wfile.write(data)
        upstream.close()

    do_GET = do_POST = do_PUT = _forward


class Proxy:
    def start(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.seen = []
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.1,), daemon=True).start()
        return self

    @property
    def seen(self):
        return list(self.httpd.seen)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
