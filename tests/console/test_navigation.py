"""The layout shows only the sections a persona holds a permission for; the others are refused."""

from __future__ import annotations

import re

import pytest

from tests.console.conftest import text

pytestmark = pytest.mark.django_db

ALL = {"home", "orgs", "schools", "people", "users", "audit"}
SECTION_URL = {"orgs": "/orgs/", "schools": "/schools/", "people": "/people/", "users": "/users/", "audit": "/audit/"}
EXPECTED = {
    "province_admin": ALL,
    "city_admin": ALL,
    "county_admin": ALL,
    "school_admin": {"home", "orgs", "schools", "people", "users"},
    "teacher": {"home", "orgs", "schools", "people"},
    "student": {"home", "orgs", "schools"},
    "outsider": {"home"},
}


def nav_sections(body: str) -> set[str]:
    nav = body[body.index('id="console-nav"') : body.index("</aside>")]
    return set(re.findall(r'data-section="([a-z]+)"', nav))


@pytest.mark.parametrize(("persona", "sections"), EXPECTED.items())
def test_the_navigation_shows_only_permitted_sections(signed_in, world, persona, sections):
    body = text(signed_in(world.personas()[persona]).get("/"))
    assert nav_sections(body) == sections


@pytest.mark.parametrize(("persona", "sections"), EXPECTED.items())
def test_hidden_sections_are_refused_with_a_chinese_page(signed_in, world, persona, sections):
    client = signed_in(world.personas()[persona])
    for section, url in SECTION_URL.items():
        response = client.get(url)
        if section in sections:
            assert response.status_code == 200, url
        else:
            assert response.status_code == 403, url
            assert "您没有执行此操作的权限" in text(response)


def test_the_current_section_is_marked_active(signed_in, world):
    body = text(signed_in(world.province_admin).get("/schools/"))
    assert re.search(r'class="nav-item active" data-section="schools"', body)


def test_every_page_has_a_breadcrumb_a_chinese_title_and_the_language_switcher(signed_in, world):
    client = signed_in(world.province_admin)
    for url, title in [
        ("/orgs/", "机构树"),
        ("/schools/", "学校名单"),
        ("/people/", "人员查询"),
        ("/audit/", "审计日志"),
    ]:
        body = text(client.get(url))
        assert 'class="breadcrumb"' in body and f'<h2 class="page-title">{title}</h2>' in body
        assert 'action="/i18n/setlang/"' in body


def test_assets_come_from_the_site_never_a_cdn(signed_in, world):
    body = text(signed_in(world.province_admin).get("/"))
    assert "/static/vendor/tabler/tabler.min.css" in body and "/static/vendor/htmx/htmx.min.js" in body
    assert "/static/vendor/echarts/echarts.min.js" in body
    assert not re.search(r'(src|href)="(https?:)?//', body)


def test_english_is_available(signed_in, world):
    client = signed_in(world.province_admin)
    client.post("/i18n/setlang/", {"language": "en", "next": "/schools/"})
    body = text(client.get("/schools/"))
    assert 'lang="en"' in body and "Schools" in body and "学校名单" not in body
