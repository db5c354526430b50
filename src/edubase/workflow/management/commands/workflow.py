"""``edubase workflow publish-shipped`` and ``edubase workflow fire-timers [--loop SECONDS]``."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "审批流程：发布内置流程定义、触发到期定时器 / workflow maintenance"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("publish-shipped", help="发布随 edubase 提供的流程定义（已是最新则跳过）")
        fire = sub.add_parser("fire-timers", help="触发到期的定时器（催办、超期升级）")
        fire.add_argument("--loop", type=float, default=0, metavar="SECONDS", help="每隔 SECONDS 秒重复一次")
        fire.add_argument("--limit", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        from edubase.workflow import services, timers

        if options["action"] == "publish-shipped":
            with transaction.atomic():
                published = services.publish_shipped(actor=None)
            for definition in published:
                self.stdout.write(f"已发布 {definition.key} v{definition.version}")
            if not published:
                self.stdout.write("内置流程定义均已是最新版本")
            return
        loop = options["loop"]
        if loop < 0:
            raise CommandError("--loop 必须是非负秒数")
        while True:
            fired = timers.fire_due_timers(limit=options["limit"])
            self.stdout.write(f"触发定时器 {fired} 个")
            if not loop:
                return
            time.sleep(loop)
