"""Runs one page's Python blocks in order in one namespace, as a reader pasting them would.

Reads a JSON list of {"where", "code"} on stdin; top-level `await` is allowed (one event loop
for the page). Prints one JSON line per block: {"where", "ok", "error"}. Run by run_docs.py with
the test venv's interpreter, outside the repository, so `rds_iam` is the installed wheel.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import sys
import traceback


def main() -> int:
    page = json.load(sys.stdin)
    namespace: dict[str, object] = {"__name__": "__main__"}
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    failed = 0
    for block in page:
        try:
            code = compile(
                block["code"], block["where"], "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
            )
            result = eval(code, namespace)
            if inspect.iscoroutine(result):
                loop.run_until_complete(result)
            print(json.dumps({"where": block["where"], "ok": True}), flush=True)
        except BaseException:
            failed += 1
            error = traceback.format_exc(limit=-3)
            print(json.dumps({"where": block["where"], "ok": False, "error": error}), flush=True)
    loop.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
