"""Django's MySQL ``DatabaseWrapper`` (mysqlclient) with a token for every new connection.

``get_connection_params`` runs for every connection Django opens (``CONN_MAX_AGE`` reconnects
and health checks included); it adds the token, verified TLS and the cleartext plugin like
:mod:`rds_iam.mysqlclient`.
"""

from __future__ import annotations

from typing import Any, Optional

from django.db.backends.mysql import base

from rds_iam import mysqlclient
from rds_iam._native import Signer
from rds_iam.django import _settings

__all__ = ["DatabaseWrapper"]


class DatabaseWrapper(base.DatabaseWrapper):  # type: ignore[misc]
    """Django's MySQL backend; the password of each new connection is an IAM token."""

    _rds_iam_signer: Optional[Signer] = None

    @property
    def rds_iam_signer(self) -> Signer:
        """The signer built from this connection's settings (once per wrapper)."""
        if self._rds_iam_signer is None:
            self._rds_iam_signer = _settings.signer(self.settings_dict, 3306)
        return self._rds_iam_signer

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        _settings.take_signer_options(params)
        return mysqlclient.finish(self.rds_iam_signer, params)
