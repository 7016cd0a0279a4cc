"""What both Django backends share: the signer built from a connection's settings."""

from __future__ import annotations

from typing import Any, ClassVar, Optional

from rds_iam._native import SIGNER_OPTIONS, Signer

#: The ``OPTIONS`` keys that configure the signer; host, port and user come from HOST / PORT /
#: USER as usual, ``ca`` and ``ssl_verify`` stay for the driver helpers' TLS defaults.
SIGNER_KEYS = frozenset(SIGNER_OPTIONS) - {"host", "port", "user"}


def take_signer_options(params: dict[str, Any]) -> dict[str, Any]:
    """Removes the signer's settings from a backend's connection parameters (Django spreads
    ``OPTIONS`` into them) and returns them."""
    return {key: params.pop(key) for key in SIGNER_KEYS if key in params}


def signer(settings_dict: dict[str, Any], default_port: int) -> Signer:
    """The signer for one ``DATABASES`` entry: HOST, PORT and USER, plus ``OPTIONS``' signer
    keys. Raises ``ImproperlyConfigured`` when HOST or USER is missing, or PASSWORD is set."""
    from django.core.exceptions import ImproperlyConfigured

    engine = settings_dict.get("ENGINE", "rds_iam.django")
    host = settings_dict.get("HOST") or ""
    if not host or host.startswith("/"):
        raise ImproperlyConfigured(
            f"{engine}: set HOST to the database endpoint (a host name, not a socket path): IAM "
            "tokens are signed for it"
        )
    if not settings_dict.get("USER"):
        raise ImproperlyConfigured(f"{engine}: set USER to the database user to log in as")
    if settings_dict.get("PASSWORD"):
        raise ImproperlyConfigured(
            f"{engine}: remove PASSWORD: every connection logs in with an IAM token"
        )
    options = take_signer_options(dict(settings_dict.get("OPTIONS") or {}))
    port = int(settings_dict.get("PORT") or default_port)
    return Signer(host, port, settings_dict["USER"], **options)


class SignerFromSettings:
    """The backends' shared part: ``rds_iam_signer``, built once per wrapper from its
    ``settings_dict`` (mixed into Django's ``DatabaseWrapper``)."""

    settings_dict: dict[str, Any]
    #: The port when PORT is unset (the engine's).
    default_port: ClassVar[int]
    _rds_iam_signer: Optional[Signer] = None

    @property
    def rds_iam_signer(self) -> Signer:
        """The signer built from this connection's settings (once per wrapper)."""
        if self._rds_iam_signer is None:
            self._rds_iam_signer = signer(self.settings_dict, self.default_port)
        return self._rds_iam_signer
