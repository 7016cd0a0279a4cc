"""The secrets scan's self-test (run by `make py-tools-test`): scan.py must find each kind of
secret in each form it can take, allow only a printed token where printing it is the job, and
refuse to pass on an empty capture."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCAN = Path(__file__).with_name("scan.py")
SIG = "X-Amz-Signature=" + "ab12" * 16
TOKEN = (
    "db.example.com:5432/?Action=connect&DBUser=app&X-Amz-Security-Token=IQoJb3JpZ2luX2Vj%2B%2B%2B%2B"
    "%2F%2F%2F%2Fsession&" + SIG
)


def scan(tmp_path: Path, text: str | None) -> subprocess.CompletedProcess[str]:
    if text is not None:
        (tmp_path / "capture.txt").write_text(text)
    return subprocess.run(
        [sys.executable, str(SCAN), str(tmp_path)], capture_output=True, text=True, check=False
    )


def test_clean_capture_passes(tmp_path: Path) -> None:
    res = scan(tmp_path, "=== python log\nsigned a token for app@db.example.com:5432\n")
    assert res.returncode == 0, res.stdout
    assert "0 finding(s)" in res.stdout


@pytest.mark.parametrize(
    "leak",
    [
        "secret_access_key='scripted-secret'",  # a Rust test's literal secret
        "iamdb/TestSecretKey0000000000000000000001",  # iamdb's key
        "iamdb%2FTestSecretKey0000000000000000000001",  # ... percent-encoded
        '{"secret": "probe\\/node\\/secret\\/static-1"}',  # a probe's, JSON-escaped
        "fakeaws/imds/secret/000001",  # a fakeaws secret key
        "IQoJb3JpZ2luX2Vj++++////session",  # a fakeaws session token
        "password=" + TOKEN,  # a complete token in a log line
    ],
)
def test_planted_secret_fails_the_scan(tmp_path: Path, leak: str) -> None:
    res = scan(tmp_path, f"=== python log\nDEBUG connecting: {leak}\n")
    assert res.returncode == 1, res.stdout
    assert "LEAK" in res.stdout


def test_token_is_allowed_only_where_printing_it_is_the_job(tmp_path: Path) -> None:
    assert scan(tmp_path, f"=== cli token\n{TOKEN}\n").returncode == 0
    # the same token in any other output is a leak
    assert scan(tmp_path, f"=== cli doctor\n{TOKEN}\n").returncode == 1
    # and a secret key next to the printed token is still one
    assert scan(tmp_path, f"=== cli token\n{TOKEN}\nscripted-secret\n").returncode == 1


def test_empty_capture_fails(tmp_path: Path) -> None:
    res = scan(tmp_path, None)
    assert res.returncode == 1
    assert "nothing captured" in res.stderr
