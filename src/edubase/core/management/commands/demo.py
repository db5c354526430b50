"""``edubase demo``: build the demo province (idempotent).

For now: the "1+M+N" key hierarchy of Henan — the provincial root and the 18
prefecture-level units (GB/T 2260) — so the console has real key material to show.
Later issues add the org tree, people, assets and logs.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from edubase.crypto.errors import KeyNotFound
from edubase.crypto.keyring import hierarchy, root_node_id

# GB/T 2260 prefecture-level units of Henan (17 cities + 济源示范区).
HENAN_PREFECTURES = [
    ("4101", "郑州市"),
    ("4102", "开封市"),
    ("4103", "洛阳市"),
    ("4104", "平顶山市"),
    ("4105", "安阳市"),
    ("4106", "鹤壁市"),
    ("4107", "新乡市"),
    ("4108", "焦作市"),
    ("4109", "濮阳市"),
    ("4110", "许昌市"),
    ("4111", "漯河市"),
    ("4112", "三门峡市"),
    ("4113", "南阳市"),
    ("4114", "商丘市"),
    ("4115", "信阳市"),
    ("4116", "周口市"),
    ("4117", "驻马店市"),
    ("419001", "济源市（济源产城融合示范区）"),
]


class Command(BaseCommand):
    help = "构建演示省份（可重复执行）"

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            h = hierarchy()
            created = 0
            for code, name in HENAN_PREFECTURES:
                try:
                    h.node(code)
                except KeyNotFound:
                    h.create_node(code, level="region", parent=root_node_id(), name=name)
                    created += 1
        self.stdout.write(
            f"演示省份：根节点 {root_node_id()}，地市密钥节点新建 {created} 个，共 {len(h.nodes())} 个节点"
        )
