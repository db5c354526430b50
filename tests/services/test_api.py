"""Government services end to end through the API: apply, upload, submit, handle, return, resubmit, decide, rate."""

from __future__ import annotations

import pytest

from edubase.services.models import Application, Material, Rating
from edubase.workflow.models import WorkTask
from tests.services.conftest import PDF, PNG, Hall, client_for, open_task

pytestmark = pytest.mark.django_db

API = "/api/v1/services"


def _apply(client, code: str, org_id: int) -> dict:
    response = client.post(
        f"{API}/applications", {"item_code": code, "org_id": org_id}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def _upload(client, app_id: int, name: str, filename: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"{API}/applications/{app_id}/materials", {"name": name, "file": SimpleUploadedFile(filename, data)}
    )


def _handle(user, task: WorkTask, decision: str, reason: str = ""):
    return client_for(user).post(
        f"{API}/tasks/{task.pk}/handle", {"decision": decision, "reason": reason}, content_type="application/json"
    )


def _teacher_ready(hall: Hall) -> tuple[object, int]:
    client = client_for(hall.applicant)
    app = _apply(client, "JYT-JSZG-001", hall.world.zhongyuan.pk)
    for i, name in enumerate(("身份证件", "学历证书", "体检表")):
        response = _upload(client, app["id"], name, f"m{i}.pdf", PDF + bytes([i]))
        assert response.status_code == 201, response.content
    return client, app["id"]


def test_the_catalogue_is_public(client, hall):
    listed = client.get(f"{API}/items").json()
    assert {i["code"] for i in listed} >= {"JYT-JSZG-001", "JYT-MBXX-001"}
    item = client.get(f"{API}/items/JYT-JSZG-001").json()
    assert item["name"] == "教师资格认定" and any(m["name"] == "体检表" for m in item["materials"])
    assert client.get(f"{API}/items/NOPE").status_code == 404


def test_teacher_qualification_from_application_to_rated_certificate(hall):
    client, app_id = _teacher_ready(hall)
    response = client.post(f"{API}/applications/{app_id}/submit")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["deadline"] and body["working_days_left"] >= 19

    # the county reviewer returns it for correction; the applicant sees "returned" and resubmits
    review = open_task(app_id, "materials_review")
    assert _handle(hall.county_reviewer, review, "return", "体检表缺少医院盖章").status_code == 200
    assert client.get(f"{API}/applications/{app_id}").json()["status"] == "returned"
    assert _upload(client, app_id, "体检表", "new.pdf", PDF + b"stamped").status_code == 201
    assert (
        client.post(f"{API}/applications/{app_id}/resubmit", {}, content_type="application/json").json()["status"]
        == "in_review"
    )

    assert _handle(hall.county_reviewer, open_task(app_id, "materials_review"), "approve").json()["status"] == (
        "in_review"
    )
    assert _handle(hall.county_reviewer, open_task(app_id, "interview_check"), "approve").status_code == 200
    final = _handle(hall.world.county_admin, open_task(app_id, "decide"), "approve").json()
    assert final["status"] == "approved" and final["result_number"] and final["corrections"] == 1

    pdf = client.get(f"{API}/applications/{app_id}/result.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    number = Application.objects.get(pk=app_id).number
    assert number.encode() in pdf.content

    rated = client.post(
        f"{API}/applications/{app_id}/rate", {"level": 5, "comment": "很快"}, content_type="application/json"
    )
    assert rated.status_code == 201 and Rating.objects.get(application_id=app_id).level == 5
    again = client.post(f"{API}/applications/{app_id}/rate", {"level": 1}, content_type="application/json")
    assert again.status_code == 409 and "只能评价一次" in again.json()["error"]["message"]


def test_a_rejection_ends_the_application_rejected(hall):
    client, app_id = _teacher_ready(hall)
    client.post(f"{API}/applications/{app_id}/submit")
    assert (
        _handle(hall.county_reviewer, open_task(app_id, "materials_review"), "reject", "学历不符").json()["status"]
        == "rejected"
    )


def test_the_licence_needs_both_countersigners(hall):
    client = client_for(hall.applicant)
    app = _apply(client, "JYT-MBXX-001", hall.world.zhongyuan.pk)
    for i, name in enumerate(("申办报告", "举办者资格证明", "资产及经费来源证明", "校舍及安全证明")):
        assert _upload(client, app["id"], name, f"l{i}.pdf", PDF + bytes([i])).status_code == 201
    assert client.post(f"{API}/applications/{app['id']}/submit").status_code == 200
    _handle(hall.county_reviewer, open_task(app["id"], "materials_review"), "approve")
    _handle(hall.county_reviewer, open_task(app["id"], "site_inspection"), "approve")
    signs = WorkTask.objects.filter(
        instance_id=Application.objects.get(pk=app["id"]).instance_id, element_id="countersign"
    )
    county_sign = signs.get(candidate_org=hall.world.zhongyuan)
    city_sign = signs.get(candidate_org=hall.world.zhengzhou)
    assert _handle(hall.county_reviewer, county_sign, "approve").status_code == 200
    assert not WorkTask.objects.filter(instance_id=county_sign.instance_id, element_id="decide").exists()
    assert _handle(hall.city_reviewer, city_sign, "approve").status_code == 200
    final = _handle(hall.world.county_admin, open_task(app["id"], "decide"), "approve").json()
    assert final["status"] == "approved"


def test_one_countersigner_refusing_refuses_the_licence(hall):
    client = client_for(hall.applicant)
    app = _apply(client, "JYT-MBXX-001", hall.world.zhongyuan.pk)
    for i, name in enumerate(("申办报告", "举办者资格证明", "资产及经费来源证明", "校舍及安全证明")):
        _upload(client, app["id"], name, f"l{i}.pdf", PDF + bytes([i]))
    client.post(f"{API}/applications/{app['id']}/submit")
    _handle(hall.county_reviewer, open_task(app["id"], "materials_review"), "approve")
    _handle(hall.county_reviewer, open_task(app["id"], "site_inspection"), "approve")
    signs = WorkTask.objects.filter(
        instance_id=Application.objects.get(pk=app["id"]).instance_id, element_id="countersign"
    )
    _handle(hall.county_reviewer, signs.get(candidate_org=hall.world.zhongyuan), "reject", "消防不合格")
    final = _handle(hall.city_reviewer, signs.get(candidate_org=hall.world.zhengzhou), "approve").json()
    assert final["status"] == "rejected"


def test_a_png_named_pdf_is_refused_by_its_content(hall):
    client = client_for(hall.applicant)
    app = _apply(client, "JYT-JSZG-001", hall.world.zhongyuan.pk)
    response = _upload(client, app["id"], "体检表", "fake.pdf", PNG)
    assert response.status_code == 422 and "不是允许的类型" in response.json()["error"]["message"]
    mislabelled = _upload(client, app["id"], "身份证件", "id.pdf", PNG)
    assert mislabelled.status_code == 422 and "扩展名与内容不符" in mislabelled.json()["error"]["message"]
    assert not Material.objects.exists()


def test_oversize_empty_and_duplicate_files_are_refused(hall):
    client = client_for(hall.applicant)
    app = _apply(client, "JYT-JSZG-001", hall.world.zhongyuan.pk)
    big = _upload(client, app["id"], "身份证件", "big.pdf", PDF + b"0" * (5 * 1024 * 1024))
    assert big.status_code == 422 and "超过 5 MB" in big.json()["error"]["message"]
    assert "空文件" in _upload(client, app["id"], "身份证件", "e.pdf", b"").json()["error"]["message"]
    assert _upload(client, app["id"], "身份证件", "a.pdf", PDF).status_code == 201
    dup = _upload(client, app["id"], "学历证书", "b.pdf", PDF)
    assert dup.status_code == 422 and "重复" in dup.json()["error"]["message"]
    assert Material.objects.count() == 1


def test_submitting_without_a_required_material_is_refused(hall):
    client = client_for(hall.applicant)
    app = _apply(client, "JYT-JSZG-001", hall.world.zhongyuan.pk)
    _upload(client, app["id"], "身份证件", "a.pdf", PDF)
    response = client.post(f"{API}/applications/{app['id']}/submit")
    assert response.status_code == 422 and "学历证书" in response.json()["error"]["message"]
    assert Application.objects.get(pk=app["id"]).status == "draft"


def test_rating_before_completion_is_refused(hall):
    client, app_id = _teacher_ready(hall)
    client.post(f"{API}/applications/{app_id}/submit")
    response = client.post(f"{API}/applications/{app_id}/rate", {"level": 4}, content_type="application/json")
    assert response.status_code == 409 and "办结后" in response.json()["error"]["message"]
    assert not Rating.objects.exists()


def test_the_wrong_official_cannot_handle_and_nothing_changes(hall):
    client, app_id = _teacher_ready(hall)
    client.post(f"{API}/applications/{app_id}/submit")
    task = open_task(app_id, "materials_review")
    for user in (hall.other_reviewer, hall.world.teacher, hall.applicant):
        assert _handle(user, task, "approve").status_code in (403, 404), user
    task.refresh_from_db()
    assert task.status == "open" and Application.objects.get(pk=app_id).status == "submitted"


def test_others_cannot_see_or_submit_someone_elses_application(hall):
    _client, app_id = _teacher_ready(hall)
    other = client_for(hall.world.outsider)
    assert other.get(f"{API}/applications/{app_id}").status_code == 404
    assert other.post(f"{API}/applications/{app_id}/submit").status_code == 404
    assert Application.objects.get(pk=app_id).status == "draft"


def test_the_lists_show_mine_and_what_i_handle(hall):
    client, app_id = _teacher_ready(hall)
    client.post(f"{API}/applications/{app_id}/submit")
    assert [a["id"] for a in client.get(f"{API}/applications").json()["items"]] == [app_id]
    assert [a["id"] for a in client_for(hall.county_reviewer).get(f"{API}/applications").json()["items"]] == [app_id]
    assert client_for(hall.other_reviewer).get(f"{API}/applications").json()["items"] == []


def test_the_publish_command_installs_processes_and_catalogue(world):
    from io import StringIO

    from django.core.management import call_command

    from edubase.services.models import ServiceItem
    from edubase.workflow.models import ProcessDefinition

    out = StringIO()
    call_command("services", "publish", stdout=out)
    assert {"teacher_qualification", "private_school_licence", "generic_approval"} <= set(
        ProcessDefinition.objects.values_list("key", flat=True)
    )
    assert set(ServiceItem.objects.values_list("code", flat=True)) == {"JYT-JSZG-001", "JYT-MBXX-001"}
    call_command("services", "publish", stdout=out)  # idempotent: no new versions
    assert ProcessDefinition.objects.filter(key="teacher_qualification").count() == 1


def test_the_applicant_withdraws_a_case_in_handling_and_its_tasks_close(hall):
    from edubase.services import services
    from edubase.workflow.models import ProcessInstance

    client, app_id = _teacher_ready(hall)
    client.post(f"{API}/applications/{app_id}/submit")
    application = Application.objects.get(pk=app_id)
    services.withdraw(actor=hall.applicant, application=application, reason="不再申请")
    application.refresh_from_db()
    assert application.status == "withdrawn"
    assert ProcessInstance.objects.get(pk=application.instance_id).state == "cancelled"
    assert not WorkTask.objects.filter(instance_id=application.instance_id, status="open").exists()


def test_the_application_follows_its_case_when_officials_use_the_workflow_api(hall):
    """Completing or returning a task through /workflow (not /services) still moves the application."""
    client, app_id = _teacher_ready(hall)
    client.post(f"{API}/applications/{app_id}/submit")
    official = client_for(hall.county_reviewer)
    review = open_task(app_id, "materials_review")
    returned = official.post(
        f"/api/v1/workflow/tasks/{review.pk}/return", {"comment": "照片不清晰"}, content_type="application/json"
    )
    assert returned.status_code == 200, returned.content
    app = Application.objects.get(pk=app_id)
    assert app.status == "returned" and app.corrections == 1
    assert client.post(f"{API}/applications/{app_id}/resubmit", {}, content_type="application/json").status_code == 200
    for element in ("materials_review", "interview_check"):
        task = open_task(app_id, element)
        done = official.post(
            f"/api/v1/workflow/tasks/{task.pk}/complete",
            {"data": {"decision": "approve"}, "comment": "同意"},
            content_type="application/json",
        )
        assert done.status_code == 200, done.content
    assert Application.objects.get(pk=app_id).status == "in_review"
    decide = open_task(app_id, "decide")
    client_for(hall.world.county_admin).post(
        f"/api/v1/workflow/tasks/{decide.pk}/complete",
        {"data": {"decision": "approve"}},
        content_type="application/json",
    )
    app = Application.objects.get(pk=app_id)
    assert app.status == "approved" and app.result_number and app.completed_at is not None and app.corrections == 1
