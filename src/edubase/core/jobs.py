"""Periodic jobs run by ``edubase worker`` (timers, outbox delivery, overdue sweeps).

Apps register their jobs in ``AppConfig.ready``; the worker runs each job when it is due, one at
a time, in its own process. Every job must be safe to run in several workers at once (the jobs
here claim their rows with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL) and must commit
its own work, so a killed worker loses nothing and repeats nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    run: Callable[[], object]
    every_s: float
    label: str
    next_at: float = 0.0


_JOBS: dict[str, Job] = {}


def register(name: str, run: Callable[[], object], *, every_s: float, label: str) -> None:
    """Register (or replace) a periodic job; ``run`` returns something printable (a count)."""
    _JOBS[name] = Job(name=name, run=run, every_s=every_s, label=label)


def registered() -> list[Job]:
    return sorted(_JOBS.values(), key=lambda j: j.name)


def run_due(now: float | None = None, *, only: set[str] | None = None) -> list[tuple[Job, object]]:
    """Run every job that is due (each at most once); a failing job is logged, the others still run."""
    now = time.monotonic() if now is None else now
    results: list[tuple[Job, object]] = []
    for job in registered():
        if (only and job.name not in only) or job.next_at > now:
            continue
        job.next_at = now + job.every_s
        try:
            results.append((job, job.run()))
        except Exception as exc:
            logger.exception("job %s failed", job.name)
            results.append((job, exc))
    return results
