"""``edubase export schools FILE.xlsx [--as USERNAME]``: write what the actor may see as XLSX.

The exporters live in the domain apps (above core in the layering), so they are named
here by dotted path and loaded when the command runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.module_loading import import_string

from edubase.core import context
from edubase.core.errors import DomainError

EXPORTERS = {
    "schools": "edubase.orgs.imports.export_schools",
    "people": "edubase.people.imports.export_people",
}


def resolve_cli_actor(username: str | None) -> Any:
    """The user a CLI command acts as: ``--as USERNAME``, else the first active superuser."""
    users = get_user_model().objects.filter(is_active=True)
    if username:
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户“{username}”不存在或已停用，请检查 --as 参数")
        return user
    user = users.filter(is_superuser=True).order_by("pk").first()
    if user is None:
        raise CommandError(
            "系统中没有可用的超级管理员账号：请用 --as 用户名 指定以哪个账号的权限执行，"
            "或先运行 edubase createsuperuser"
        )
    return user


def os_error_reason(exc: OSError) -> str:
    """A Chinese reason for a file that could not be read or written."""
    if isinstance(exc, FileNotFoundError):
        return "文件或目录不存在"
    if isinstance(exc, PermissionError):
        return "没有访问权限"
    if isinstance(exc, IsADirectoryError):
        return "这是一个目录，不是文件"
    return f"系统错误（{exc.strerror or type(exc).__name__}）"


@contextmanager
def cli_context() -> Iterator[None]:
    """Mark audit records written by the command as coming from the CLI, with a fresh request id."""
    token = context.set_current(context.RequestContext(uuid.uuid4().hex, "", "cli"))
    try:
        yield
    finally:
        context.reset(token)


class Command(BaseCommand):
    help = "导出：edubase export schools 文件.xlsx [--as 用户名]（按该账号的管辖范围导出）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(EXPORTERS), help="导出内容：schools（学校）或 people（人员）")
        parser.add_argument("file", help="输出文件路径（.xlsx）")
        parser.add_argument("--as", dest="as_user", default=None, help="以该用户的权限导出（默认：第一个超级管理员）")
        parser.add_argument("--prefecture", default=None, help="只导出该地市（GB/T 2260 代码，如 410100）")
        parser.add_argument("--county", default=None, help="只导出该县区（GB/T 2260 代码，如 410102）")
        parser.add_argument("--category", default=None, help="只导出该类别（学校类别码，如 21）")

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["file"])
        if target.suffix.lower() != ".xlsx":
            raise CommandError("输出文件应以 .xlsx 结尾")
        try:
            exporter = import_string(EXPORTERS[options["kind"]])
        except ImportError as exc:
            raise CommandError(f"暂不支持导出“{options['kind']}”") from exc
        filters = {k: options[k] for k in ("prefecture", "county", "category") if options[k]}
        if filters and options["kind"] != "schools":
            raise CommandError("--prefecture/--county/--category 只适用于导出学校")
        actor = resolve_cli_actor(options["as_user"])
        with cli_context(), transaction.atomic():
            try:
                data = exporter(actor=actor, **filters)
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        try:
            target.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"无法写入文件 {target}：{os_error_reason(exc)}") from exc
        self.stdout.write(f"已导出到 {target}（{len(data)} 字节），导出范围为用户“{actor.get_username()}”的管辖范围")
