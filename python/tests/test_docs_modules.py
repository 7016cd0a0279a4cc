"""Every `rds_iam.<name>` the docs spell works after `import rds_iam` alone (issue 34): the driver
hooks are submodules that `rds_iam.__getattr__` loads on first access, so `import rds_iam` stays
as cheap as before and `rds_iam.psycopg.connect(...)` still works as the README writes it."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: The pages a user reads; tests/docs/ runs their blocks.
PAGES = ["README.md", "python/README.md", "node/README.md", "CONTRIBUTING.md", "core/README.md"]
#: `rds_iam.<name>` spellings that are not attributes: logger names.
NOT_ATTRIBUTES = {"proxy"}


def doc_names() -> set[str]:
    """The first name after `rds_iam.` anywhere in the docs (code, tables and prose)."""
    files = [REPO / p for p in PAGES] + sorted((REPO / "docs").glob("*.md"))
    names: set[str] = set()
    for f in files:
        if f.is_file():
            names |= set(re.findall(r"(?<![\w/])rds_iam\.([A-Za-z_]\w*)", f.read_text()))
    return names - NOT_ATTRIBUTES


def fresh(code: str) -> str:
    res = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO / "target",
    )
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_the_docs_name_the_driver_modules() -> None:
    # The walk below must see the submodules, or it would pass on any docs.
    assert {"psycopg", "asyncpg", "sqlalchemy", "pymysql", "redis", "glide", "django"} <= (
        doc_names()
    )


def test_every_name_the_docs_use_works_after_import_rds_iam_alone() -> None:
    names = sorted(doc_names())
    out = fresh(
        f"""
        import sys
        import rds_iam
        for name in {names!r}:
            getattr(rds_iam, name)  # AttributeError / ImportError fail the test
        print(" ".join(n for n in {names!r} if f"rds_iam.{{n}}" in sys.modules))
        """
    )
    loaded = set(out.split())
    assert {"psycopg", "sqlalchemy", "django"} <= loaded


def test_submodules_load_on_first_access_only() -> None:
    out = fresh(
        """
        import sys
        import rds_iam
        assert "rds_iam.psycopg" not in sys.modules
        assert "psycopg" in dir(rds_iam) and "psycopg" not in rds_iam.__all__
        module = rds_iam.psycopg
        assert module is sys.modules["rds_iam.psycopg"] is rds_iam.psycopg
        assert callable(rds_iam.psycopg.connect)
        from rds_iam import *  # noqa: F403 - `__all__` must not load every driver hook
        print(sorted(m for m in sys.modules if m.startswith("rds_iam.")))
        """
    )
    assert "rds_iam.redis" not in out and "rds_iam.psycopg" in out
