"""Django's MySQL ``DatabaseWrapper`` (mysqlclient) with a token for every new connection.

``get_connection_params`` runs for every connection Django opens (``CONN_MAX_AGE`` reconnects
and health checks included); it adds the token, verified TLS and the cleartext plugin like
:mod:`rds_iam.mysqlclient`.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.mysql import base

from rds_iam import mysqlclient
from rds_iam.django import _settings

__all__ = ["DatabaseWrapper"]


class DatabaseWrapper(_settings.SignerFromSettings, base.DatabaseWrapper):  # type: ignore[misc]
    """Django's MySQL backend; the password of each new connection is an IAM token."""

    default_port = 3306

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        _settings.take_signer_options(params)
        return mysqlclient.finish(self.rds_iam_signer, params)
