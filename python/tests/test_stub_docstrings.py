"""IDE hovers read `_native.pyi`, `help()` reads the runtime `__doc__`: both say the same thing
(issue 34). Every public class, method, property and function of `rds_iam._native` has a
docstring in the stub, equal to its runtime one up to line wrapping. `__new__`'s runtime doc is
PyO3's generic one, so the stub's own (the constructor's arguments) is only required to exist."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any, Optional

import rds_iam._native as native

STUB = Path(native.__file__).with_name("_native.pyi")  # the installed stub, what IDEs read


def words(doc: Optional[str]) -> str:
    """The text with its line wrapping and indentation ignored."""
    return " ".join((doc or "").split())


def stub_docs() -> dict[str, Optional[str]]:
    """`Class`, `Class.member` and `function` -> the stub's docstring (None when it has none)."""
    tree = ast.parse(STUB.read_text())
    out: dict[str, Optional[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            out[node.name] = ast.get_docstring(node)
            for member in node.body:
                if isinstance(member, ast.FunctionDef):
                    out[f"{node.name}.{member.name}"] = ast.get_docstring(member)
        elif isinstance(node, ast.FunctionDef):
            out[node.name] = ast.get_docstring(node)
    return out


def runtime_public() -> dict[str, Any]:
    """Every public class, member and function at runtime, by the stub's spelling."""
    out: dict[str, Any] = {}
    for name in native.__all__:
        obj = getattr(native, name)
        if inspect.isclass(obj):
            out[name] = obj
            for member, value in vars(obj).items():
                if not member.startswith("_") or member in ("__new__", "__exit__"):
                    out[f"{name}.{member}"] = value
        elif callable(obj):
            out[name] = obj
    return out


def test_every_public_item_has_the_runtime_docstring_in_the_stub() -> None:
    stubs = stub_docs()
    runtime = runtime_public()
    assert {"Signer", "Signer.token", "Signer.dsn", "Signer.port", "sign", "Proxy.url"} <= set(
        runtime
    )
    # A class without a constructor (TokenInfo) has PyO3's __new__ that raises: no stub entry.
    missing = sorted(n for n in set(runtime) - set(stubs) if not n.endswith(".__new__"))
    assert not missing, f"in rds_iam._native but not in _native.pyi: {missing}"
    for name, obj in runtime.items():
        if name not in stubs:
            continue
        stub = stubs[name]
        assert stub, f"_native.pyi: {name} has no docstring (IDE hovers show nothing)"
        if name.endswith(".__new__"):
            continue  # PyO3's "Create and return a new object": the stub documents the arguments
        assert words(stub) == words(obj.__doc__), (
            f"_native.pyi's docstring of {name} differs from the runtime one; copy "
            f"{obj.__doc__!r} into the stub (or change both)"
        )
