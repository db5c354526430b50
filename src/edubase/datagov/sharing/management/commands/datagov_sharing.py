"""``edubase datagov_sharing publish | sweep | trace FILE | verify NUMBER``: sharing and life-cycle verbs."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "数据共享与生命周期：发布审批流程、到期处置、泄露溯源、删除证明验签"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("publish", help="发布数据共享审批流程（已是最新则跳过）")
        sub.add_parser("sweep", help="停用到期授权的接口令牌，按保存期限归档到期数据集")
        trace = sub.add_parser("trace", help="找出疑似泄露文件（XLSX/CSV）的共享授权与接收人")
        trace.add_argument("file")
        verify = sub.add_parser("verify", help="验证删除证明的 SM2 签名")
        verify.add_argument("number")

    def handle(self, *args: Any, **options: Any) -> None:
        from edubase.datagov.sharing import lifecycle, services
        from edubase.datagov.sharing.models import DeletionCertificate

        action = options["action"]
        if action == "publish":
            with transaction.atomic():
                definition = services.publish_process(actor=None)
            self.stdout.write(f"已发布流程 {definition.key} v{definition.version}" if definition else "流程已是最新")
        elif action == "sweep":
            tokens = services.sweep_expired()
            archived = lifecycle.sweep_retention()
            self.stdout.write(f"停用接口令牌 {tokens} 个，归档数据集 {archived} 个")
        elif action == "trace":
            path = Path(options["file"])
            if not path.is_file():
                raise CommandError(f"文件不存在：{path}")
            grant, result = services.identify_leak(path.read_bytes(), path.name)
            if grant is None:
                self.stdout.write(f"未识别到水印（检查 {result.checked_rows} 行）")
            else:
                self.stdout.write(
                    f"来自共享授权 {grant.request.number}：接收单位 {grant.recipient_org.name}（{grant.recipient}），"
                    f"依据 {result.method}，{result.matched_rows}/{result.checked_rows} 行吻合"
                )
        elif action == "verify":
            certificate = DeletionCertificate.objects.filter(number=options["number"]).first()
            if certificate is None:
                raise CommandError(f"删除证明不存在：{options['number']}")
            ok = lifecycle.verify_certificate(certificate)
            self.stdout.write(("签名有效" if ok else "签名无效") + f"：{certificate.number} {certificate.dataset_name}")
            if not ok:
                raise CommandError("删除证明签名验证失败")
