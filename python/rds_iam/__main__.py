"""``python -m rds_iam`` and the ``rds-iam`` console script: the rds-iam command line."""

from __future__ import annotations

import sys

from rds_iam._native import cli_main

TYPE_CHECKING = False  # the command line starts faster without importing typing
if TYPE_CHECKING:
    from typing import Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the CLI with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    return cli_main(list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
