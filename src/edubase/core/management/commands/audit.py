"""``edubase audit verify``: walk the audit chain and report the first broken link."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from edubase.core import audit


class Command(BaseCommand):
    help = "审计日志工具：verify 校验审计链完整性（发现篡改或删除时退出码为 1）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=argparse.ArgumentParser)
        sub.add_parser("verify", help="按顺序校验全部审计记录的链式校验值，报告第一处断裂")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            result = audit.verify()
        if result.ok:
            self.stdout.write(f"已校验 {result.checked} 条审计记录：审计链完整，未发现篡改或删除。")
            return
        where = f"审计记录 #{result.first_bad_id}" if result.first_bad_id is not None else "审计链"
        self.stdout.write(f"已校验 {result.checked} 条审计记录。")
        self.stderr.write(f"审计链校验失败：{where} 处断裂（{result.reason}）。该记录或其前后记录已被修改或删除。")
        raise SystemExit(1)
