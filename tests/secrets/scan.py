#!/usr/bin/env python3
"""Scan captured output for secrets (issue 8; tests/secrets/README.md). Python stdlib only.

    scan.py FILE_OR_DIR... [--iamdb-env]

Fails (exit 1) if any file holds:
- a known test secret key: iamdb's IAMDB_SECRET_ACCESS_KEY (read from `tests/iamdb/iamdb env`
  or the source), any fakeaws secret (`fakeaws/<source>/secret/<n>`), the literal secrets of the
  Rust tests and of the probes (PROBE_SECRETS below);
- a session token: fakeaws's (they start `IQoJb3JpZ2luX2Vj++++////`), the Rust tests' scripted
  ones, the probes';
- a complete token: `X-Amz-Signature=` followed by 64 hex digits;
each also percent-encoded (a token carries its session token that way) and JSON-escaped.

ALLOW-LIST (complete tokens only — secret keys and session tokens are never allowed):
in a section whose header names an output that is a token BY DESIGN — the stdout of
`rds-iam token` (the command's job is to print it) — each whole token (the run of non-space
characters ending in `X-Amz-Signature=<64 hex>`, which includes its session token) is replaced
by `<token>` before the section is scanned; the rest of the section is scanned like any other.
Exempted sections are counted in the report. Nothing else is exempt.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[2]

# Literal secrets the test suites feed in (inputs), which must never come back out.
PROBE_SECRETS = [
    # core/tests
    "scripted-secret",
    "scripted-session",
    "topsecret",
    "base-secret",
    # the probes in tests/secrets
    "probe/rust/secret/",
    "probe/rust/session/token/",
    "probe/node/secret/",
    "probe/node/session/",
    # python/tests and node/test session tokens
    "IQoJb3JpZ2luX2VjSessionTokenThatIsSecret",
]
PATTERNS = [
    (r"fakeaws/[a-z_-]+/secret/\d{6}", "fakeaws secret access key"),
    (r"IQoJb3JpZ2luX2Vj\+\+\+\+////", "fakeaws session token"),
    (r"IQoJb3JpZ2luX2Vj%2B%2B%2B%2B%2F%2F%2F%2F", "fakeaws session token (percent-encoded)"),
]
TOKEN = re.compile(r"X-Amz-Signature=[0-9a-fA-F]{64}")
WHOLE_TOKEN = re.compile(r"[^\s\"']*X-Amz-Signature=[0-9a-fA-F]{64}")
# Section headers ("=== <header>") of outputs that are a token by design; see the docstring.
TOKEN_BY_DESIGN = [
    re.compile(r"^=== (cli token|subprocess stdout argv=(rds-iam|python -m rds_iam) token)\b"),
    re.compile(r"^=== node subprocess stdout argv=(rds-iam|cli\.js) token\b"),
]


def iamdb_secret() -> str:
    try:
        out = subprocess.run([str(REPO / "tests/iamdb/iamdb"), "env"], capture_output=True,
                             text=True, timeout=30).stdout
        m = re.search(r"IAMDB_SECRET_ACCESS_KEY=['\"]?([^'\"\s]+)", out)
        if m:
            return m.group(1)
    except (OSError, subprocess.SubprocessError):
        pass
    src = (REPO / "tests/iamdb/_iamdb_common.py").read_text()
    return re.search(r'SECRET_ACCESS_KEY = "([^"]+)"', src).group(1)


def forms(s: str) -> list[str]:
    """The ways a secret shows up in text: as is, percent-encoded, JSON-escaped."""
    out = {s, quote(s, safe="-_.~"), quote(s, safe="-_.~/"), s.replace("/", "\\/")}
    return sorted(out)


def sections(text: str):
    """(header, body) pairs; a file without headers is one section."""
    header, lines = "(top)", []
    for line in text.splitlines(keepends=True):
        if line.startswith("=== "):
            yield header, "".join(lines)
            header, lines = line.rstrip("\n"), []
        else:
            lines.append(line)
    yield header, "".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+", type=Path)
    args = ap.parse_args()
    literals = {}
    for s in [iamdb_secret(), *PROBE_SECRETS, *os.environ.get("SECRETS_EXTRA", "").split(",")]:
        if s:
            for f in forms(s):
                literals[f] = f"test secret {s!r}"
    regexes = [(re.compile(p), what) for p, what in PATTERNS]
    files = []
    for p in args.paths:
        files += sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p]
    findings, exempt, total = [], 0, 0
    for f in files:
        text = f.read_text(encoding="utf-8", errors="backslashreplace")
        total += len(text)
        for header, body in sections(text):
            by_design = any(r.search(header) for r in TOKEN_BY_DESIGN)
            if by_design:
                # The printed tokens themselves are the output; their session token is part of
                # them by design. Everything else in the section is still scanned.
                body, n = WHOLE_TOKEN.subn("<token>", body)
                exempt += n > 0
            hits = [(what, lit) for lit, what in literals.items() if lit in body]
            hits += [(what, m.group(0)) for r, what in regexes for m in [r.search(body)] if m]
            m = TOKEN.search(body)
            if m:
                hits.append(("complete token", m.group(0)))
            for what, sample in hits:
                i = body.find(sample)
                ctx = body[max(0, i - 160): i + 80].replace("\n", "\\n")
                findings.append(f"{f}: [{header[4:][:100]}] {what}: …{ctx}…")
    print(f"secrets scan: {len(files)} files, {total} characters, {len(literals)} literal forms "
          f"+ {len(regexes) + 1} patterns; {exempt} section(s) exempt as tokens by design "
          f"(`rds-iam token` stdout)")
    for line in findings:
        print("LEAK", line)
    if not files or total == 0:
        print("secrets scan: nothing captured — the scan would prove nothing", file=sys.stderr)
        return 1
    print(f"secrets scan: {len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
