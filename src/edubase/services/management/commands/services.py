"""``edubase services publish``: publish the service processes and install the catalogue."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "政务服务：发布办理流程并安装事项清单 / publish service processes and the catalogue"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("publish", help="发布随 edubase 提供的办理流程，安装事项清单（已是最新则跳过）")

    def handle(self, *args: Any, **options: Any) -> None:
        from edubase.services import catalogue

        with transaction.atomic():
            published = catalogue.publish_processes(actor=None)
            items = catalogue.install_catalogue()
        for definition in published:
            self.stdout.write(f"已发布流程 {definition.key} v{definition.version}")
        for item in items:
            self.stdout.write(f"事项 {item.code} {item.name}（{item.org.name}）")
        if not items:
            self.stdout.write("没有省级机构，未安装事项清单")
