"""``edubase serve``: run the web application under gunicorn (production WSGI server)."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "以 gunicorn 运行 Web 控制台与 API"
    requires_system_checks = "__all__"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("EDUBASE_BIND", "127.0.0.1:8000"))
        # CPU-bound rendering: processes, not threads, use the cores (gunicorn's 2×cores+1 rule)
        default_workers = 2 * (os.cpu_count() or 1) + 1
        parser.add_argument("--workers", type=int, default=int(os.environ.get("EDUBASE_WORKERS", default_workers)))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("EDUBASE_THREADS", "2")))

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"edubase 控制台：http://{options['bind']}/  （API 文档：/api/v1/docs）")
        self.stdout.flush()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "edubase.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--access-logfile",
            "-",
            "--forwarded-allow-ips",
            os.environ.get("EDUBASE_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        ]
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with gunicorn
