"""``edubase workflow publish-shipped``, ``fire-timers [--loop SECONDS]`` and ``migrate-instances KEY``."""

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
        mig = sub.add_parser("migrate-instances", help="把运行中的案件迁移到流程的新版本（仅在安全时）")
        mig.add_argument("key", help="流程标识，如 generic_approval")
        mig.add_argument("--to", type=int, default=None, metavar="VERSION", help="目标版本（默认最新）")
        mig.add_argument("--instance", type=int, action="append", default=None, help="只迁移这些案件（可重复）")
        mig.add_argument("--dry-run", action="store_true", help="只报告，不修改")

    def handle(self, *args: Any, **options: Any) -> None:
        from edubase.workflow import migration, services, timers

        if options["action"] == "migrate-instances":
            from edubase.core.errors import DomainError

            try:
                results = migration.migrate_all(
                    options["key"],
                    actor=None,
                    version=options["to"],
                    dry_run=options["dry_run"],
                    instance_ids=options["instance"],
                )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
            moved = 0
            for r in results:
                if r.migrated:
                    moved += 1
                    self.stdout.write(f"案件 {r.instance}：v{r.from_version} → v{r.to_version} 已迁移")
                elif r.reason:
                    self.stdout.write(f"案件 {r.instance}：未迁移 — {r.reason}")
                else:
                    added = "、".join(r.added_steps) or "无"
                    self.stdout.write(
                        f"案件 {r.instance}：可以迁移 v{r.from_version} → v{r.to_version}（新增步骤：{added}）"
                    )
            self.stdout.write(f"运行中案件 {len(results)} 个，已迁移 {moved} 个")
            return
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
