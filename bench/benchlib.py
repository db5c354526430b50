"""Helpers shared by the bench scripts: percentiles, timing, and a fresh Django environment."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"


def pct(samples: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    """Milliseconds of ``runs`` calls of ``fn`` after one warm-up call."""
    fn()  # warm
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def django_env(name: str) -> str:
    """Point edubase at ``bench/.data/<name>-<database>`` (a fresh SQLite file, or the PostgreSQL
    database EDUBASE_DATABASE_URL names), set Django up and migrate; returns the database kind."""
    database = "postgresql" if os.environ.get("EDUBASE_DATABASE_URL") else "sqlite"
    var_dir = DATA / f"{name}-{database}"
    if database == "sqlite" and var_dir.exists():
        shutil.rmtree(var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["EDUBASE_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edubase.settings")
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return database
