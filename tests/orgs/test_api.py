"""The orgs API with the personas: 401 anonymous, 404 out of scope, 403 without orgs.change, 200 in scope."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from edubase.orgs.models import Org, SchoolCode
from tests.orgs.conftest import row_counts, xlsx

pytestmark = pytest.mark.django_db

API = "/api/v1/orgs"


def client_for(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("get", "/1"),
        ("get", "/schools"),
        ("get", "/schools/1"),
        ("get", "/schools/export"),
        ("post", "/schools"),
        ("patch", "/schools/1"),
        ("post", "/schools/import"),
    ],
)
def test_anonymous_callers_get_401_on_every_route(world, method, path):
    response = getattr(Client(), method)(API + path, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


# --- tree -----------------------------------------------------------------------------------


def test_the_tree_starts_at_the_top_of_scope(world):
    assert [o["code"] for o in client_for(world.city_admin).get(API).json()] == ["410100"]
    assert [o["code"] for o in client_for(world.outsider).get(API).json()] == []
    top = client_for(world.province_admin).get(API).json()
    assert top[0]["code"] == "410000" and top[0]["has_children"] and top[0]["kind_label"] == "省"


def test_children_of_a_node_in_scope(world):
    response = client_for(world.city_admin).get(API, {"parent": world.zhengzhou.pk})
    assert [o["code"] for o in response.json()] == ["410102", "410105"]


def test_children_of_a_node_out_of_scope_is_404(world):
    response = client_for(world.city_admin).get(API, {"parent": world.luoyang.pk})
    assert response.status_code == 404 and response.json()["error"]["message"] == "对象不存在或不在您的管辖范围内"


def test_one_org_in_and_out_of_scope(world):
    assert client_for(world.county_admin).get(f"{API}/{world.zhongyuan.pk}").json()["name"] == "中原区"
    assert client_for(world.county_admin).get(f"{API}/{world.jinshui.pk}").status_code == 404
    assert client_for(world.outsider).get(f"{API}/{world.zhongyuan.pk}").status_code == 404


# --- schools --------------------------------------------------------------------------------


def test_school_list_is_scoped_and_filtered(world):
    body = client_for(world.city_admin).get(f"{API}/schools").json()
    assert {s["code"] for s in body["items"]} == {"2141000001", "3141000002"} and body["next"] is None
    first = body["items"][0]
    assert first["category_label"] in {"小学", "普通初中"} and first["region_name"] in {"中原区", "金水区"}
    body = client_for(world.province_admin).get(f"{API}/schools", {"prefecture": "410300"}).json()
    assert [s["code"] for s in body["items"]] == ["2141000003"]
    body = client_for(world.province_admin).get(f"{API}/schools", {"category": "31", "q": "金水"}).json()
    assert [s["code"] for s in body["items"]] == ["3141000002"]
    assert client_for(world.outsider).get(f"{API}/schools").json()["items"] == []


def test_school_list_pages_with_a_cursor(world):
    client = client_for(world.province_admin)
    seen, cursor = [], None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get(f"{API}/schools", params).json()
        seen += [s["code"] for s in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert sorted(seen) == ["2141000001", "2141000003", "3141000002"] and len(seen) == 3


def test_a_garbled_cursor_is_refused_with_422(world):
    response = client_for(world.province_admin).get(f"{API}/schools", {"cursor": "!!!"})
    assert response.status_code == 422


def test_school_detail_with_its_code_history(world):
    client = client_for(world.city_admin)
    client.patch(f"{API}/schools/{world.school_a.pk}", {"category": "31"}, content_type="application/json")
    body = client.get(f"{API}/schools/{world.school_a.pk}").json()
    assert body["school"]["code"].startswith("3141") and body["parent"]["code"] == "410102"
    assert body["prefecture"]["name"] == "郑州市"
    assert body["codes"][0]["code"] == "2141000001"
    assert body["codes"][0]["successor"] == body["school"]["code"] and body["codes"][0]["retired_at"]
    assert [h["change_label"] for h in body["history"]] == ["设立", "变更类别（重新赋码）"]


def test_school_detail_out_of_scope_is_404(world):
    assert client_for(world.city_admin).get(f"{API}/schools/{world.school_c.pk}").status_code == 404
    assert client_for(world.school_admin).get(f"{API}/schools/{world.school_b.pk}").status_code == 404
    assert client_for(world.province_admin).get(f"{API}/schools/{world.zhongyuan.pk}").status_code == 404


def test_create_a_school_in_scope(world):
    payload = {"parent_id": world.jinshui.pk, "name": "金水区第二小学", "category": "21", "address": "金水路"}
    response = client_for(world.city_admin).post(f"{API}/schools", payload, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["code"] == "2141000004" and response.json()["region_code"] == "410105"


def test_city_admin_cannot_create_a_school_in_another_city(world):
    payload = {"parent_id": world.laocheng.pk, "name": "老城区第二小学", "category": "21"}
    response = client_for(world.city_admin).post(f"{API}/schools", payload, content_type="application/json")
    assert response.status_code == 404 and not Org.objects.filter(name="老城区第二小学").exists()


def test_school_admin_who_sees_a_school_cannot_change_it(world):
    client = client_for(world.school_admin)
    response = client.patch(f"{API}/schools/{world.school_a.pk}", {"name": "改名"}, content_type="application/json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert Org.objects.get(pk=world.school_a.pk).name == "郑州市中原区第一小学"


@pytest.mark.parametrize("persona", ["teacher", "student", "outsider"])
def test_other_personas_cannot_create_schools(world, persona):
    payload = {"parent_id": world.zhongyuan.pk, "name": "无权小学", "category": "21"}
    response = client_for(getattr(world, persona)).post(f"{API}/schools", payload, content_type="application/json")
    assert response.status_code in (403, 404) and not Org.objects.filter(name="无权小学").exists()


def test_invalid_input_is_422_with_a_chinese_message(world):
    payload = {"parent_id": world.zhongyuan.pk, "name": "某小学", "category": "99"}
    response = client_for(world.city_admin).post(f"{API}/schools", payload, content_type="application/json")
    assert response.status_code == 422 and "学校类别码" in response.json()["error"]["message"]


def test_patch_renames_moves_and_closes(world):
    client = client_for(world.city_admin)
    url = f"{API}/schools/{world.school_a.pk}"
    response = client.patch(
        url, {"name": "中原区实验小学", "parent_id": world.jinshui.pk}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["name"] == "中原区实验小学"
    assert response.json()["code"] == "2141000001" and response.json()["region_code"] == "410105"
    response = client.patch(url, {"status": "closed"}, content_type="application/json")
    assert response.json()["status"] == "closed" and response.json()["status_label"] == "已撤销"


def test_patch_out_of_scope_is_404(world):
    response = client_for(world.city_admin).patch(
        f"{API}/schools/{world.school_c.pk}", {"name": "越权"}, content_type="application/json"
    )
    assert response.status_code == 404


# --- import / export ------------------------------------------------------------------------


def upload(name, data):
    return {"file": SimpleUploadedFile(name, data)}


def test_import_through_the_api(world):
    data = xlsx([["", "中原区第二小学", "小学", "410102", ""]])
    response = client_for(world.county_admin).post(f"{API}/schools/import", upload("学校.xlsx", data))
    assert response.status_code == 200 and response.json()["created"] == 1
    assert SchoolCode.objects.filter(code=response.json()["codes"][0]).exists()


def test_a_rejected_import_is_422_with_every_problem(world):
    before = row_counts()
    data = xlsx([["", "老城区某小学", "小学", "410302", ""], ["", "", "小学", "410102", ""]])
    response = client_for(world.city_admin).post(f"{API}/schools/import", upload("学校.xlsx", data))
    body = response.json()["error"]
    assert response.status_code == 422 and body["code"] == "import_rejected"
    assert body["details"] == [
        {"row": 2, "column": "所在县区代码", "reason": "您无权维护“老城区”的学校"},
        {"row": 3, "column": "学校名称", "reason": "学校名称不能为空"},
    ]
    assert row_counts() == before


def test_export_downloads_an_xlsx_of_the_schools_in_scope(world):
    response = client_for(world.county_admin).get(f"{API}/schools/export")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["2141000001"]


def test_export_for_an_outsider_is_only_the_header(world):
    response = client_for(world.outsider).get(f"{API}/schools/export")
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    assert len(list(sheet.iter_rows(values_only=True))) == 1


def test_a_read_only_token_of_a_city_admin_cannot_create_schools(world):
    import secrets

    from edubase.accounts.models import ApiToken
    from edubase.accounts.tokens import token_digest

    prefix = secrets.token_hex(4)
    value = f"eb_{prefix}_{secrets.token_hex(32)}"  # hex secret: see the report on '_' in token values
    ApiToken.objects.create(
        user=world.city_admin, name="只读", prefix=prefix, digest=token_digest(value), permissions=["orgs.view"]
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {value}")
    assert {s["code"] for s in client.get(f"{API}/schools").json()["items"]} == {"2141000001", "3141000002"}
    payload = {"parent_id": world.zhongyuan.pk, "name": "令牌新建小学", "category": "21"}
    response = client.post(f"{API}/schools", payload, content_type="application/json")
    assert response.status_code == 403 and not Org.objects.filter(name="令牌新建小学").exists()


def test_a_patch_that_fails_half_way_changes_nothing(world):
    client = client_for(world.city_admin)
    url = f"{API}/schools/{world.school_a.pk}"
    response = client.patch(url, {"name": "中原区实验小学", "category": "99"}, content_type="application/json")
    assert response.status_code == 422
    assert Org.objects.get(pk=world.school_a.pk).name == "郑州市中原区第一小学"


@pytest.mark.parametrize("persona", ["school_admin", "teacher", "outsider"])
def test_import_by_a_persona_without_orgs_change_is_403(world, persona):
    data = xlsx([["", "中原区第二小学", "小学", "410102", ""]])
    response = client_for(getattr(world, persona)).post(f"{API}/schools/import", upload("学校.xlsx", data))
    assert response.status_code == 403 and not Org.objects.filter(name="中原区第二小学").exists()
