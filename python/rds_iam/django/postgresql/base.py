"""Django's PostgreSQL ``DatabaseWrapper`` with a token for every new connection.

``get_connection_params`` (called for every connection Django opens itself) adds the token and
libpq's ``sslmode=verify-full`` defaults like :mod:`rds_iam.psycopg`. Django ≥ 5.1's psycopg
pool is built once from those parameters and would reuse the first token for every later
connection; its connection class is swapped for one that asks the signer each time.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base

from rds_iam import _defaults
from rds_iam._native import Signer
from rds_iam.django import _settings

__all__ = ["DatabaseWrapper"]


class DatabaseWrapper(_settings.SignerFromSettings, base.DatabaseWrapper):  # type: ignore[misc]
    """Django's PostgreSQL backend; the password of each new connection is an IAM token."""

    default_port = 5432

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        _settings.take_signer_options(params)
        signer = self.rds_iam_signer
        return _defaults.libpq_params(signer, signer.token(), {}, params)

    @property
    def pool(self) -> Any:
        pool = super().pool
        if pool is not None and not getattr(pool, "rds_iam_signs", False):
            pool.connection_class = _signing_class(pool.connection_class, self.rds_iam_signer)
            pool.rds_iam_signs = True
        return pool


def _signing_class(base_class: Any, signer: Signer) -> Any:
    """``base_class`` (the pool's connection class, psycopg's or the caller's) whose ``connect``
    replaces the pool's frozen password with a current token."""

    class IamConnection(base_class):  # type: ignore[misc]
        @classmethod
        def connect(cls, conninfo: str = "", **kwargs: Any) -> Any:
            kwargs["password"] = signer.token()
            return super().connect(conninfo, **kwargs)

    IamConnection.__qualname__ = IamConnection.__name__ = f"Iam{base_class.__name__}"
    return IamConnection
