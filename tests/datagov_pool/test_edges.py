"""Console pages, API and CLI of the pool: thin edges over the same services."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from edubase.datagov.pool.models import QualityRun, RosterRecord, Submission
from tests.datagov_pool.rosters import api_row, csv_bytes, pupil
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _upload(client, school, data, name="r.csv"):  # type: ignore[no-untyped-def]
    url = reverse("datagov_pool:submission_upload", kwargs={"pk": school.pk})
    return client.post(url, {"file": SimpleUploadedFile(name, data)})


def test_a_school_admin_uploads_a_gbk_file_from_the_console(client, world):
    client.force_login(world.school_admin)
    response = _upload(client, world.school_a, csv_bytes([pupil(world.school_a.code)], encoding="gbk"))
    sub = Submission.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "datagov_pool:submission_detail", args=[sub.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert "GB18030（GBK）" in page and "已接收" in page


def test_a_refused_file_shows_its_row_errors(client, world):
    client.force_login(world.school_admin)
    bad = pupil(world.school_a.code)
    bad[4] = "2016-13-45"
    response = _upload(client, world.school_a, csv_bytes([bad]))
    page = client.get(response["Location"]).content.decode()
    assert "第 2 行" in page and "日期格式应为 YYYY-MM-DD" in page
    assert RosterRecord.objects.count() == 0


def test_the_dashboard_draws_scores_after_a_run(client, world):
    client.force_login(world.school_admin)
    _upload(client, world.school_a, csv_bytes([pupil(world.school_a.code)]))
    officer = make_user("officer", role="data_officer", org=world.province)
    client.force_login(officer)
    assert client.post(reverse("datagov_pool:quality_run")).status_code == 302
    page = client.get(reverse("datagov_pool:dashboard")).content.decode()
    assert "pool-chart-data" in page and world.school_a.name in page and "县区排名" in page


def test_templates_download_with_the_contract_headers(client, world):
    from openpyxl import load_workbook

    client.force_login(world.school_admin)
    xlsx = client.get(reverse("datagov_pool:template_xlsx"))
    book = load_workbook(io.BytesIO(xlsx.content))
    assert [c.value for c in book.worksheets[0][1]][:3] == ["学校标识码", "学籍号", "姓名"]
    assert "填表说明" in book.sheetnames
    csv = client.get(reverse("datagov_pool:template_csv")).content
    assert csv.startswith(b"\xef\xbb\xbf") and "学籍号".encode() in csv


def test_the_api_answers_422_with_row_errors_and_200_for_a_repeat(client, world):
    client.force_login(world.school_admin)
    url = f"/api/v1/datagov/pool/schools/{world.school_a.pk}/rows"
    row = api_row(world.school_a.code)
    bad = {**row, "sex": "男性别"}
    refused = client.post(url, json.dumps({"rows": [bad]}), content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["column"] == "性别码"
    assert client.post(url, json.dumps({"rows": [row]}), content_type="application/json").status_code == 201
    again = client.post(url, json.dumps({"rows": [row]}), content_type="application/json")
    assert again.status_code == 200 and again.json()["duplicate"] is True


def test_the_api_contract_lists_code_tables(client, world):
    client.force_login(world.school_admin)
    body = client.get("/api/v1/datagov/pool/contract").json()
    sex = next(c for c in body["columns"] if c["key"] == "sex")
    assert sex["codes"]["1"] == "男" and body["key"] == ["school_code", "student_number"]


def test_the_cli_submits_and_runs_quality(tmp_path, world):
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes([pupil(world.school_a.code)], encoding="gbk"))
    out = io.StringIO()
    call_command(
        "datagov_pool", "submit", "--user", "province_admin", "--school", world.school_a.code, str(path), stdout=out
    )
    assert "GB18030" in out.getvalue()
    call_command("datagov_pool", "quality", stdout=out)
    assert QualityRun.objects.get().rows == 1


def test_the_worker_job_is_registered(world):
    from edubase.core import jobs

    job = next(j for j in jobs.registered() if j.name == "datagov_pool.quality")
    assert job.run() == 0  # an empty pool: nothing to evaluate, no run stored
    assert not QualityRun.objects.exists()


def test_the_records_api_shows_how_many_schools_report_a_pupil(client, world):
    from edubase.datagov.pool import services

    services.submit_rows(actor=world.province_admin, school=world.school_a, rows=[api_row(world.school_a.code)])
    services.submit_rows(actor=world.province_admin, school=world.school_c, rows=[api_row(world.school_c.code)])
    client.force_login(world.school_admin)
    items = client.get("/api/v1/datagov/pool/records").json()["items"]
    assert [(i["school_name"], i["golden_sources"]) for i in items] == [(world.school_a.name, 2)]
    page = client.get(reverse("datagov_pool:record_list")).content.decode()
    assert "多校" in page and world.school_c.name not in page
