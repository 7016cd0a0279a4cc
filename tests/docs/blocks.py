"""The fenced code blocks of the documentation pages, with the language and mark each carries.

A block's info string is its language, optionally followed by ``no-run: <reason>``
(```` ```sh no-run: installs from PyPI ````). Rust blocks use rustdoc's own attributes instead
(```` ```rust,no_run ````): those pages are compiled as doctests (core/src/lib.rs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: The pages whose blocks must run: what a user reads first and the registry pages.
FIXED_PAGES = (
    "README.md",
    "python/README.md",
    "node/README.md",
    "core/README.md",
    "CONTRIBUTING.md",
)

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_NO_RUN = re.compile(r"\bno-run:\s*(?P<reason>\S.*)$")


@dataclass(frozen=True)
class Block:
    """One fenced code block: where it is, its language and its text."""

    page: str  # path relative to the repository
    line: int  # 1-based line of the opening fence
    info: str  # the whole info string
    code: str

    @property
    def lang(self) -> str:
        """The language: the info string's first word (rustdoc's `rust,no_run` gives `rust`)."""
        first = self.info.split(None, 1)[0] if self.info.strip() else ""
        return first.split(",", 1)[0].lower()

    @property
    def no_run_reason(self) -> str | None:
        """The reason after ``no-run:``, or None when the block is meant to run."""
        m = _NO_RUN.search(self.info)
        return m.group("reason").strip() if m else None

    @property
    def rustdoc_attrs(self) -> set[str]:
        """rustdoc's attributes (`no_run`, `ignore`, …) of a Rust block."""
        first = self.info.split(None, 1)[0] if self.info.strip() else ""
        return set(first.split(",")[1:])

    @property
    def where(self) -> str:
        """`page:line`, for messages."""
        return f"{self.page}:{self.line}"


def pages(repo: Path = REPO) -> list[str]:
    """Every page whose blocks are checked: the fixed ones that exist, and docs/*.md."""
    found = [p for p in FIXED_PAGES if (repo / p).is_file()]
    found += sorted(str(p.relative_to(repo)) for p in (repo / "docs").glob("*.md"))
    return found


def blocks(page: str, repo: Path = REPO) -> list[Block]:
    """The fenced blocks of one page, in order. An unclosed fence is an error."""
    lines = (repo / page).read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info, start = m.group("fence"), m.group("info").strip(), i
        body: list[str] = []
        i += 1
        while i < len(lines) and not (
            lines[i].strip().startswith(fence) and lines[i].strip().strip(fence[0]) == ""
        ):
            body.append(lines[i][len(m.group("indent")) :] if m.group("indent") else lines[i])
            i += 1
        if i == len(lines):
            raise ValueError(f"{page}:{start + 1}: a code fence is never closed")
        out.append(Block(page, start + 1, info, "\n".join(body) + "\n"))
        i += 1
    return out
