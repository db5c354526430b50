"""``edubase datagov_pool``: submit a roster file, run the quality rules, print the contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from edubase.accounts.models import User
from edubase.datagov.pool import contracts, services
from edubase.orgs.models import Org


class Command(BaseCommand):
    help = "数据汇聚：报送花名册（submit）、运行质量评估（quality）、输出采集规范（contract）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        submit = sub.add_parser("submit", help="以某用户身份报送一所学校的花名册文件")
        submit.add_argument("--user", required=True)
        submit.add_argument("--school", required=True, help="学校标识码")
        submit.add_argument("file", type=Path)
        quality = sub.add_parser("quality", help="对汇聚库运行全部质量规则并保存得分")
        quality.add_argument("--user", help="默认以系统身份运行")
        sub.add_parser("contract", help="以 JSON 输出采集规范")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "contract":
            self.stdout.write(json.dumps(contracts.describe(), ensure_ascii=False, indent=2))
            return
        actor: Any = "system"
        if options.get("user"):
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"用户 {options['user']} 不存在")
        with transaction.atomic():
            if verb == "submit":
                school = Org.objects.filter(code=options["school"]).first()
                if school is None:
                    raise CommandError(f"学校标识码 {options['school']} 不存在")
                path: Path = options["file"]
                result = services.submit_file(actor=actor, school=school, filename=path.name, data=path.read_bytes())
                sub = result.submission
                if result.duplicate:
                    self.stdout.write("同一文件此前已入库，未作改动")
                elif sub.status == "accepted":
                    self.stdout.write(
                        f"已入库（{sub.encoding}）：新增 {sub.created}，更新 {sub.updated}，未变化 {sub.unchanged}"
                    )
                else:
                    for e in sub.errors[:50]:
                        self.stdout.write(f"第 {e['row']} 行「{e['column']}」{e['value']}：{e['reason']}")
                    raise CommandError(f"未入库：{len(sub.errors)} 处问题")
            else:
                run = services.run_quality(actor=actor)
                self.stdout.write(f"质量评估完成：{run.rows} 行，{run.scores.count()} 个机构，{run.seconds:.2f} 秒")
