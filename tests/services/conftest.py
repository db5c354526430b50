"""Services fixtures: processes and catalogue published, and the officials who handle cases."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from edubase.accounts.models import User
from edubase.services import catalogue
from edubase.services.models import ServiceItem
from edubase.workflow.models import TaskStatus, WorkTask
from tests.factories import World, make_user

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Hall:
    """The world, its service catalogue and the officials of 中原区 and 郑州市."""

    world: World
    teacher_item: ServiceItem
    licence_item: ServiceItem
    county_reviewer: User  # 中原区 reviewer
    city_reviewer: User  # 郑州市 reviewer
    other_reviewer: User  # 洛阳 reviewer
    applicant: User  # a citizen without any role


def build_hall(world: World) -> Hall:
    catalogue.publish_processes(actor=world.province_admin)
    items = {i.code: i for i in catalogue.install_catalogue(org=world.province)}
    return Hall(
        world=world,
        teacher_item=items["JYT-JSZG-001"],
        licence_item=items["JYT-MBXX-001"],
        county_reviewer=make_user("zy_svc_reviewer", role="reviewer", org=world.zhongyuan),
        city_reviewer=make_user("zz_svc_reviewer", role="reviewer", org=world.zhengzhou),
        other_reviewer=make_user("ly_svc_reviewer", role="reviewer", org=world.luoyang),
        applicant=make_user("citizen_zhang"),
    )


@pytest.fixture
def hall(world: World) -> Hall:
    return build_hall(world)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def open_task(application_id: int, element: str) -> WorkTask:
    from edubase.services.models import Application

    app = Application.objects.get(pk=application_id)
    return WorkTask.objects.get(instance_id=app.instance_id, element_id=element, status=TaskStatus.OPEN)


def matrix_applications(world: World, ly_user: User) -> dict[str, object]:
    """For the authorization matrix: a published item on the generic approval and one submitted
    application each by school A's admin (at school A) and a Luoyang teacher (at school C)."""
    from types import SimpleNamespace

    from edubase.services import services

    item = ServiceItem.objects.create(
        code="MATRIX-001",
        name="矩阵测试事项",
        handling_level="school",
        org=world.province,
        promised_days=5,
        legal_days=10,
        process_key="generic_approval",
        published=True,
        materials=[{"name": "说明", "required": False, "types": ["pdf"], "max_mb": 1, "template": ""}],
    )
    found: dict[str, object] = {"service_item": SimpleNamespace(pk=item.code)}
    for key, applicant, org in (("a", world.school_admin, world.school_a), ("c", ly_user, world.school_c)):
        app = services.apply(actor=applicant, item=item, org=org)
        material = services.upload_material(
            actor=applicant, application=app, name="说明", filename="note.pdf", data=PDF + key.encode()
        )
        found[f"application_{key}"] = services.submit(actor=applicant, application=app)
        found[f"material_{key}"] = material
    return found
