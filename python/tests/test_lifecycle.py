"""Cache and lifecycle hardening (issue 19): `clear_caches()` reaches live Signers, and an
interpreter exits cleanly while a credential fetch is still running."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import rds_iam

HOST = "db.abc123.us-east-1.rds.amazonaws.com"


def write_credentials(home: Path, key_id: str) -> None:
    aws = home / ".aws"
    aws.mkdir(exist_ok=True)
    (aws / "credentials").write_text(
        f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = secret-of-{key_id}\n"
    )


def test_clear_caches_reaches_signers_made_before_it(
    aws_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The steps: sign with [default] (key A), rewrite ~/.aws/credentials with key B,
    # clear_caches(): the same Signer now signs with B, and shares caches with new Signers.
    aws_env.setenv("HOME", str(tmp_path))
    aws_env.delenv("AWS_SHARED_CREDENTIALS_FILE")
    write_credentials(tmp_path, "AKIDROTATIONAAAAAAAA")
    pool_signer = rds_iam.Signer(HOST, 5432, "app")
    assert pool_signer.token_info().access_key_id == "AKIDROTATIONAAAAAAAA"

    write_credentials(tmp_path, "AKIDROTATIONBBBBBBBB")
    rds_iam.clear_caches()

    after = pool_signer.token_info()
    assert after.access_key_id == "AKIDROTATIONBBBBBBBB"
    assert "AKIDROTATIONBBBBBBBB" in pool_signer.token()
    fresh = rds_iam.Signer(HOST, 5432, "app").token_info()
    assert fresh.access_key_id == "AKIDROTATIONBBBBBBBB"
    assert fresh.from_cache, "old and new Signers share the caches again"


EXIT_SCRIPT = textwrap.dedent(
    """
    import asyncio
    import rds_iam

    signer = rds_iam.Signer({host!r}, 5432, "app", region="us-east-1")


    class TokenAtTeardown:
        # A blocking call during interpreter teardown, as a pool's __del__ may make.
        def __init__(self, signer):
            self.signer = signer

        def __del__(self):
            try:
                self.signer.token()
            except Exception:
                pass


    teardown = TokenAtTeardown(signer)


    async def start():
        return signer.token_async()  # pending: the container credential server is slow


    loop = asyncio.new_event_loop()
    pending = loop.run_until_complete(start())
    assert not pending.done()
    print("script ends while token_async() waits", flush=True)
    """
)


def test_interpreter_exits_while_token_async_waits_on_a_slow_credential_server(
    aws_env: pytest.MonkeyPatch, fake: Any, tmp_path: Path
) -> None:
    # Issue 19 item 5: the fetch ends during interpreter shutdown; no library thread may attach
    # to Python then, or the blocking call in __del__ hangs the exit.
    fake.configure(ecs={"delay_ms": 1500})
    script = tmp_path / "ends_while_waiting.py"
    script.write_text(EXIT_SCRIPT.format(host=HOST))
    env = {**os.environ, **fake.env(ecs=True)}
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "script ends while token_async() waits", done.stderr
    assert done.returncode == 0, done.stderr
    assert "panicked" not in done.stderr, done.stderr
    assert fake.calls("ecs"), "the script's fetch reached the slow server"
