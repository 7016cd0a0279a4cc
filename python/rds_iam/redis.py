"""redis-py (and redis.asyncio, cluster clients) with ElastiCache / MemoryDB IAM auth tokens.

redis-py ≥ 4.4 asks a ``credential_provider`` for ``(user, password)`` on every new connection;
this one answers with the signer's (cached) token::

    signer = rds_iam.Signer("my-cache", user="app", region="us-east-1", kind="elasticache")
    r = redis.Redis(host=endpoint, port=6379, ssl=True,
                    credential_provider=rds_iam.redis.credential_provider(signer))

ElastiCache and MemoryDB close every IAM-authenticated connection 12 hours after its last AUTH.
On redis-py ≥ 5.3 the provider is also a ``StreamingCredentialProvider``: every
``refresh_every`` seconds (default 10 hours) it hands redis-py a fresh token, which re-AUTHs the
client's live connections (idle ones at once, busy ones when released), so a long-lived
connection is never cut. The timer is a daemon thread (it never keeps the interpreter alive),
skips clients whose connections are all closed, ends once every client using the provider is
gone, and ``close()`` ends it at once. Use one provider per client or share it: each client
registers itself. For ``redis.asyncio`` clients the push runs on the event loop that made the
first connection.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from redis.credentials import CredentialProvider as _Base

try:  # redis-py >= 5.3
    from redis.credentials import StreamingCredentialProvider as _Streaming
except ImportError:  # pragma: no cover - older redis-py: connection-time tokens only
    _Streaming = None  # type: ignore[assignment,misc]
try:
    from redis.auth.token import TokenInterface as _TokenBase
except ImportError:  # pragma: no cover
    _TokenBase = object  # type: ignore[assignment,misc]

from rds_iam.errors import refresh_seconds

if TYPE_CHECKING:
    from rds_iam._native import Signer

__all__ = ["DEFAULT_REFRESH_EVERY", "IamCredentialProvider", "credential_provider"]

#: Seconds between pushes of a fresh token to live connections: 10 hours, inside the 12-hour cut.
DEFAULT_REFRESH_EVERY = 36000.0


class _Token(_TokenBase):
    """What redis-py's re-AUTH listeners read: ``try_get("oid")`` (the user), ``get_value()``."""

    def __init__(self, user: str, value: str, lifetime_s: float = 900.0) -> None:
        self._user, self._value = user, value
        self._received_ms = time.time() * 1000
        self._expires_ms = self._received_ms + lifetime_s * 1000

    def is_expired(self) -> bool:
        return time.time() * 1000 >= self._expires_ms

    def ttl(self) -> float:
        return max(self._expires_ms - time.time() * 1000, 0.0)

    def try_get(self, key: str) -> str:
        return self._user if key == "oid" else ""

    def get_value(self) -> str:
        return self._value

    def get_expires_at_ms(self) -> float:
        return self._expires_ms

    def get_received_at_ms(self) -> float:
        return self._received_ms

    def __repr__(self) -> str:  # never the token
        return f"<rds_iam.redis token for {self._user!r}>"


def _client_idle(callback: Callable[..., Any]) -> bool:
    """True when the client behind a redis-py re-AUTH callback has no open connection (closed,
    or not connected yet): nothing to re-AUTH, and a push would reopen closed connections."""
    event = getattr(getattr(callback, "__self__", None), "_event", None)
    pools = getattr(event, "connection_pools", None)
    if pools is None:
        return False  # a shape we do not know (cluster nodes, pub/sub): push
    for pool in pools:
        conns = [
            *getattr(pool, "_available_connections", ()),
            *getattr(pool, "_in_use_connections", ()),
        ]
        if any(getattr(c, "is_connected", True) for c in conns):
            return False
    return True


_Parent: Any = _Streaming if _Streaming is not None else _Base


class IamCredentialProvider(_Parent):  # type: ignore[misc]
    """A redis-py credential provider that logs in with ``signer``'s token (see the module doc).
    ``refresh_every`` (seconds) sets how often live connections get a fresh token."""

    def __init__(self, signer: Signer, *, refresh_every: float = DEFAULT_REFRESH_EVERY) -> None:
        self._signer = signer
        self._user = signer.user or ""
        self._every = refresh_seconds(refresh_every)
        self._callbacks: list[weakref.WeakMethod[Any] | Callable[..., Any]] = []
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    # CredentialProvider: called for every new connection
    def get_credentials(self) -> Union[tuple[str], tuple[str, str]]:
        return (self._user, self._signer.token())

    async def get_credentials_async(self) -> Union[tuple[str], tuple[str, str]]:
        self._loop = asyncio.get_running_loop()
        return (self._user, await self._signer.token_async())

    # StreamingCredentialProvider: redis-py registers its re-AUTH callbacks here
    def on_next(self, callback: Callable[[Any], Any]) -> None:
        ref: Any
        try:
            ref = weakref.WeakMethod(callback)
        except TypeError:  # a plain function: held strongly
            ref = callback
        with self._lock:
            self._callbacks.append(ref)
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="rds_iam.redis re-auth", daemon=True
                )
                self._thread.start()

    def on_error(self, callback: Callable[[Exception], Any]) -> None:
        """Accepted for the interface; a failed push is logged (``rds_iam.redis`` logger) and
        retried at the next tick, never raised into another thread."""

    def is_streaming(self) -> bool:
        return True

    def close(self) -> None:
        """Stop pushing fresh tokens (new connections still get tokens)."""
        self._stop.set()

    @property
    def refresh_every(self) -> float:
        """Seconds between pushes of a fresh token to live connections."""
        return self._every

    def _live_callbacks(self) -> list[Callable[..., Any]]:
        with self._lock:
            live, keep = [], []
            for ref in self._callbacks:
                cb = ref() if isinstance(ref, weakref.WeakMethod) else ref
                if cb is not None:
                    live.append(cb)
                    keep.append(ref)
            self._callbacks = keep
            if not keep:
                self._thread = None  # the next on_next starts a new one
            return live

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            callbacks = self._live_callbacks()
            if not callbacks:
                return
            self._push([cb for cb in callbacks if not _client_idle(cb)])
            del callbacks

    def _push(self, callbacks: list[Callable[..., Any]]) -> None:
        if not callbacks:
            return
        try:
            token = _Token(self._user, self._signer.token())
        except Exception as e:
            _warn("could not get a fresh token to re-AUTH live connections", e)
            return
        for cb in callbacks:
            try:
                if inspect.iscoroutinefunction(cb):
                    loop = self._loop
                    if loop is None or loop.is_closed():
                        continue
                    asyncio.run_coroutine_threadsafe(cb(token), loop).result(timeout=60)
                else:
                    cb(token)
            except Exception as e:
                _warn("re-AUTH of live connections failed", e)

    def __repr__(self) -> str:
        return f"<rds_iam.redis.IamCredentialProvider user={self._user!r} every={self._every}s>"


def _warn(what: str, error: BaseException) -> None:
    import logging

    logging.getLogger("rds_iam.redis").warning("%s: %s", what, type(error).__name__)


def credential_provider(
    signer: Signer, *, refresh_every: float = DEFAULT_REFRESH_EVERY
) -> IamCredentialProvider:
    """A ``credential_provider`` for ``redis.Redis``, ``redis.asyncio.Redis``,
    ``redis.cluster.RedisCluster`` and ``redis.asyncio.cluster.RedisCluster``: every new
    connection logs in as ``signer.user`` with the signer's token, and (redis-py ≥ 5.3) live
    connections get a fresh token every ``refresh_every`` seconds (default 10 hours)."""
    return IamCredentialProvider(signer, refresh_every=refresh_every)
