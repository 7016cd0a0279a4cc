"""Every shared test vector through rds_iam.sign(): byte for byte what botocore returns."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import rds_iam

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
CASES = [
    case
    for name in ("rds.json", "dsql.json", "cache.json")
    for case in json.loads((VECTORS / name).read_text())["cases"]
]


def test_all_vector_files_are_read() -> None:
    kinds = {c["kind"] for c in CASES}
    assert kinds == {
        "rds",
        "dsql_connect",
        "dsql_admin",
        "elasticache",
        "elasticache-serverless",
        "memorydb",
    }
    assert len(CASES) >= 70


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector(case: dict[str, Any]) -> None:
    credentials = {
        "access_key_id": case["access_key_id"],
        "secret_access_key": case["secret_access_key"],
        "session_token": case["session_token"],
    }
    at = datetime.fromisoformat(case["time"].replace("Z", "+00:00"))
    token = rds_iam.sign(
        case["host"],
        case["port"],
        case["user"],
        case["region"],
        credentials=credentials,
        at=at,
        kind=case["kind"],
        expires_in=case["expires_in"],
    )
    assert token == case["token"]
