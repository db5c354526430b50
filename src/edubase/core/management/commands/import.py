"""``edubase import schools|people FILE [--as USERNAME]``: all-or-nothing spreadsheet import.

The importers live in the domain apps (above core in the layering), so they are named
here by dotted path and loaded when the command runs. On rejection every problem is
printed (row, column, reason) and the exit status is 1; nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.module_loading import import_string

from edubase.core.errors import DomainError
from edubase.core.management.commands.export import cli_context, os_error_reason, resolve_cli_actor
from edubase.core.tabular import ImportRejected

IMPORTERS = {
    "schools": "edubase.orgs.imports.import_schools",
    "people": "edubase.people.imports.import_people",
}


class Command(BaseCommand):
    help = "批量导入：edubase import schools|people 文件(.xlsx/.csv) [--as 用户名]（全部校验通过才写入）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTERS), help="导入内容：schools（学校）或 people（人员）")
        parser.add_argument("file", help="XLSX 或 CSV（UTF-8 或 GBK）文件")
        parser.add_argument("--as", dest="as_user", default=None, help="以该用户的权限导入（默认：第一个超级管理员）")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["file"])
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {source}：{os_error_reason(exc)}") from exc
        try:
            importer = import_string(IMPORTERS[options["kind"]])
        except ImportError as exc:
            raise CommandError(f"暂不支持导入“{options['kind']}”") from exc
        actor = resolve_cli_actor(options["as_user"])
        try:
            with cli_context(), transaction.atomic():
                report = importer(actor=actor, data=data, filename=source.name)
        except ImportRejected as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            self.stderr.write(exc.message)
            raise SystemExit(1) from exc
        except DomainError as exc:
            self.stderr.write(f"导入失败：{exc.message}；未写入任何数据")
            raise SystemExit(1) from exc
        parts = [f"新建 {report.created} 条", f"更新 {report.updated} 条"]
        if getattr(report, "unchanged", None) is not None:
            parts.append(f"未变化 {report.unchanged} 条")
        encoding = getattr(report, "encoding", "")
        suffix = f"（文件编码：{encoding}）" if encoding and encoding != "xlsx" else ""
        self.stdout.write(f"导入完成：{'，'.join(parts)}{suffix}")
