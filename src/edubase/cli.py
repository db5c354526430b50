"""The ``edubase`` console script: every management command behind one entry point.

``edubase crypto selftest``, ``edubase migrate``, ``edubase demo``, ``edubase serve`` …
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a Django management command with edubase's settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edubase.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "edubase"
    execute_from_command_line(args)


if __name__ == "__main__":  # pragma: no cover
    main()
