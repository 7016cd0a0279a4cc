"""AWS IAM database auth tokens for RDS, Aurora, RDS Proxy and Aurora DSQL.

>>> import rds_iam
>>> signer = rds_iam.Signer("mydb.abc123.us-east-1.rds.amazonaws.com", 5432, "app_user")
>>> signer.region
'us-east-1'

``signer.token()`` returns the password to log in with; it is signed once and reused while it is
good (process-wide), so calling it for every new connection is cheap. Driver helpers live in
``rds_iam.psycopg``, ``rds_iam.asyncpg``, ``rds_iam.sqlalchemy``, ``rds_iam.psycopg2``,
``rds_iam.pymysql``, ``rds_iam.aiomysql``, ``rds_iam.asyncmy``, ``rds_iam.mysql_connector`` and
``rds_iam.mysqlclient``, Django backends in ``rds_iam.django``, cache hooks in
``rds_iam.redis`` and ``rds_iam.glide``, boto3's token calls in ``rds_iam.boto3``. Each loads
on first access (``import rds_iam`` is enough to write ``rds_iam.psycopg.connect(...)``), so a
program pays only for the ones it uses.
They verify the server's certificate by default against the system roots plus the Amazon RDS CA
bundle shipped in the package (``ca_bundle_path()``, ``ssl_context()``).
``rds_iam.Proxy(signer)`` runs a local PostgreSQL proxy in the process for clients that take
only a URL and no password hook.
"""

from __future__ import annotations

from rds_iam._native import (
    ERROR_CODES,
    Proxy,
    Signer,
    TokenInfo,
    __version__,
    clear_caches,
    sign,
    stats,
)
from rds_iam.errors import (
    CredentialsExpired,
    InvalidArgument,
    InvalidEndpoint,
    NoCredentials,
    NoRegion,
    ProviderError,
    RdsIamError,
    Timeout,
)

# Importing `typing` for one TypedDict would double the import time: it is loaded on first use.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from rds_iam import (
        aiomysql as aiomysql,
    )
    from rds_iam import (
        asyncmy as asyncmy,
    )
    from rds_iam import (
        asyncpg as asyncpg,
    )
    from rds_iam import (
        boto3 as boto3,
    )
    from rds_iam import (
        django as django,
    )
    from rds_iam import (
        glide as glide,
    )
    from rds_iam import (
        mysql_connector as mysql_connector,
    )
    from rds_iam import (
        mysqlclient as mysqlclient,
    )
    from rds_iam import (
        psycopg as psycopg,
    )
    from rds_iam import (
        psycopg2 as psycopg2,
    )
    from rds_iam import (
        pymysql as pymysql,
    )
    from rds_iam import (
        redis as redis,
    )
    from rds_iam import (
        sqlalchemy as sqlalchemy,
    )
    from rds_iam._tls import ca_bundle_path, ssl_context
    from rds_iam._typing import Credentials

__all__ = [
    "ERROR_CODES",
    "Credentials",
    "CredentialsExpired",
    "InvalidArgument",
    "InvalidEndpoint",
    "NoCredentials",
    "NoRegion",
    "ProviderError",
    "Proxy",
    "RdsIamError",
    "Signer",
    "Timeout",
    "TokenInfo",
    "__version__",
    "ca_bundle_path",
    "clear_caches",
    "sign",
    "ssl_context",
    "stats",
]


#: The submodules `rds_iam.<name>` loads on first access. Not in `__all__`: a star import would
#: load every driver hook, and `redis` / `glide` need their driver installed.
_SUBMODULES = frozenset(
    (
        "aiomysql",
        "asyncmy",
        "asyncpg",
        "boto3",
        "django",
        "glide",
        "mysql_connector",
        "mysqlclient",
        "psycopg",
        "psycopg2",
        "pymysql",
        "redis",
        "sqlalchemy",
    )
)

if not TYPE_CHECKING:  # for type checkers, `Credentials` is imported above

    def __getattr__(name: str) -> object:
        if name in _SUBMODULES:
            # Importing a submodule binds it in this module's globals, so this runs once per name.
            # A hook whose driver is missing raises ModuleNotFoundError naming that driver.
            __import__(f"{__name__}.{name}")
            return globals()[name]
        if name == "Credentials":
            from rds_iam._typing import Credentials

            globals()["Credentials"] = Credentials
            return Credentials
        if name in ("ca_bundle_path", "ssl_context"):  # `ssl` and `logging` load on first use
            from rds_iam import _tls

            value = getattr(_tls, name)
            globals()[name] = value
            return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__, *_SUBMODULES})
