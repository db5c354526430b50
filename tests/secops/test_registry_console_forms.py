"""Registering and editing an information system from the console form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from edubase.secops.models import InformationSystem, RegistryChange
from tests.services.conftest import client_for

pytestmark = pytest.mark.django_db


def _post(user, data, pk=None):
    url = reverse("secops:system_edit", args=[pk]) if pk else reverse("secops:system_new")
    return client_for(user).post(url, data)


def test_a_school_admin_registers_a_system_with_its_mlps_facts(world):
    form = client_for(world.school_admin).get(reverse("secops:system_new"))
    assert form.status_code == 200 and "所属单位代码" in form.content.decode()
    response = _post(
        world.school_admin,
        {
            "org_code": world.school_a.code,
            "name": "学校门户网站",
            "status": "online",
            "internet_facing": "on",
            "responsible_phone": "13812345678",
            "mlps_level": "2",
            "graded_on": "2026-03-01",
            "went_live_on": "2026-02-01",
        },
    )
    assert response.status_code == 302
    system = InformationSystem.objects.get(name="学校门户网站")
    assert system.org == world.school_a and system.mlps_level == 2 and system.internet_facing
    assert str(system.filing_due) == "2026-03-31" and system.responsible_phone == "13812345678"
    assert RegistryChange.objects.filter(target_type="system", target_id=system.pk, action="create").exists()


def test_bad_input_is_named_in_chinese_and_nothing_is_written(world):
    response = _post(
        world.school_admin,
        {"org_code": world.school_a.code, "name": "教务系统", "mlps_level": "7", "graded_on": "2026-02-30"},
    )
    body = response.content.decode()
    assert response.status_code == 422 and "is-invalid" in body and "教务系统" in body
    assert not InformationSystem.objects.exists()
    outside = _post(world.school_admin, {"org_code": world.school_c.code, "name": "越权登记"})
    assert outside.status_code == 422 and "不在您的管辖范围内" in outside.content.decode()
    assert not InformationSystem.objects.exists()


def test_editing_records_what_changed_and_the_wrong_persona_is_refused(world):
    _post(world.school_admin, {"org_code": world.school_a.code, "name": "一卡通", "mlps_level": "2"})
    system = InformationSystem.objects.get(name="一卡通")
    response = _post(world.school_admin, {"name": "校园一卡通", "status": "online", "mlps_level": "3"}, pk=system.pk)
    assert response.status_code == 302
    system.refresh_from_db()
    assert (system.name, system.mlps_level) == ("校园一卡通", 3)
    change = RegistryChange.objects.filter(target_id=system.pk, action="update").get()
    assert change.changes["mlps_level"] == [2, 3]
    assert client_for(world.teacher).get(reverse("secops:system_edit", args=[system.pk])).status_code == 403
    other = _post(world.county_admin, {"name": "一卡通", "status": "online", "mlps_level": "3"}, pk=system.pk)
    assert other.status_code == 302  # the county is above the school: it may correct the register
    outsider = _post(world.outsider, {"name": "x", "status": "online"}, pk=system.pk)
    assert outsider.status_code == 403
    assert InformationSystem.objects.get(pk=system.pk).name == "一卡通"
