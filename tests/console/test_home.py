"""The home dashboard: totals and chart data within the persona's scope."""

from __future__ import annotations

import json
import re

import pytest

from tests.console.conftest import text

pytestmark = pytest.mark.django_db


def chart_data(body: str, element_id: str) -> list[dict[str, object]]:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', body, re.S)
    assert match, element_id
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def number(body: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', body)
    assert match, element_id
    return match.group(1).strip()


def test_the_province_admin_sees_province_totals(signed_in, world):
    body = text(signed_in(world.province_admin).get("/"))
    assert number(body, "total-schools") == "3"
    assert number(body, "total-students") == "3" and number(body, "total-staff") == "1"


def test_the_charts_get_schools_by_prefecture_and_by_category(signed_in, world):
    body = text(signed_in(world.province_admin).get("/"))
    assert chart_data(body, "chart-by-prefecture") == [{"name": "郑州市", "value": 2}, {"name": "洛阳市", "value": 1}]
    assert chart_data(body, "chart-by-category") == [{"name": "小学", "value": 2}, {"name": "普通初中", "value": 1}]
    assert 'data-chart="bar"' in body and 'data-chart="pie"' in body and "console/dashboard.js" in body


def test_the_city_admin_sees_only_its_city(signed_in, world):
    body = text(signed_in(world.city_admin).get("/"))
    assert number(body, "total-schools") == "2" and number(body, "total-students") == "2"
    assert chart_data(body, "chart-by-prefecture") == [{"name": "郑州市", "value": 2}]


def test_a_student_sees_school_totals_but_no_person_counts(signed_in, world):
    body = text(signed_in(world.student).get("/"))
    assert number(body, "total-schools") == "1" and number(body, "total-students") == "—"


def test_the_outsider_is_told_in_chinese_to_ask_for_a_role(signed_in, world):
    body = text(signed_in(world.outsider).get("/"))
    assert "您的账号尚未被授予任何机构的角色" in body and "total-schools" not in body
