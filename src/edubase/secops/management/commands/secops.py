"""``edubase secops publish`` (notice process, bundled rules), ``sweep`` (overdue notices), ``rule-tests``."""

from __future__ import annotations

import datetime as dt
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone


class Command(BaseCommand):
    help = "网络安全：发布通报整改流程、超期通报升级督办 / secops maintenance"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("publish", help="发布随 edubase 提供的通报整改流程与内置检测规则（已是最新则跳过）")
        sweep = sub.add_parser("sweep", help="标记超期通报并逐级升级督办（每级只升级一次）")
        sweep.add_argument("--now", default="", metavar="ISO 时间", help="以该时间为当前时间（测试与补跑用）")
        sweep.add_argument("--loop", type=float, default=0, metavar="SECONDS", help="每隔 SECONDS 秒重复一次")
        sweep.add_argument("--limit", type=int, default=500)
        tests = sub.add_parser("rule-tests", help="运行检测规则的测试用例（日志行输入 → 预期告警），失败时退出码 1")
        tests.add_argument("--dir", default="", help="规则与 *.test.yml 所在目录（默认：内置规则）")
        tests.add_argument("--dialect", choices=["duckdb", "clickhouse"], default="duckdb")

    def handle(self, *args: Any, **options: Any) -> None:
        from edubase.secops import notices

        if options["action"] == "rule-tests":
            from edubase.secops.logs.sigma import ruletest

            results = (
                ruletest.run(options["dir"], dialect=options["dialect"])
                if options["dir"]
                else ruletest.run_all(dialect=options["dialect"])
            )
            failed = [r for r in results if not r.passed]
            for r in results:
                mark = "通过" if r.passed else "失败"
                self.stdout.write(f"[{mark}] {r.rule} · {r.case}：预期 {r.expected}，实际 {r.got} {r.detail}".rstrip())
            self.stdout.write(f"共 {len(results)} 个用例，通过 {len(results) - len(failed)} 个，失败 {len(failed)} 个")
            if failed or not results:
                raise CommandError("检测规则测试未全部通过")
            return
        if options["action"] == "publish":
            with transaction.atomic():
                definition = notices.publish_process(actor=None)
            if definition is None:
                self.stdout.write(f"流程 {notices.PROCESS_KEY} 已是最新版本")
            else:
                self.stdout.write(f"已发布流程 {definition.key} v{definition.version}")
            from edubase.secops.logs.sigma import packs

            report = packs.import_bundled(actor=None)
            self.stdout.write(
                f"内置检测规则：新增 {report['imported']} 条，更新 {report['updated']} 条，"
                f"无法运行 {len(report['failed'])} 条（共 {report['total']} 条）"
            )
            return
        now = None
        if options["now"]:
            try:
                now = dt.datetime.fromisoformat(options["now"])
            except ValueError as exc:
                raise CommandError(f"--now “{options['now']}”不是有效的 ISO 时间，例如 2026-05-01T09:00") from exc
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        if options["loop"] < 0:
            raise CommandError("--loop 必须是非负秒数")
        while True:
            made = notices.escalate_overdue(now, limit=options["limit"])
            self.stdout.write(f"超期通报升级督办 {made} 次")
            if not options["loop"]:
                return
            time.sleep(options["loop"])
