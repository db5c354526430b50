"""``edubase workflow_outbox deliver [--loop SECONDS] [--limit N]``: send due webhook deliveries."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "事件发件箱：向订阅方推送到期的案件事件（HMAC-SM3 签名，失败按指数退避重试）"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        deliver = sub.add_parser("deliver", help="推送到期的事件")
        deliver.add_argument("--loop", type=float, default=0, metavar="SECONDS", help="每隔 SECONDS 秒重复一次")
        deliver.add_argument("--limit", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        from edubase.workflow import outbox

        loop = options["loop"]
        if loop < 0:
            raise CommandError("--loop 必须是非负秒数")
        while True:
            # each claim and each outcome is its own short transaction: a POST never holds a lock
            attempts = outbox.deliver_due(limit=options["limit"])
            ok = sum(a.ok for a in attempts)
            self.stdout.write(f"推送 {len(attempts)} 个：成功 {ok} 个，失败 {len(attempts) - ok} 个")
            if not loop:
                return
            time.sleep(loop)
