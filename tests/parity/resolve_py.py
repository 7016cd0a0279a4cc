"""rds-iam's Python binding over every parity scenario, in one process (see harness.py).

Reads {"fake_url", "host", "user", "jobs": [{"name", "env", "fake", "profile"}]} on stdin and
prints one JSON line per job: {"key": <access key id>} or {"code", "message"}, plus the AWS
calls fakeaws saw. The token itself is never printed."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), ""))
sys.path.insert(0, HERE)

import rds_iam  # noqa: E402

from fakeaws.fakeaws_client import Client  # noqa: E402
from harness import CLEARED, credential_of, summarize_calls  # noqa: E402


def main():
    req = json.load(sys.stdin)
    fake = Client(req["fake_url"])
    for job in req["jobs"]:
        fake.reset()
        if job["fake"]:
            fake.configure(**job["fake"])
        for k in [k for k in os.environ if CLEARED.match(k)]:
            del os.environ[k]
        os.environ.update(job["env"])
        rds_iam.clear_caches()
        try:
            token = rds_iam.Signer(req["host"], user=req["user"], profile=job["profile"]).token()
            out = {"key": credential_of(token)}
        except rds_iam.RdsIamError as e:
            out = {"code": e.code, "message": str(e)}
        out["calls"] = summarize_calls(fake.calls())
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
