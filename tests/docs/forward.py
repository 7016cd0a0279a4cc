"""A TCP forwarder on the namespace's loopback (127.0.0.1:5432 -> iamdb's PostgreSQL), in a
thread: DSQL endpoints are always dialled on 5432, and a DSQL token names no port."""

from __future__ import annotations

import contextlib
import socket
import threading


class Forwarder:
    """Accepts on 127.0.0.1:`port` and relays each connection to 127.0.0.1:`to` until closed."""

    def __init__(self, port: int, to: int) -> None:
        self._to = to
        self._server = socket.create_server(("127.0.0.1", port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:  # closed
                return
            upstream = socket.create_connection(("127.0.0.1", self._to))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Stops accepting; open relays end with their connections."""
        self._server.close()
