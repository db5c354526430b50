"""The catalogue through the API and the console: a data officer connects a school system, sees its
sensitive fields graded, reviews, publishes (versioned), searches with pinyin initials and exports
the catalogue and the important-data list; the source password never comes back."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from edubase.core.models import AuditEvent
from edubase.datagov import services
from edubase.datagov.models import Dataset, DataSource, ReviewState
from edubase.datagov.search import pinyin_keys
from tests.factories import citizen_id, make_user

API = "/api/v1/datagov"
SECRET = "Sch00l-DB-Secret!"


def _db(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE xsjbxx (XM TEXT, SFZJH TEXT, LXDH TEXT)")
    for i in range(30):
        db.execute(
            "INSERT INTO xsjbxx VALUES (?, ?, ?)",
            (["张伟", "王芳", "李娜"][i % 3], citizen_id("410102", "20100101", f"{i:03d}"), f"1391234{i:04d}"),
        )
    db.commit()
    db.close()
    return path


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def officer(world):  # type: ignore[no-untyped-def]
    return make_user("zz_data_officer", role="data_officer", org=world.zhengzhou)


@pytest.fixture
def scanned(world, officer, tmp_path):  # type: ignore[no-untyped-def]
    source = services.create_source(
        actor=officer, org=world.school_a, name="学籍库", kind="sqlite", location=str(_db(tmp_path / "x.db"))
    )
    services.scan_source(actor=officer, source=source)
    return Dataset.objects.get(source=source)


def test_a_database_password_is_stored_sealed_and_never_returned(world, officer) -> None:  # type: ignore[no-untyped-def]
    client = _client(officer)
    body = {
        "org_id": world.school_a.pk,
        "name": "学校 MariaDB",
        "kind": "mysql",
        "host": "127.0.0.1",
        "port": 1,
        "database": "xj",
        "username": "reader",
        "password": SECRET,
    }
    response = _post(client, f"{API}/sources", body)
    assert response.status_code == 201, response.content
    assert SECRET not in response.content.decode()
    assert response.json()["has_password"] is True
    source = DataSource.objects.get(name="学校 MariaDB")
    raw = DataSource.objects.filter(pk=source.pk).values_list("secret", flat=True).get()
    assert SECRET not in str(raw)
    # an unreachable database: a Chinese error, still without the password
    failed = _post(client, f"{API}/sources/{source.pk}/check")
    assert failed.status_code == 422 and "无法连接数据源" in failed.json()["error"]["message"]
    assert SECRET not in failed.content.decode()
    assert SECRET not in client.get(f"{API}/sources/{source.pk}").content.decode()
    page = client.get(reverse("datagov:source_detail", args=[source.pk]))
    assert page.status_code == 200 and SECRET not in page.content.decode()
    edit = client.get(reverse("datagov:source_edit", args=[source.pk]))
    assert SECRET not in edit.content.decode()
    for event in AuditEvent.objects.filter(action__startswith="datagov.source"):
        assert SECRET not in json.dumps([event.before, event.after], ensure_ascii=False)


def test_scan_through_the_api_reports_sensitive_fields(world, officer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = _client(officer)
    created = _post(
        client,
        f"{API}/sources",
        {"org_id": world.school_a.pk, "name": "学籍", "kind": "sqlite", "location": str(_db(tmp_path / "a.db"))},
    )
    source_id = created.json()["id"]
    report = client.post(f"{API}/sources/{source_id}/scan?table=xsjbxx")
    assert report.status_code == 200, report.content
    table = report.json()["tables"][0]
    assert table["sensitive"] >= 1 and table["rows"] == 30
    detail = client.get(f"{API}/datasets/{table['dataset_id']}").json()
    by_name = {f["name"]: f for f in detail["fields"]}
    assert by_name["SFZJH"]["entity"] == "citizen_id" and by_name["SFZJH"]["sensitive"]
    assert all("*" in s for s in by_name["SFZJH"]["samples_masked"])


def test_pinyin_initials_find_chinese_field_names() -> None:
    assert "sfzjh" in pinyin_keys("身份证件号")
    assert "lxdh" in pinyin_keys("联系电话")


def test_search_finds_datasets_by_pinyin_initials(world, officer, scanned) -> None:  # type: ignore[no-untyped-def]
    other = services.create_dataset(actor=officer, org=world.school_a, name="家庭住址登记", description="学生家庭住址")
    client = _client(officer)
    found = client.get(f"{API}/datasets", {"q": "JTZZ"}).json()["items"]
    assert [d["id"] for d in found] == [other.pk]
    found = client.get(f"{API}/datasets", {"q": "jiating"}).json()["items"]
    assert [d["id"] for d in found] == [other.pk]
    page = client.get(reverse("datagov:dataset_list"), {"q": "家庭住址"})
    assert "家庭住址登记" in page.content.decode()


def test_publishing_needs_review_done_and_makes_versions(world, officer, scanned) -> None:  # type: ignore[no-untyped-def]
    client = _client(officer)
    for field in scanned.fields.filter(review_state=ReviewState.NEEDS_REVIEW):
        services.review_field(actor=officer, field=field, entity=field.entity or None)
    refused = _post(client, f"{API}/datasets/{scanned.pk}/publish")
    assert refused.status_code == 409 and "描述" in refused.json()["error"]["message"]
    client.patch(
        f"{API}/datasets/{scanned.pk}", json.dumps({"description": "学生基本信息"}), content_type="application/json"
    )
    first = _post(client, f"{API}/datasets/{scanned.pk}/publish")
    second = _post(client, f"{API}/datasets/{scanned.pk}/publish")
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    # published entries are seen by another city's data officer, in the catalogue only
    luoyang = make_user("ly_officer", role="data_officer", org=world.luoyang)
    ly_client = _client(luoyang)
    names = [d["name"] for d in ly_client.get(f"{API}/catalogue", {"q": "SFZJH"}).json()["items"]]
    assert names == [scanned.name]
    assert ly_client.get(f"{API}/datasets/{scanned.pk}").status_code == 404


def test_a_pending_review_blocks_publishing(world, officer, scanned) -> None:  # type: ignore[no-untyped-def]
    field = scanned.fields.first()
    field.review_state = ReviewState.NEEDS_REVIEW
    field.save()
    services.update_dataset(actor=officer, dataset=scanned, description="有描述")
    with pytest.raises(services.PublishRefused, match="待复核"):
        services.publish_dataset(actor=officer, dataset=scanned)


def test_lineage_cycles_are_refused(world, officer, scanned) -> None:  # type: ignore[no-untyped-def]
    derived = services.create_dataset(actor=officer, org=world.zhengzhou, name="郑州学生汇总", derived_from=[scanned])
    client = _client(officer)
    response = client.patch(
        f"{API}/datasets/{scanned.pk}", json.dumps({"derived_from": [derived.pk]}), content_type="application/json"
    )
    assert response.status_code == 422 and "成环" in response.json()["error"]["message"]
    lineage = client.get(f"{API}/datasets/{derived.pk}").json()["lineage"]
    assert lineage["edges"] == [[scanned.pk, derived.pk]]
    page = client.get(reverse("datagov:dataset_detail", args=[derived.pk]))
    assert page.status_code == 200 and "lineage-chart" in page.content.decode()


def test_exports_for_regulators(world, officer, scanned) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    services.update_dataset(actor=officer, dataset=scanned, description="学生基本信息")
    scanned.row_count = 2_000_000  # a province-scale roster: important data by the default rules
    scanned.save()
    services.update_dataset(actor=officer, dataset=scanned, tags=["学籍"])
    scanned.refresh_from_db()
    assert scanned.grade_category == "important"
    client = _client(officer)
    as_json = client.get(f"{API}/export/important", {"format": "json"}).json()
    assert [d["name"] for d in as_json["datasets"]] == [scanned.name]
    assert as_json["datasets"][0]["grade"] == "重要数据"
    xlsx = client.get(f"{API}/export/catalogue", {"format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert book.sheetnames == ["数据集", "数据项"]
    rows = list(book["数据项"].iter_rows(values_only=True))
    assert ("SFZJH" in {r[2] for r in rows[1:]}) and rows[0][2] == "字段名"
    bad = client.get(f"{API}/export/catalogue", {"format": "pdf"})
    assert bad.status_code == 422
    assert AuditEvent.objects.filter(action="datagov.important.exported").exists()


def test_edited_rules_make_a_new_version_and_regrade(world, scanned) -> None:  # type: ignore[no-untyped-def]
    from edubase.datagov.grading import DEFAULT_RULES

    rules = json.loads(json.dumps(DEFAULT_RULES))
    rules["entities"]["citizen_id"] = {**rules["entities"]["citizen_id"], "category": "important", "level": 5}
    client = _client(world.province_admin)
    response = _post(client, f"{API}/rules", {"rules": rules, "note": "身份证号按重要数据管理"})
    assert response.status_code == 201 and response.json()["version"] == 1
    scanned.refresh_from_db()
    assert scanned.grade_category == "important" and scanned.rule_set_version == 1
    invalid = _post(client, f"{API}/rules", {"rules": {"entities": {"x": {"category": "secret"}}}})
    assert invalid.status_code == 422
    assert _post(_client(world.city_admin), f"{API}/rules", {"rules": rules}).status_code == 403


def test_review_queue_page_and_correction_by_form(world, officer, scanned) -> None:  # type: ignore[no-untyped-def]
    field = scanned.fields.get(name="LXDH")
    field.review_state = ReviewState.NEEDS_REVIEW
    field.save()
    client = _client(officer)
    page = client.get(reverse("datagov:review_queue"))
    assert "LXDH" in page.content.decode()
    response = client.post(reverse("datagov:field_review", args=[field.pk]), {"entity": "landline", "note": "座机"})
    assert response.status_code == 302
    field.refresh_from_db()
    assert field.entity == "landline" and field.review_state == ReviewState.CORRECTED


def test_console_registers_a_file_source_and_scans_it(world, officer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "rosters"
    folder.mkdir()
    (folder / "学生.csv").write_bytes("姓名,联系电话\n张伟,13912340001\n王芳,13912340002\n".encode("gbk"))
    client = _client(officer)
    response = client.post(
        reverse("datagov:source_new"),
        {"org": world.school_a.pk, "name": "花名册目录", "kind": "file", "location": str(folder)},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    source = DataSource.objects.get(name="花名册目录")
    scanned = client.post(reverse("datagov:source_scan", args=[source.pk]))
    assert scanned.status_code == 302
    page = client.get(reverse("datagov:source_detail", args=[source.pk])).content.decode()
    assert "gb18030" in page and "学生.csv" in page


def test_a_source_form_error_is_shown_in_chinese(world, officer) -> None:  # type: ignore[no-untyped-def]
    client = _client(officer)
    response = client.post(reverse("datagov:source_new"), {"org": world.school_a.pk, "name": "", "kind": "mysql"})
    assert response.status_code == 422
    assert "请填写数据源名称" in response.content.decode()
    assert not DataSource.objects.exists()


def test_school_admins_of_other_schools_see_nothing(world, officer, scanned) -> None:  # type: ignore[no-untyped-def]
    other = make_user("ly_school_admin", role="school_admin", org=world.school_c)
    client = _client(other)
    assert client.get(f"{API}/datasets").json()["items"] == []
    assert client.get(f"{API}/datasets/{scanned.pk}").status_code == 404
    assert _post(client, f"{API}/sources/{scanned.source_id}/scan").status_code == 404
    assert client.get(f"{API}/review").json()["items"] == []


def test_a_steward_must_see_the_data_they_look_after(world, officer, scanned) -> None:  # type: ignore[no-untyped-def]
    client = _client(officer)
    url = f"{API}/datasets/{scanned.pk}"
    ok = client.patch(url, json.dumps({"steward_id": world.school_admin.pk}), content_type="application/json")
    assert ok.status_code == 200 and ok.json()["steward"] == world.school_admin.username
    far = make_user("ly_admin", role="school_admin", org=world.school_c)
    refused = client.patch(url, json.dumps({"steward_id": far.pk}), content_type="application/json")
    assert refused.status_code == 422 and "数据管理员" in refused.json()["error"]["message"]


def test_the_overview_counts_datasets_by_grade(world, officer, scanned) -> None:  # type: ignore[no-untyped-def]
    services.create_dataset(actor=officer, org=world.school_a, name="课程表")
    page = _client(officer).get(reverse("datagov:index")).content.decode()
    assert '<div class="h1 mb-0" id="count-datasets">2</div>' in page
    assert '<div class="h1 mb-0 text-danger" id="count-sensitive">1</div>' in page


def test_the_dataset_form_sets_tags_minors_and_lineage(world, officer, scanned) -> None:  # type: ignore[no-untyped-def]
    parent = services.create_dataset(actor=officer, org=world.school_a, name="新生报名表")
    client = _client(officer)
    response = client.post(
        reverse("datagov:dataset_edit", args=[scanned.pk]),
        {
            "name": "学生基本信息",
            "description": "学籍系统导出",
            "tags": "学籍，学生",
            "update_frequency": "termly",
            "minors_under_14": "1",
            "derived_from": [str(parent.pk)],
        },
    )
    assert response.status_code == 302
    scanned.refresh_from_db()
    assert scanned.tags == ["学籍", "学生"] and scanned.minors_under_14
    assert list(scanned.derived_from.all()) == [parent]
    assert AuditEvent.objects.filter(action="datagov.dataset.updated", object_id=str(scanned.pk)).exists()


def test_region_codes_are_browsable_with_abolished_names(world) -> None:  # type: ignore[no-untyped-def]
    from edubase.datagov.models import CodeTable

    services.load_reference(actor=world.province_admin)
    table = CodeTable.objects.get(slug="gb2260")
    page = _client(world.city_admin).get(reverse("datagov:code_table_detail", args=[table.pk]), {"q": "410102"})
    text = page.content.decode()
    assert page.status_code == 200 and "中原区" in text
    elements = _client(world.city_admin).get(f"{API}/elements").json()
    assert {"code": "SFZJH", "name": "身份证件号"}.items() <= next(e for e in elements if e["code"] == "SFZJH").items()


def test_the_console_creates_a_derived_dataset(world, officer, scanned) -> None:  # type: ignore[no-untyped-def]
    client = _client(officer)
    assert client.get(reverse("datagov:dataset_new")).status_code == 200
    response = client.post(
        reverse("datagov:dataset_new"),
        {"org": world.zhengzhou.pk, "name": "郑州市学生汇总", "derived_from": [str(scanned.pk)]},
    )
    assert response.status_code == 302
    derived = Dataset.objects.get(name="郑州市学生汇总")
    assert derived.org == world.zhengzhou and list(derived.derived_from.all()) == [scanned]
    outside = client.post(reverse("datagov:dataset_new"), {"org": world.luoyang.pk, "name": "越权"})
    assert outside.status_code == 404 and not Dataset.objects.filter(name="越权").exists()
