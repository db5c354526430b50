"""The school list (filters, pagination, export) and the school page."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from edubase.orgs.models import OrgKind
from tests.console.conftest import text
from tests.factories import make_org

pytestmark = pytest.mark.django_db


def listed_codes(body: str) -> list[str]:
    table = body[body.index('id="school-table"') :] if 'id="school-table"' in body else ""
    return re.findall(r"<td><code>([0-9]{10})</code></td>", table)


def test_the_school_admin_sees_only_its_school(signed_in, world):
    assert listed_codes(text(signed_in(world.school_admin).get("/schools/"))) == ["2141000001"]


def test_the_city_admin_sees_the_schools_of_its_city(signed_in, world):
    assert sorted(listed_codes(text(signed_in(world.city_admin).get("/schools/")))) == ["2141000001", "3141000002"]


def test_it_filters_by_prefecture(signed_in, world):
    body = text(signed_in(world.province_admin).get("/schools/", {"prefecture": "410300"}))
    assert listed_codes(body) == ["2141000003"]


def test_it_filters_by_county(signed_in, world):
    body = text(signed_in(world.province_admin).get("/schools/", {"prefecture": "410100", "county": "410105"}))
    assert listed_codes(body) == ["3141000002"]


def test_a_county_of_another_prefecture_is_ignored(signed_in, world):
    body = text(signed_in(world.province_admin).get("/schools/", {"prefecture": "410300", "county": "410105"}))
    assert listed_codes(body) == ["2141000003"]


def test_it_filters_by_category_and_text(signed_in, world):
    client = signed_in(world.province_admin)
    assert listed_codes(text(client.get("/schools/", {"category": "31"}))) == ["3141000002"]
    assert listed_codes(text(client.get("/schools/", {"q": "老城区"}))) == ["2141000003"]
    assert listed_codes(text(client.get("/schools/", {"q": "3141"}))) == ["3141000002"]


def test_an_unknown_filter_value_is_no_filter(signed_in, world):
    body = text(signed_in(world.province_admin).get("/schools/", {"category": "zz"}))
    assert len(listed_codes(body)) == 3


def test_the_category_label_and_region_name_are_shown(signed_in, world):
    body = text(signed_in(world.province_admin).get("/schools/", {"category": "31"}))
    assert "<td>普通初中</td>" in body and "<td>金水区</td>" in body


def test_no_match_gives_a_chinese_empty_state(signed_in, world):
    assert "没有符合条件的学校" in text(signed_in(world.province_admin).get("/schools/", {"q": "不存在"}))


def test_the_list_is_paginated_fifty_a_page(signed_in, world):
    for n in range(60):
        code = f"2141{900000 + n}"
        make_org(
            world.laocheng, kind=OrgKind.SCHOOL, name=f"测试小学{n:02d}", code=code, region="410302", category="21"
        )
    client = signed_in(world.province_admin)
    first = text(client.get("/schools/"))
    assert len(listed_codes(first)) == 50 and "共 63 条" in first and "1 / 2" in first
    second = text(client.get("/schools/", {"page": "2"}))
    assert len(listed_codes(second)) == 13


def test_the_export_is_an_xlsx_of_the_filtered_list(signed_in, world):
    response = signed_in(world.city_admin).get("/schools/export.xlsx", {"category": "21"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "2141000001" in cells and "3141000002" not in cells and "2141000003" not in cells


def test_the_export_link_keeps_the_filters(signed_in, world):
    body = text(signed_in(world.province_admin).get("/schools/", {"category": "31", "page": "1"}))
    assert 'href="/schools/export.xlsx?category=31"' in body


def test_the_school_page_shows_code_category_region_and_counts(signed_in, world):
    body = text(signed_in(world.county_admin).get(f"/schools/{world.school_a.pk}/"))
    assert (
        "郑州市中原区第一小学" in body and "2141000001" in body and "小学（21）" in body and "中原区（410102）" in body
    )
    assert re.search(r'id="school-students">1<', body) and re.search(r'id="school-staff">1<', body)
    assert 'id="school-codes"' in body


def test_a_school_out_of_scope_is_not_found(signed_in, world):
    response = signed_in(world.school_admin).get(f"/schools/{world.school_b.pk}/")
    assert response.status_code == 404 and "对象不存在或不在您的管辖范围内" in text(response)


def test_an_org_that_is_not_a_school_has_no_school_page(signed_in, world):
    assert signed_in(world.province_admin).get(f"/schools/{world.zhengzhou.pk}/").status_code == 404


def test_a_domain_error_is_shown_as_a_chinese_alert(signed_in, world, monkeypatch):
    from edubase.core.errors import ValidationFailed
    from edubase.orgs import imports

    def refuse(**_kwargs: object) -> bytes:
        raise ValidationFailed("导出的行数超过上限，请按地市分别导出")

    monkeypatch.setattr(imports, "export_schools", refuse)
    response = signed_in(world.province_admin).get("/schools/export.xlsx")
    body = text(response)
    assert response.status_code == 422
    assert 'class="alert alert-danger"' in body and "导出的行数超过上限，请按地市分别导出" in body
