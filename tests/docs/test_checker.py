"""The docs checker's own rules: what counts as run, what must be marked, what is replaced."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import placeholders
from blocks import blocks
from run_docs import doctested_pages, plan

PAGE = """# A page

```python
print("runs")
```

```sh no-run: changes a real AWS instance
aws rds modify-db-instance --db-instance-identifier mydb
```

   ```yaml
   an: unmarked block in a language nothing runs
   ```

```rust,no_run
let compiled = 1;
```
"""


def write(tmp_path: Path, text: str, name: str = "page.md") -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path


def test_an_unmarked_block_nothing_runs_fails_and_a_marked_one_gives_its_reason(
    tmp_path: Path,
) -> None:
    found = blocks("page.md", write(tmp_path, PAGE))
    assert [(b.lang, b.line) for b in found] == [
        ("python", 3),
        ("sh", 7),
        ("yaml", 11),
        ("rust", 15),
    ]
    by, errors = plan(found)
    assert [b.lang for b in by["python"]] == ["python"]
    assert [b.no_run_reason for b in by["no-run"]] == ["changes a real AWS instance"]
    assert any("page.md:11" in e and "yaml" in e for e in errors)
    # page.md is no page core/src/lib.rs doctests: its Rust block runs nowhere
    assert any("page.md:15" in e and "doctest" in e for e in errors)


def test_rust_blocks_on_doctested_pages_count_as_run_or_compiled() -> None:
    assert {"README.md", "core/README.md"} <= doctested_pages()
    by, errors = plan(blocks("core/README.md"))
    assert by["doctest"] and by["compiled"] and not errors


def test_an_unclosed_fence_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="never closed"):
        blocks("page.md", write(tmp_path, "```python\nprint(1)\n"))


def test_placeholders_become_iamdb_values_and_nothing_else() -> None:
    env = {
        "IAMDB_RDS_HOST": "db.cluster-iamdb.us-east-1.rds.amazonaws.com",
        "IAMDB_DSQL_CLUSTER_ID": "iamdbtestcluster0000000000",
        "IAMDB_CA_FILE": "/tmp/ca.pem",
        "IAMDB_PG_PORT": "40001",
        "IAMDB_MYSQL_PORT": "40002",
        "IAMDB_CACHE_PORT": "40003",
    }
    code = (
        'Signer("mydb.abc123.us-east-1.rds.amazonaws.com", 5432) 3306 6379 '
        'sign_host="mydb.abc123.us-east-1.rds.amazonaws.com:5432" 15432 54321 1.5432 '
        'cluster_id="abcdefghijklmnopqrstuvwxyz" ca="/etc/my-ca.pem"'
    )
    assert placeholders.substitute(code, env) == (
        'Signer("db.cluster-iamdb.us-east-1.rds.amazonaws.com", 40001) 40002 40003 '
        'sign_host="db.cluster-iamdb.us-east-1.rds.amazonaws.com:40001" 15432 54321 1.5432 '
        'cluster_id="iamdbtestcluster0000000000" ca="/tmp/ca.pem"'
    )


def test_the_real_pages_hold_no_unmarked_block() -> None:
    from run_docs import inventory

    by, errors = inventory()
    assert not errors, errors
    assert len(by["python"]) >= 10 and len(by["js"]) >= 3
