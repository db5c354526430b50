"""Processes and catalogue entries shipped with edubase, published by ``edubase services publish``."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.db import transaction

from edubase.orgs.models import Org, OrgKind
from edubase.services.models import HandlingLevel, ServiceItem
from edubase.workflow import services as workflow_services
from edubase.workflow.models import ProcessDefinition

PROCESSES_DIR = Path(__file__).resolve().parent / "processes"

#: (key, name, file)
PROCESSES: list[tuple[str, str, str]] = [
    ("teacher_qualification", "教师资格认定", "teacher_qualification.bpmn"),
    ("private_school_licence", "民办学校办学许可", "private_school_licence.bpmn"),
]

_ID = {"name": "身份证件", "required": True, "types": ["pdf", "jpg", "png"], "max_mb": 5, "template": ""}

ITEMS: list[dict[str, Any]] = [
    {
        "code": "JYT-JSZG-001",
        "name": "教师资格认定",
        "legal_basis": "《中华人民共和国教师法》第十条；《教师资格条例》；《〈教师资格条例〉实施办法》",
        "handling_level": HandlingLevel.COUNTY,
        "promised_days": 20,
        "legal_days": 30,
        "process_key": "teacher_qualification",
        "materials": [
            _ID,
            {"name": "学历证书", "required": True, "types": ["pdf", "jpg", "png"], "max_mb": 5, "template": ""},
            {"name": "体检表", "required": True, "types": ["pdf"], "max_mb": 10, "template": "教师资格体检表.docx"},
            {
                "name": "普通话水平测试等级证书",
                "required": False,
                "types": ["pdf", "jpg", "png"],
                "max_mb": 5,
                "template": "",
            },
        ],
        "fees": "不收费",
        "channels": ["网上办理", "窗口办理"],
        "faq": [{"q": "面试合格证明在哪里查？", "a": "中小学教师资格考试网，认定时由审核人员在线核验。"}],
    },
    {
        "code": "JYT-MBXX-001",
        "name": "民办学校办学许可",
        "legal_basis": "《中华人民共和国民办教育促进法》第十二条、第十七条；《民办教育促进法实施条例》",
        "handling_level": HandlingLevel.COUNTY,
        "promised_days": 60,
        "legal_days": 90,
        "process_key": "private_school_licence",
        "materials": [
            {"name": "申办报告", "required": True, "types": ["pdf", "docx"], "max_mb": 10, "template": "申办报告.docx"},
            {"name": "举办者资格证明", "required": True, "types": ["pdf"], "max_mb": 10, "template": ""},
            {"name": "资产及经费来源证明", "required": True, "types": ["pdf", "xlsx"], "max_mb": 20, "template": ""},
            {"name": "校舍及安全证明", "required": True, "types": ["pdf", "jpg", "png"], "max_mb": 20, "template": ""},
        ],
        "fees": "不收费",
        "channels": ["网上办理", "窗口办理"],
        "faq": [{"q": "会签需要多久？", "a": "县、市两级审核员分别会签，均同意后进入许可决定。"}],
    },
]


def publish_processes(*, actor: Any = None) -> list[ProcessDefinition]:
    """Publish the generic approval and the service processes whose file changed."""
    published = workflow_services.publish_shipped(actor=actor)
    for key, name, filename in PROCESSES:
        xml = (PROCESSES_DIR / filename).read_text(encoding="utf-8")
        digest = hashlib.new("sm3", xml.encode("utf-8")).hexdigest()
        latest = ProcessDefinition.objects.filter(key=key).order_by("-version").first()
        if latest is None or latest.digest_sm3 != digest:
            published.append(workflow_services.publish_definition(actor=actor, key=key, name=name, bpmn_xml=xml))
    return published


@transaction.atomic
def install_catalogue(*, org: Org | None = None) -> list[ServiceItem]:
    """Create or update the shipped items, implemented under ``org`` (default: the province)."""
    org = org or Org.objects.filter(kind=OrgKind.PROVINCE, depth=1).order_by("path").first()
    if org is None:
        return []
    items = []
    for entry in ITEMS:
        item, _created = ServiceItem.objects.update_or_create(
            code=entry["code"], defaults={**entry, "org": org, "published": True}
        )
        items.append(item)
    return items
