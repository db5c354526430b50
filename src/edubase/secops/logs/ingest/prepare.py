"""The ingest worker's prepare process (ADR 0011): its entry point imports nothing of Django's
models before ``django.setup()``, as a spawned process must."""

from __future__ import annotations

from typing import Any


def main(spool_dir: str, batch: int, idle_s: float, parent: int, conn: Any) -> None:
    """Set Django up, then run ``server.prepare_loop`` (see there)."""
    import django

    django.setup()
    from edubase.secops.logs.ingest.server import prepare_loop

    prepare_loop(spool_dir, batch, idle_s, parent, conn)
