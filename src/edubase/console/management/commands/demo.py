"""``edubase demo``: build the demo province (idempotent), print the demo logins, serve the console.

It lives in the console app, the top layer, because the build writes orgs, people and
accounts (see ``edubase.demo``).
"""

from __future__ import annotations

import io
import os
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rich.console import Console
from rich.table import Table

from edubase.core import context
from edubase.demo import DEFAULT_SCALE, DEFAULT_SEED, DemoReport, build_demo
from edubase.demo.plan import MAX_SCALE

_LABELS = {
    "key_nodes": "密钥节点",
    "orgs": "机构节点",
    "schools": "学校",
    "persons": "人员",
    "enrolments": "学籍",
    "employments": "任职",
    "roles": "角色",
    "users": "用户",
    "assignments": "授权",
    "passwords_reset": "重置密码",
    "secops_systems": "信息系统",
    "secops_assets": "信息资产",
    "secops_findings": "漏洞",
    "secops_notices": "通报",
    "secops_incidents": "安全事件与演练",
    "secops_log_events": "日志事件",
    "secops_alerts": "告警",
    "datagov_sources": "数据源",
    "datagov_datasets": "数据集",
    "datagov_reviews": "复核字段",
    "datagov_published": "发布数据集",
    "datagov_share_requests": "共享申请",
    "datagov_extracts": "脱敏数据文件",
    "datagov_pool_submissions": "花名册报送",
    "datagov_quality_runs": "质量评估",
}


class Command(BaseCommand):
    help = "构建演示省份（河南省，可重复执行），打印演示账号，然后启动控制台"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=int,
            default=DEFAULT_SCALE,
            help=f"学校数量（每校约 20 人；默认 {DEFAULT_SCALE}，最大 {MAX_SCALE}）",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="随机种子（相同种子生成相同数据）")
        parser.add_argument("--no-serve", action="store_true", help="只构建，不启动控制台")
        parser.add_argument(
            "--bind", default=os.environ.get("EDUBASE_BIND", "127.0.0.1:8000"), help="控制台监听地址 HOST:PORT"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scale: int = options["scale"]
        if not 1 <= scale <= MAX_SCALE:
            raise CommandError(f"--scale 应在 1 到 {MAX_SCALE} 之间（当前为 {scale}）")
        verbosity: int = options["verbosity"]
        self._migrate_if_needed(verbosity)
        token = context.set_current(context.RequestContext(channel="cli"))
        try:
            report = build_demo(scale=scale, seed=options["seed"], progress=self._progress(verbosity))
        finally:
            context.reset(token)
        self.stdout.write(self._render(report))
        if not options["no_serve"]:
            if not any(settings.STATIC_ROOT.iterdir()):
                call_command("collectstatic", interactive=False, verbosity=0)
            call_command("serve", bind=options["bind"])

    def _migrate_if_needed(self, verbosity: int) -> None:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stdout.write("数据库尚未迁移，先执行 migrate …")
            call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))

    def _progress(self, verbosity: int) -> Any:
        started = time.monotonic()

        def say(message: str) -> None:
            if verbosity >= 1:
                self.stderr.write(f"[{time.monotonic() - started:7.1f}s] {message}", style_func=lambda text: text)

        return say

    def _render(self, report: DemoReport) -> str:
        buffer = io.StringIO()
        console = Console(file=buffer, width=120, color_system=None, highlight=False)
        summary = "，".join(f"{_LABELS.get(k, k)} {v:,}" for k, v in report.created.items() if v)
        console.print(
            f"演示省份已就绪（规模 {report.scale:,} 所学校，种子 {report.seed}，用时 {report.seconds:.1f} 秒）"
        )
        console.print(f"本次新建：{summary or '无（已是最新）'}")
        totals = report.totals
        console.print(
            f"现有：机构 {totals['orgs']:,}，学校 {totals['schools']:,}，人员 {totals['persons']:,}"
            f"（在籍学生 {totals['enrolments']:,}，在职教职工 {totals['employments']:,}），用户 {totals['users']:,}"
        )
        table = Table(title="演示账号（仅用于演示环境）")
        for header in ("用户名", "角色", "机构", "密码"):
            table.add_column(header)
        for c in report.credentials:
            table.add_row(c.username, c.role, c.org, c.password)
        console.print(table)
        console.print(f"账号与密码已写入 {report.credentials_path}（权限 0600）")
        return buffer.getvalue().rstrip("\n")
