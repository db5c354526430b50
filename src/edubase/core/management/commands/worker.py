"""``edubase worker``: run the registered periodic jobs (timers, outbox, sweeps) until stopped."""

from __future__ import annotations

import signal
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "后台任务：到期定时器、事件推送、超期升级等周期任务 / run periodic jobs"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="每个任务运行一次后退出")
        parser.add_argument("--tick", type=float, default=1.0, metavar="SECONDS", help="检查间隔（秒）")
        parser.add_argument("--only", action="append", default=None, metavar="JOB", help="只运行这些任务（可重复）")
        parser.add_argument("--list", action="store_true", help="列出已注册的任务")

    def handle(self, *args: Any, **options: Any) -> None:
        from edubase.core import jobs

        if options["list"]:
            for job in jobs.registered():
                self.stdout.write(f"{job.name}\t每 {job.every_s:g} 秒\t{job.label}")
            return
        only = set(options["only"]) if options["only"] else None
        stopping = {"now": False}

        def stop(signum: int, _frame: Any) -> None:
            stopping["now"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"后台任务已启动：{'、'.join(j.label for j in jobs.registered())}")
        while not stopping["now"]:
            for job, result in jobs.run_due(only=only):
                if isinstance(result, Exception):
                    self.stderr.write(f"{job.label} 失败：{result}")
                elif result:
                    self.stdout.write(f"{job.label}：{result}")
            if options["once"]:
                return
            time.sleep(options["tick"])
        self.stdout.write("后台任务已停止")
