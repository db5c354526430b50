"""The org tree browser: top nodes of the scope, lazy children, search by name or code."""

from __future__ import annotations

import re

import pytest

from tests.console.conftest import text

pytestmark = pytest.mark.django_db


def org_codes(body: str) -> list[str]:
    return re.findall(r'data-org="([0-9]+)"', body)


def test_the_tree_starts_at_the_province_for_the_province_admin(signed_in, world):
    body = text(signed_in(world.province_admin).get("/orgs/"))
    assert org_codes(body) == ["410000"]
    assert f'hx-get="/orgs/{world.province.pk}/children/"' in body and 'hx-trigger="toggle once"' in body


def test_the_tree_starts_at_the_county_for_the_county_admin(signed_in, world):
    assert org_codes(text(signed_in(world.county_admin).get("/orgs/"))) == ["410102"]


def test_children_are_loaded_as_a_fragment(signed_in, world):
    response = signed_in(world.province_admin).get(f"/orgs/{world.province.pk}/children/", HTTP_HX_REQUEST="true")
    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    assert org_codes(body) == ["410100", "410300"] and "郑州市" in body and "洛阳市" in body


def test_schools_in_the_tree_link_to_their_page(signed_in, world):
    body = text(signed_in(world.county_admin).get(f"/orgs/{world.zhongyuan.pk}/children/"))
    assert f'href="/schools/{world.school_a.pk}/"' in body


def test_children_of_an_org_out_of_scope_are_not_found(signed_in, world):
    response = signed_in(world.city_admin).get(f"/orgs/{world.luoyang.pk}/children/")
    assert response.status_code == 404 and "对象不存在或不在您的管辖范围内" in text(response)


def test_search_finds_orgs_by_name(signed_in, world):
    body = text(signed_in(world.province_admin).get("/orgs/", {"q": "第一小学"}))
    assert "郑州市中原区第一小学" in body and "洛阳市老城区第一小学" in body and "金水区第一初级中学" not in body


def test_search_finds_orgs_by_code_prefix(signed_in, world):
    body = text(signed_in(world.province_admin).get("/orgs/", {"q": "4103"}))
    assert "洛阳市" in body and "老城区" in body and "郑州市</td>" not in body


def test_search_stays_within_scope(signed_in, world):
    body = text(signed_in(world.city_admin).get("/orgs/", {"q": "第一小学"}))
    assert "郑州市中原区第一小学" in body and "洛阳市老城区第一小学" not in body


def test_a_search_without_results_says_so_in_chinese(signed_in, world):
    assert "没有找到匹配的机构" in text(signed_in(world.province_admin).get("/orgs/", {"q": "不存在的学校"}))
