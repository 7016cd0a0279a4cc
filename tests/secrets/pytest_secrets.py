"""pytest plugin for the secrets scan (tests/secrets/README.md): records, into one file, everything
rds_iam SHOWS during a test run, so that tests/secrets/scan.py can look for secrets in it.

Load with ``-p pytest_secrets`` (tests/secrets on sys.path / PYTHONPATH); the file is
``$SECRETS_PY_OUT`` (default ``target/secrets/python-shown.txt``). Recorded:

- every log record, all levels, from a root handler at DEBUG (the ``rds_iam`` logger at DEBUG too);
- every exception that reaches a frame of the tests, the test helpers or rds_iam's Python layer:
  ``str``, ``repr``, ``args``, attributes and the ``__cause__``/``__context__`` chain — this
  includes the ones ``pytest.raises`` swallows;
- ``repr`` and ``str`` of every rds_iam object (type's module ``rds_iam``…) held in a local
  variable of such a frame or returned by one (fixtures included), when the frame returns;
- what every subprocess printed when a test captured it (``Popen.communicate``), labelled with
  its argv: this is how the CLI's stdout/stderr gets in.

Secrets the tests pass IN (arguments, environment) are not recorded: only what comes out.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("SECRETS_PY_OUT", REPO / "target" / "secrets" / "python-shown.txt"))
OUT.parent.mkdir(parents=True, exist_ok=True)
_file = open(OUT, "w", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
_lock = threading.Lock()
_seen_reprs: set[str] = set()
_seen_excs: set[int] = set()


def _write(kind: str, text: str) -> None:
    with _lock:
        _file.write(f"=== {kind}\n{text}\n")
        _file.flush()


# -- log records, all levels --------------------------------------------------------------------
class _Recorder(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception as e:  # noqa: BLE001
            text = f"<unformattable record {record.msg!r}: {e!r}>"
        _write(f"log {record.levelname} {record.name}", text)


_handler = _Recorder(level=logging.DEBUG)
_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
logging.getLogger().addHandler(_handler)
logging.getLogger().setLevel(logging.DEBUG)
logging.getLogger("rds_iam").setLevel(logging.DEBUG)

# -- frames we watch: the tests, the test servers/helpers and rds_iam's Python layer -----------
_WATCH = (str(REPO / "python" / "tests"), str(REPO / "tests"), f"{os.sep}rds_iam{os.sep}")


def _watched(filename: str) -> bool:
    return filename.startswith(_WATCH[:2]) or _WATCH[2] in filename


def _is_ours(obj: Any) -> bool:
    mod = getattr(type(obj), "__module__", "") or ""
    return mod == "rds_iam" or mod.startswith("rds_iam.")


def _record_obj(obj: Any, where: str) -> None:
    try:
        text = f"repr: {obj!r}\nstr: {obj!s}"
    except Exception as e:  # noqa: BLE001
        text = f"<repr failed: {e!r}>"
    if text not in _seen_reprs:
        _seen_reprs.add(text)
        _write(f"object {type(obj).__qualname__} ({where})", text)


def _scan_value(v: Any, where: str, depth: int = 0) -> None:
    if _is_ours(v) and not isinstance(v, BaseException):
        _record_obj(v, where)
    elif depth < 1 and isinstance(v, (list, tuple, set, frozenset)):
        for x in list(v)[:50]:  # a list of 10 000 equal results shows the same repr
            _scan_value(x, where, depth + 1)
    elif depth < 1 and isinstance(v, dict):
        for x in list(v.values())[:50]:
            _scan_value(x, where, depth + 1)


# Protocol signals, not errors: StopIteration carries a generator's return value (a token, say).
_NOT_ERRORS = (StopIteration, StopAsyncIteration, GeneratorExit)


def _record_exc(exc: BaseException, where: str) -> None:
    if isinstance(exc, _NOT_ERRORS):
        return
    chain, e = [], exc
    while e is not None and len(chain) < 8:
        if id(e) in _seen_excs:
            break
        chain.append(e)
        e = e.__cause__ or e.__context__
    for e in chain:
        _seen_excs.add(id(e))
        try:
            # public attributes only: a driver's private state is not shown (psycopg's
            # OperationalError._pgconn repr holds the password; see tests/secrets/README.md)
            attrs = {k: v for k, v in vars(e).items() if not k.startswith("_")}
        except TypeError:
            attrs = {}
        try:
            text = f"str: {e!s}\nrepr: {e!r}\nargs: {e.args!r}\nattrs: {attrs!r}"
        except Exception as err:  # noqa: BLE001
            text = f"<str/repr failed: {err!r}>"
        _write(f"exception {type(e).__module__}.{type(e).__qualname__} ({where})", text)


def _local_tracer(frame: Any, event: str, arg: Any) -> Any:
    if event == "exception":
        _record_exc(arg[1], f"{frame.f_code.co_name} {Path(frame.f_code.co_filename).name}")
    elif event == "return":
        where = f"{frame.f_code.co_name} {Path(frame.f_code.co_filename).name}"
        _scan_value(arg, where)
        for v in list(frame.f_locals.values()):
            _scan_value(v, where)
    return _local_tracer


def _global_tracer(frame: Any, event: str, arg: Any) -> Any:
    if event == "call" and _watched(frame.f_code.co_filename):
        frame.f_trace_lines = False
        return _local_tracer
    return None


sys.settrace(_global_tracer)
threading.settrace(_global_tracer)

# -- what captured subprocesses printed (the CLI) -----------------------------------------------
_communicate = subprocess.Popen.communicate


def _recording_communicate(self: subprocess.Popen, *a: Any, **kw: Any) -> Any:  # type: ignore[type-arg]
    out, err = _communicate(self, *a, **kw)
    argv = list(self.args) if isinstance(self.args, (list, tuple)) else [self.args]
    # argv is INPUT (it may carry test secrets): only the program's name and the CLI's command
    # (which the scanner's allow-list keys on: `rds-iam token`, `python -m rds_iam token`) label
    # the output.
    head = [os.fspath(x) for x in argv[:4]]
    n = 4 if head[1:3] == ["-m", "rds_iam"] else 2
    label = " ".join([Path(head[0]).name, *head[1:n]])
    if Path(head[0]).name == "iamdb":
        # The iamdb harness's own `up`/`env`/`json` print its settings, the test key included,
        # for the fixtures: test infrastructure, not rds_iam output (the validator log, which IS
        # checked, is scanned separately).
        return out, err
    for name, data in (("stdout", out), ("stderr", err)):
        if data:
            text = data.decode("utf-8", "backslashreplace") if isinstance(data, bytes) else data
            _write(f"subprocess {name} argv={label}", text)
    return out, err


subprocess.Popen.communicate = _recording_communicate  # type: ignore[method-assign]


def pytest_runtest_logreport(report: Any) -> None:
    """A failing test's report (its assertion text) is shown output too."""
    if report.failed:
        _write(f"test report {report.nodeid} {report.when}", str(report.longrepr))


def pytest_unconfigure(config: Any) -> None:
    sys.settrace(None)
    threading.settrace(None)  # type: ignore[arg-type]
    _write("end", f"python plugin done; {len(_seen_reprs)} distinct rds_iam reprs recorded")
    _file.close()
