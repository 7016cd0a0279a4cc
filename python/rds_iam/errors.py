"""The exceptions of rds_iam: one class per stable error code of the core library.

Catch :class:`RdsIamError` for all of them. Each has a ``code`` (the stable string, equal to the
class name) and, for credential provider failures, ``provider``. Messages say what to do next
and never contain a token, a secret access key or a session token.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing would double the import time
if TYPE_CHECKING:
    from typing import Optional

__all__ = [
    "CredentialsExpired",
    "InvalidArgument",
    "InvalidEndpoint",
    "NoCredentials",
    "NoRegion",
    "ProviderError",
    "RdsIamError",
    "Timeout",
]


class RdsIamError(Exception):
    """Base class of every error raised by rds_iam."""

    code: str = "RdsIamError"
    provider: Optional[str] = None

    def __init__(
        self, message: str, *, code: Optional[str] = None, provider: Optional[str] = None
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.provider = provider

    def __reduce__(self):  # type: ignore[no-untyped-def]  # keyword arguments survive pickling
        return (_rebuild, (type(self), str(self), self.code, self.provider))


def _rebuild(
    cls: type[RdsIamError], message: str, code: str, provider: Optional[str]
) -> RdsIamError:
    return cls(message, code=code, provider=provider)


class NoCredentials(RdsIamError):
    """No credential source produced AWS credentials."""

    code = "NoCredentials"


class CredentialsExpired(RdsIamError):
    """The credentials on hand expired and could not be refreshed."""

    code = "CredentialsExpired"


class NoRegion(RdsIamError, ValueError):
    """No region was given and none can be inferred from the hostname."""

    code = "NoRegion"


class InvalidEndpoint(RdsIamError, ValueError):
    """The host or port cannot be signed for."""

    code = "InvalidEndpoint"


class InvalidArgument(RdsIamError, ValueError):
    """Another argument (user, lifetime, option combination) is invalid."""

    code = "InvalidArgument"


def refresh_seconds(value: object) -> float:
    """``refresh_every`` of the cache hooks, checked: seconds above 0, else ``InvalidArgument``
    (a ``ValueError``, as this raised before)."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not (number and 0 < value < float("inf")):  # type: ignore[operator]  # a number here
        raise InvalidArgument(
            f"invalid argument `refresh_every`: seconds above 0 (got {value!r}); keep it under "
            "12 hours (43200), when ElastiCache / MemoryDB cut IAM connections",
            code="InvalidArgument",
        )
    return float(value)  # type: ignore[arg-type]  # a number, checked above


class ProviderError(RdsIamError):
    """A credential provider (IMDS, STS, SSO, credential_process, ...) failed."""

    code = "ProviderError"


class Timeout(RdsIamError, TimeoutError):
    """A credential fetch took longer than the configured timeout."""

    code = "Timeout"
