"""The core CLI's doctor and explain commands through the Python distribution (console script),
against the local fake STS: the same code and exit statuses as the Rust binary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from fakeaws import FakeAws  # noqa: E402


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = shutil.which("rds-iam", path=os.path.dirname(sys.executable))
    assert script, "the rds-iam console script is installed next to the interpreter"
    return subprocess.run([script, *args], env=env, capture_output=True, text=True, timeout=60)


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "c"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "k"))
    env.update(extra)
    return env


def test_doctor_reports_source_identity_and_clock_skew(tmp_path: Path) -> None:
    with FakeAws().start() as fake:
        fake.configure(sts={"date_skew_s": 1200})
        env = clean_env(
            tmp_path,
            AWS_ACCESS_KEY_ID="AKIAENVIRONMENT00001",
            AWS_SECRET_ACCESS_KEY="s",
            AWS_PROFILE="prod",
            AWS_EC2_METADATA_DISABLED="true",
            AWS_ENDPOINT_URL_STS=fake.url,
        )
        args = ["doctor", "--host", "db.abc.us-east-1.rds.amazonaws.com", "--user", "app", "--json"]
        r = run(args, env)
    assert r.returncode == 1, r.stderr
    checks = {(c["check"], c["status"]): c["detail"] for c in json.loads(r.stdout)["checks"]}
    assert "AKIAENVIRONMENT00001" in checks[("credentials", "ok")]
    assert "123456789012" in checks[("identity", "ok")]
    assert "AWS_PROFILE=prod is ignored" in checks[("credential chain", "warn")]
    assert "1200" in checks[("clock", "FAIL")] or "1199" in checks[("clock", "FAIL")]


def test_explain_maps_a_server_error(tmp_path: Path) -> None:
    r = run(["explain", 'FATAL: PAM authentication failed for user "app"'], clean_env(tmp_path))
    assert r.returncode == 0 and "rds_iam" in r.stdout and "fix:" in r.stdout
    r = run(["explain", "all good"], clean_env(tmp_path))
    assert r.returncode == 1
