"""`rds-iam.exe` under wine: every vector through `token`, profiles from the Windows home and
from Windows paths, a `.cmd` credential_process, `doctor` against a local STS and `explain`.
Each check returns a line saying what it saw, or raises AssertionError."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import winehost as w

sys.path.insert(0, str(w.ROOT / "scripts" / "dist"))
sys.path.insert(0, str(w.ROOT / "tests" / "vectors"))
import cli_vectors
from check_sigv4 import derive

#: A key pair of the checks' own (not a vector's), so a token shows which source signed it.
PROFILE_KEY = ("AKIAWINDOWSPROFILE01", "windows/profile/secret/0000000000000000001")
PROCESS_KEY = (
    "ASIAWINDOWSPROCESS01",
    "windows/process/secret/0000000000000000001",
    "IQoJwinTok/+=",
)


def core_unit_tests() -> str:
    """The core's unit tests (`cargo test -p rds-iam --lib`, built for Windows) under wine."""
    r = w.run(w.WIN_DIR / "rds-iam-core-tests.exe", ["--test-threads", "2"], w.clean_env())
    summary = re.search(r"test result: ok\. (\d+) passed; 0 failed", r.out)
    assert r.code == 0 and summary, r.out[-3000:] + r.err[-2000:]
    return f"the core's unit tests: {summary[1]} passed"


def vectors() -> str:
    """Every vector through `rds-iam.exe token`, four wine processes at a time (one wine start
    costs most of a second here)."""
    files = sorted(cli_vectors.VECTORS.glob("*.json"))
    cases = [c for f in files for c in json.loads(f.read_text())["cases"]]
    # As cli_vectors.py: only DSQL tokens take a lifetime (--expires-in).
    cases = [c for c in cases if c["kind"].startswith("dsql") or c["expires_in"] == 900]

    def one(case: dict) -> str | None:
        env = w.clean_env(
            **{k: v for k, v in cli_vectors.environment(case).items() if k.startswith("AWS_")}
        )
        r = w.run(w.CLI, cli_vectors.command(case), env)
        token = r.out.strip()
        signed = r.code == 0 and "X-Amz-Date=" in token
        if signed and token == cli_vectors.expected_at_signing_time(case, token):
            return None
        return f"{case['name']}: {r!r}"

    with ThreadPoolExecutor(4) as pool:
        failed = [f for f in pool.map(one, cases) if f]
    assert not failed, f"{len(failed)} of {len(cases)} vectors differ: {failed[:3]}"
    return f"vectors {len(cases)}/{len(cases)} byte for byte through rds-iam.exe token"


def _token_checks(
    token: str, key: tuple[str, ...], region: str, host: str, port: int, user: str
) -> None:
    """`token` is the one `key` signs for (host, port, user, region) at its own X-Amz-Date."""
    date = re.search(r"X-Amz-Date=(\d{8}T\d{6}Z)", token)
    assert date, f"no X-Amz-Date in the output: {token[:80]!r}"
    at = datetime.strptime(date[1], "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%dT%H:%M:%SZ")
    case = {
        "kind": "rds",
        "host": host,
        "port": port,
        "user": user,
        "region": region,
        "access_key_id": key[0],
        "secret_access_key": key[1],
        "session_token": key[2] if len(key) > 2 else None,
        "expires_in": 900,
        "time": at,
    }
    assert token == derive(case)[1], (
        f"the token is not {key[0]}'s for {host}:{port}/{user} in {region}"
    )


def _keys(profile: str, key: tuple[str, ...]) -> str:
    """A credentials file section holding `key`."""
    return f"[{profile}]\naws_access_key_id = {key[0]}\naws_secret_access_key = {key[1]}\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace("\n", "\r\n"))  # as Notepad writes them
    return path


def _token(region: str, args: list[str], **env: str) -> str:
    host = ["--host", "127.0.0.1", "--port", "5432", "--user", "app", "--region", region]
    r = w.run(w.CLI, ["token", *host, *args], w.clean_env(**env))
    assert r.code == 0, r
    return r.out.strip()


def profile_in_windows_home() -> str:
    """A profile from %USERPROFILE%\\.aws\\credentials and config, HOME unset; a profile not
    there is reported with those files' paths."""
    aws = w.PROFILE_DIR / ".aws"
    _write(aws / "config", "[profile winhome]\noutput = json\n")
    _write(aws / "credentials", _keys("winhome", PROFILE_KEY))
    try:
        token = _token("eu-west-2", ["--profile", "winhome"])
        _token_checks(token, PROFILE_KEY, "eu-west-2", "127.0.0.1", 5432, "app")
        # A typo: the error names the files in the Windows home (credentials/home.rs).
        host = ["--host", "127.0.0.1", "--port", "5432", "--user", "app", "--region", "eu-west-2"]
        r = w.run(w.CLI, ["token", *host, "--profile", "winhomme"], w.clean_env())
        named = f"not found in {w.win_path(aws)}\\config or {w.win_path(aws)}\\credentials"
        assert r.code != 0 and named in r.err, r
    finally:
        (aws / "config").unlink()
        (aws / "credentials").unlink()
    return (
        f"profile from {w.win_path(aws)}\\credentials and config (HOME unset): "
        f"token signed by {PROFILE_KEY[0]} in eu-west-2"
    )


def shared_files_at_windows_paths() -> str:
    """AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE as Windows paths (C:\\…, with a space)."""
    config = _write(w.WORK / "files" / "config.ini", "[profile winpath]\noutput = json\n")
    creds = _write(w.WORK / "files" / "credentials.ini", _keys("winpath", PROFILE_KEY))
    token = _token(
        "ap-southeast-2",
        ["--profile", "winpath"],
        AWS_CONFIG_FILE=w.win_path(config),
        AWS_SHARED_CREDENTIALS_FILE=w.win_path(creds),
    )
    _token_checks(token, PROFILE_KEY, "ap-southeast-2", "127.0.0.1", 5432, "app")
    return f"AWS_SHARED_CREDENTIALS_FILE={w.win_path(creds)}: token signed by its profile"


#: A credential_process script: it checks its two arguments arrived as two (one with a space),
#: then prints the JSON.
PROCESS_CMD = r"""@echo off
if not "%~1"=="two words" (echo first argument: [%~1] 1>&2 & exit /b 3)
if not "%~2"=="plain" (echo second argument: [%~2] 1>&2 & exit /b 4)
echo {"Version": 1, "AccessKeyId": "KEY", "SecretAccessKey": "SECRET", "SessionToken": "TOKEN"}
"""


def credential_process_cmd() -> str:
    """A credential_process that is a .cmd script in a directory with a space, quoted as the AWS
    docs and botocore's Windows splitting have it: "C:\\dir\\script.cmd" "two words" plain."""
    script = w.WORK / "bin" / "get creds.cmd"
    body = (
        PROCESS_CMD.replace("KEY", PROCESS_KEY[0])
        .replace("SECRET", PROCESS_KEY[1])
        .replace("TOKEN", PROCESS_KEY[2])
    )
    _write(script, body)
    line = f'"{w.win_path(script)}" "two words" plain'
    config = _write(w.WORK / "process" / "config", f"[profile proc]\ncredential_process = {line}\n")
    none = _write(w.WORK / "process" / "credentials", "")
    token = _token(
        "us-west-2",
        ["--profile", "proc"],
        AWS_CONFIG_FILE=w.win_path(config),
        AWS_SHARED_CREDENTIALS_FILE=w.win_path(none),
    )
    _token_checks(token, PROCESS_KEY, "us-west-2", "127.0.0.1", 5432, "app")
    return f"credential_process = {line}: token signed by its {PROCESS_KEY[0]} (and session token)"


def doctor() -> str:
    """`rds-iam.exe doctor --json` with environment keys and tests/fakeaws as STS."""
    fake = subprocess.Popen(
        [sys.executable, str(w.ROOT / "tests" / "fakeaws" / "fakeaws.py"), "--port", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = json.loads(fake.stdout.readline())["url"]
        env = w.clean_env(
            AWS_ACCESS_KEY_ID=PROFILE_KEY[0],
            AWS_SECRET_ACCESS_KEY=PROFILE_KEY[1],
            AWS_ENDPOINT_URL_STS=url,
            AWS_CONFIG_FILE=w.win_path(w.WORK / "none"),
            AWS_SHARED_CREDENTIALS_FILE=w.win_path(w.WORK / "none"),
        )
        r = w.run(
            w.CLI,
            [
                "doctor",
                "--host",
                "db.abc123.us-east-1.rds.amazonaws.com",
                "--user",
                "app",
                "--json",
            ],
            env,
        )
    finally:
        fake.stdin.close()
        fake.wait(10)
    report = json.loads(r.out)
    checks = {(c["check"], c["status"]): c["detail"] for c in report["checks"]}
    assert r.code == 0, r
    assert PROFILE_KEY[0] in checks.get(("credentials", "ok"), ""), report
    assert "123456789012" in checks.get(("identity", "ok"), ""), report
    return (
        f"doctor: exit 0, {len(report['checks'])} checks, credentials and identity ok (fakeaws STS)"
    )


def explain() -> str:
    """`rds-iam.exe explain` maps PostgreSQL's PAM failure to its causes."""
    r = w.run(w.CLI, ["explain", 'FATAL: PAM authentication failed for user "app"'], w.clean_env())
    assert r.code == 0 and "PAM authentication failed" in r.out and "rds_iam" in r.out, r
    return "explain: PAM authentication failed -> causes and fix"
