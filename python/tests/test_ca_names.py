"""``ca`` is a path everywhere; PEM text goes in ``ca_pem`` (issue 33, item 5). The old use,
PEM text in ``ssl_context(ca=...)``, still works with a ``DeprecationWarning``."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

import rds_iam
from rds_iam import _native


def roots(ctx: ssl.SSLContext) -> int:
    return len(ctx.get_ca_certs())


def test_ca_is_a_path_and_ca_pem_is_pem_text() -> None:
    path = rds_iam.ca_bundle_path()
    by_path = rds_iam.ssl_context(ca=path)
    by_pathlike = rds_iam.ssl_context(ca=Path(path))
    by_pem = rds_iam.ssl_context(ca_pem=Path(path).read_text())
    assert roots(by_path) == roots(by_pathlike) == roots(by_pem) > 10
    assert by_pem.verify_mode == ssl.CERT_REQUIRED and by_pem.check_hostname


def test_pem_text_in_ca_warns_and_still_works() -> None:
    pem = Path(rds_iam.ca_bundle_path()).read_text()
    with pytest.warns(DeprecationWarning, match="ca_pem"):
        ctx = rds_iam.ssl_context(ca=pem)
    assert roots(ctx) == roots(rds_iam.ssl_context(ca_pem=pem))


def test_ca_and_ca_pem_together_is_invalid() -> None:
    with pytest.raises(rds_iam.InvalidArgument, match="`ca_pem`"):
        rds_iam.ssl_context(ca=rds_iam.ca_bundle_path(), ca_pem=_native.CA_BUNDLE_PEM)


def test_a_missing_ca_file_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        rds_iam.ssl_context(ca=str(tmp_path / "missing.pem"))
