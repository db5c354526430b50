"""``edubase cert``: verify a certificate (file, URL, identifier), publish status lists, sign
approved batches, publish the batch approval process.

``edubase cert verify FILE|URL|IDENTIFIER`` prints the per-check report (Chinese and English) and
exits 0 when valid, 1 when not: the same code as the API and the public page (``verification``).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

#: a local file larger than this is refused before reading (the verifier's own bound is lower)
MAX_FILE = 6 * 1024 * 1024


class Command(BaseCommand):
    help = "电子证照：核验、发布状态列表、签发已批准批次 / e-certificates: verify, publish status, sign batches"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="核验证照文件（PDF/JSON/JWS）、核验链接或证照标识")
        verify.add_argument("target", help="文件路径、核验链接（/v/<标识>?d=…）、证照标识或离线码")
        verify.add_argument("--json", action="store_true", help="输出 JSON 报告")
        sub.add_parser("publish-status", help="发布所有待发布的状态列表")
        sub.add_parser("sign-batches", help="签发所有已批准（或中断）的批次")
        sub.add_parser("publish-process", help="发布批量签发审批流程")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "verify":
            self._verify(options["target"], as_json=options["json"])
        elif action == "publish-status":
            from edubase.credentials.status_publish import publish_dirty

            self.stdout.write(f"已发布状态列表 {publish_dirty(limit=100000)} 个")
        elif action == "sign-batches":
            from edubase.credentials.issuance import sign_due_batches

            self.stdout.write(f"已签发证照 {sign_due_batches()} 份")
        elif action == "publish-process":
            from edubase.credentials.issuance import publish_process

            definition = publish_process(actor=None)
            self.stdout.write(f"已发布流程 v{definition.version}" if definition else "流程已是最新")

    def _verify(self, target: str, *, as_json: bool) -> None:
        from edubase.credentials import verification

        path = Path(target)
        data: bytes | str
        if len(target) < 4096 and path.is_file():
            if path.stat().st_size > MAX_FILE:
                raise CommandError(f"文件过大（超过 {MAX_FILE // 1024 // 1024} MB）")
            data = path.read_bytes()
        else:
            data = target
        report = verification.verify_input(data, channel="cli", actor="cli")
        result = report.to_dict()
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(f"{result['summary_zh']} / {result['summary_en']}")
            if result["identifier"]:
                self.stdout.write(f"证照标识 / identifier: {result['identifier']}")
            for check in result["checks"]:
                mark = {True: "✔", False: "✘", None: "–"}[check["ok"]]
                self.stdout.write(
                    f"  {mark} {check['label_zh']} / {check['label_en']}: {check['message_zh']} / {check['message_en']}"
                )
        if not report.valid:
            raise SystemExit(1)
