"""Import cost and the lazy bridge to `logging`: `import rds_iam` loads no heavy module, and core
log records still reach `logging` once the application uses it. Each case runs in a fresh
interpreter (this one imported everything long ago)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HOST = "mydb.abc123.us-east-1.rds.amazonaws.com"
#: What `import rds_iam` must not load: only annotations used them (or pyo3-log did).
HEAVY = ("logging", "typing", "enum", "re", "datetime", "asyncio", "ssl")


# `failing_fetch()` makes the core log a WARNING: the named profile does not exist. It clears
# the caches first: within the back-off window after a failure the cache answers with the last
# error and does not fetch (or log) again.
PRELUDE = f"""
def failing_fetch():
    import rds_iam
    rds_iam.clear_caches()
    try:
        rds_iam.Signer({HOST!r}, 5432, "app", profile="absent").token()
    except rds_iam.RdsIamError:
        pass
"""


def run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a fresh interpreter with environment credentials and nothing else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    res = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    return res


def test_import_and_first_token_load_no_heavy_module(tmp_path: Path) -> None:
    res = run(
        f"""
        import json, sys
        before = set(sys.modules)
        import rds_iam
        after_import = set(sys.modules) - before
        signer = rds_iam.Signer({HOST!r}, 5432, "app")
        signer.token()
        after_token = set(sys.modules) - before
        print(json.dumps([sorted(after_import), sorted(after_token)]))
        """,
        tmp_path,
    )
    after_import, after_token = json.loads(res.stdout)
    for loaded in (after_import, after_token):
        assert not set(HEAVY) & set(loaded), loaded
    assert res.stderr == ""  # the DEBUG/INFO records of the first token went nowhere


def test_credentials_type_is_loaded_on_first_use(tmp_path: Path) -> None:
    res = run(
        """
        import sys
        import rds_iam
        assert "rds_iam._typing" not in sys.modules
        assert "Credentials" in dir(rds_iam)
        from rds_iam import Credentials
        assert Credentials is rds_iam._typing.Credentials
        from rds_iam import *
        try:
            rds_iam.Nope
        except AttributeError as e:
            print(e)
        """,
        tmp_path,
    )
    assert "has no attribute 'Nope'" in res.stdout


def test_warning_reaches_logging_imported_after_rds_iam(tmp_path: Path) -> None:
    res = run(
        f"""
        import sys
        import rds_iam
        import logging
        logging.basicConfig(
            level=logging.DEBUG, stream=sys.stdout, format="%(levelname)s %(name)s %(message)s"
        )
        failing_fetch()
        rds_iam.Signer({HOST!r}, 5432, "app").token()
        """,
        tmp_path,
    )
    lines = res.stdout.splitlines()
    assert any(
        line.startswith("WARNING rds_iam.") and "credential fetch failed" in line for line in lines
    ), lines
    # Below WARNING too, once the application configured logging.
    assert any(line.startswith("INFO rds_iam.") and "fetched AWS" in line for line in lines), lines
    assert any(line.startswith("DEBUG rds_iam.") and "signed a new" in line for line in lines)
    assert "wJalrXUtnFEMI" not in res.stdout + res.stderr


def test_unconfigured_app_sees_warnings_on_stderr(tmp_path: Path) -> None:
    res = run(
        """
        import sys
        import rds_iam
        failing_fetch()
        assert "logging" in sys.modules  # imported for the warning
        """,
        tmp_path,
    )
    assert "credential fetch failed" in res.stderr  # logging's last-resort handler


def test_logger_levels_are_respected(tmp_path: Path) -> None:
    res = run(
        """
        import logging, sys
        import rds_iam
        logging.basicConfig(stream=sys.stdout, format="%(levelname)s %(name)s %(message)s")
        logging.getLogger("rds_iam").setLevel(logging.ERROR)
        failing_fetch()
        print("--")
        logging.getLogger("rds_iam").setLevel(logging.WARNING)
        failing_fetch()
        """,
        tmp_path,
    )
    before, after = res.stdout.split("--\n")
    assert before == ""
    assert "WARNING rds_iam." in after and "credential fetch failed" in after
    assert res.stderr == ""


@pytest.mark.parametrize("module", ["rds_iam.errors", "rds_iam.__main__"])
def test_small_modules_import_no_typing(module: str, tmp_path: Path) -> None:
    res = run(f"import sys, {module}; print('typing' in sys.modules)", tmp_path)
    assert res.stdout.strip() == "False"
