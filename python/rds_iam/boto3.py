"""One-line drop-ins for boto3's token calls, with boto3's keyword names: change the import and
the token comes from rds_iam's cache (signed once, reused while it is good) instead of being
signed on every call.

>>> # before: boto3.client("rds").generate_db_auth_token(DBHostname=h, Port=5432, DBUsername=u)
>>> from rds_iam.boto3 import generate_db_auth_token
>>> token = generate_db_auth_token(DBHostname=h, Port=5432, DBUsername=u)  # doctest: +SKIP

Credentials come from the standard AWS chain (as a boto3 client's do). The region is
``Region``, else the one the hostname names, else ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` (a
boto3 client takes its configured region even when the hostname names another). Errors are
``rds_iam``'s (``NoCredentials``, ``NoRegion``, ...), not botocore's.
"""

from __future__ import annotations

import os
from typing import Optional

from rds_iam._native import Signer
from rds_iam.errors import NoRegion

__all__ = [
    "generate_db_auth_token",
    "generate_db_connect_admin_auth_token",
    "generate_db_connect_auth_token",
]


def _signer(
    host: str, port: Optional[int], user: Optional[str], region: Optional[str], **kw: object
) -> Signer:
    """A Signer (cheap: the caches are process-wide); the environment's region when neither
    ``Region`` nor the hostname names one."""
    try:
        return Signer(host, port, user, region, **kw)  # type: ignore[arg-type]
    except NoRegion:
        env = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if region is not None or not env:
            raise
        return Signer(host, port, user, env, **kw)  # type: ignore[arg-type]


def generate_db_auth_token(
    DBHostname: str, Port: int, DBUsername: str, Region: Optional[str] = None
) -> str:
    """``boto3.client("rds").generate_db_auth_token(...)``: an RDS IAM auth token, the same
    string boto3 signs, from the cache while one is good."""
    return _signer(DBHostname, Port, DBUsername, Region).token()


def generate_db_connect_auth_token(
    Hostname: str, Region: Optional[str] = None, ExpiresIn: Optional[int] = None
) -> str:
    """``boto3.client("dsql").generate_db_connect_auth_token(...)``: an Aurora DSQL token for a
    custom database role (``DbConnect``)."""
    return _signer(Hostname, None, None, Region, kind="dsql_connect", expires_in=ExpiresIn).token()


def generate_db_connect_admin_auth_token(
    Hostname: str, Region: Optional[str] = None, ExpiresIn: Optional[int] = None
) -> str:
    """``boto3.client("dsql").generate_db_connect_admin_auth_token(...)``: an Aurora DSQL token
    for the ``admin`` role (``DbConnectAdmin``)."""
    return _signer(Hostname, None, "admin", Region, kind="dsql_admin", expires_in=ExpiresIn).token()
