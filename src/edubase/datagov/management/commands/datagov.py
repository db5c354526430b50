"""``edubase datagov load-reference`` (code tables, data elements, default grading rules),
``scan SOURCE --user NAME`` (scan a registered source as that user), ``sources``, ``export``."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from edubase.core.errors import DomainError


class Command(BaseCommand):
    help = "数据治理：载入参考数据、扫描数据源、导出数据目录 / data catalogue maintenance"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("load-reference", help="载入代码表（GB/T 2261.1、GB 3304、GB/T 4762、GB/T 2260）与 JY/T 数据元")
        sources = sub.add_parser("sources", help="列出某用户可见的数据源")
        sources.add_argument("--user", required=True, help="以该用户身份（按其权限范围）")
        scan = sub.add_parser("scan", help="扫描数据源（名称或编号），写入数据目录；失败时不写入任何内容")
        scan.add_argument("source", help="数据源名称或编号")
        scan.add_argument("--user", required=True, help="以该用户身份扫描（须有 datagov.change 权限）")
        scan.add_argument("--table", action="append", default=[], help="只扫描该表（可重复）")
        export = sub.add_parser("export", help="导出数据目录或重要数据目录")
        export.add_argument("--user", required=True)
        export.add_argument("--list", choices=["catalogue", "important"], default="catalogue")
        export.add_argument("--format", choices=["xlsx", "json"], default="xlsx")
        export.add_argument("--out", required=True, help="输出文件路径")

    def handle(self, *args: Any, **options: Any) -> None:
        from edubase.datagov import exports, selectors, services

        try:
            with transaction.atomic():
                if options["action"] == "load-reference":
                    summary = services.load_reference(actor=None)
                    for slug, table in summary["tables"].items():
                        state = "已载入新版本" if table["loaded"] else "内容未变，跳过"
                        self.stdout.write(f"{slug}: {table['version']}，{table['items']} 项（{state}）")
                    rules = "已初始化" if summary["rules_seeded"] else "已存在"
                    self.stdout.write(f"数据元 {summary['elements']} 个；默认分级规则{rules}")
                    return
                actor = self._user(options["user"])
                if options["action"] == "sources":
                    for source in selectors.sources_for(actor):
                        self.stdout.write(f"{source.pk}  {source.name}  {source.get_kind_display()}  {source.org.name}")
                    return
                if options["action"] == "export":
                    fn = exports.export_important if options["list"] == "important" else exports.export_catalogue
                    result = fn(actor=actor, fmt=options["format"])
                    Path(options["out"]).write_bytes(result.content)
                    self.stdout.write(f"已导出 {options['out']}（{len(result.content)} 字节）")
                    return
                source = self._source(actor, options["source"])
                report = services.scan_source(actor=actor, source=source, tables=options["table"] or None)
                for t in report.tables:
                    encoding = f"，编码 {t.encoding}" if t.encoding else ""
                    self.stdout.write(
                        f"{t.table}: {t.rows} 行，{t.fields} 个字段，个人信息 {t.personal}，敏感 {t.sensitive}，"
                        f"待复核 {t.needs_review}，级别 {t.grade}{encoding}"
                    )
        except DomainError as error:
            raise CommandError(error.message) from error

    def _user(self, username: str) -> Any:
        from edubase.accounts.models import User

        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"用户不存在：{username}")
        return user

    def _source(self, actor: Any, name: str) -> Any:
        from edubase.datagov import selectors

        found = selectors.sources_for(actor).filter(name=name)
        if found.count() == 1:
            return found.get()
        if found.count() > 1:
            raise CommandError(f"有多个名为「{name}」的数据源，请改用编号")
        return selectors.get_source(actor, name)
