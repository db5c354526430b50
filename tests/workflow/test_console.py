"""The workflow pages of the console: inbox, task form, case with its diagram, definitions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import edubase.workflow
from edubase.workflow import engine
from edubase.workflow.diff import diff_steps
from edubase.workflow.models import InstanceState, ProcessDefinition, TaskStatus, WorkTask
from edubase.workflow.views import working_days_left
from tests.workflow.conftest import Desk, open_task, submitted_case

pytestmark = pytest.mark.django_db

SHIPPED = (Path(edubase.workflow.__file__).parent / "processes" / "generic_approval.bpmn").read_text(encoding="utf-8")


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def upload(client: Client, xml: str, name: str = "process.bpmn"):  # type: ignore[no-untyped-def]
    return client.post(reverse("workflow:definition_upload"), {"file": SimpleUploadedFile(name, xml.encode())})


# --- inbox ------------------------------------------------------------------------------------


def test_the_county_reviewer_sees_the_submitted_case_in_the_inbox_with_its_deadline(desk: Desk):
    case = submitted_case(desk)
    body = text(client_for(desk.county_reviewer).get(reverse("workflow:inbox")))
    task = open_task(case, "review")
    assert f'id="task-{task.pk}"' in body
    assert "审核" in body and desk.world.school_a.name in body and "中原区" in body
    assert "剩余 5 个工作日" in body or "剩余 4 个工作日" in body or "剩余 6 个工作日" in body
    assert reverse("workflow:task_claim", args=[task.pk]) in body


def test_a_reviewer_of_another_county_does_not_see_the_task(desk: Desk):
    case = submitted_case(desk)
    task = open_task(case, "review")
    body = text(client_for(desk.other_county_reviewer).get(reverse("workflow:inbox")))
    assert f'id="task-{task.pk}"' not in body and "暂无待办事项" in body


def test_an_overdue_task_is_shown_in_red_with_the_working_days_it_is_late(desk: Desk):
    case = submitted_case(desk)
    WorkTask.objects.filter(instance=case).update(due_at=timezone.now() - dt.timedelta(days=14))
    body = text(client_for(desk.county_reviewer).get(reverse("workflow:inbox")))
    assert 'class="table-danger"' in body and "已超期" in body


def test_the_sidebar_counts_the_open_tasks(desk: Desk):
    submitted_case(desk)
    body = text(client_for(desk.county_reviewer).get(reverse("console:home")))
    assert 'id="inbox-count">1<' in body
    assert reverse("workflow:definitions") not in body  # a reviewer is no province admin


def test_working_days_skip_the_weekend():
    friday = timezone.make_aware(dt.datetime(2026, 11, 27, 10))
    monday = timezone.make_aware(dt.datetime(2026, 11, 30, 10))
    assert working_days_left(monday, now=friday) == 1
    assert working_days_left(friday, now=monday) == -1
    assert working_days_left(None) is None


# --- claiming and completing ------------------------------------------------------------------


def test_claiming_through_htmx_answers_the_row_of_the_claimed_task(desk: Desk):
    task = open_task(submitted_case(desk), "review")
    response = client_for(desk.county_reviewer).post(
        reverse("workflow:task_claim", args=[task.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "已签收" in text(response) and text(response).lstrip().startswith("<tr")
    task.refresh_from_db()
    assert task.status == TaskStatus.CLAIMED and task.claimed_by == desk.county_reviewer


def test_a_non_candidate_cannot_claim_and_nothing_changes(desk: Desk):
    task = open_task(submitted_case(desk), "review")
    response = client_for(desk.other_county_reviewer).post(reverse("workflow:task_claim", args=[task.pk]))
    assert response.status_code in (403, 404)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_the_reviewer_approves_and_the_case_is_finished(desk: Desk):
    case = submitted_case(desk)
    task = open_task(case, "review")
    client = client_for(desk.county_reviewer)
    page = text(client.get(reverse("workflow:task", args=[task.pk])))
    assert 'id="task-form"' in page and "csrfmiddlewaretoken" in page
    response = client.post(
        reverse("workflow:task", args=[task.pk]), {"decision": "approve", "comment": "材料齐全，同意"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("workflow:case", args=[case.pk])
    case.refresh_from_db()
    assert case.state == InstanceState.COMPLETED and case.outcome == "approved"
    history = text(client.get(reverse("workflow:case", args=[case.pk])))
    assert "材料齐全，同意" in history and "办结" in history


def test_rejecting_without_a_reason_is_refused_with_an_alert_and_nothing_changes(desk: Desk):
    case = submitted_case(desk)
    task = open_task(case, "review")
    response = client_for(desk.county_reviewer).post(reverse("workflow:task", args=[task.pk]), {"decision": "reject"})
    assert response.status_code == 422
    assert "alert-danger" in text(response) and "必须填写理由" in text(response)
    assert open_task(case, "review").status == TaskStatus.OPEN


def test_returning_for_correction_sends_the_case_back_to_the_applicant(desk: Desk):
    case = submitted_case(desk)
    task = open_task(case, "review")
    response = client_for(desk.county_reviewer).post(
        reverse("workflow:task", args=[task.pk]), {"decision": "return", "reason": "请补充办学许可证复印件"}
    )
    assert response.status_code == 302
    resubmit = open_task(case, "submit")
    assert resubmit.assignee == desk.world.school_admin
    assert resubmit.pk in selectors_inbox_pks(desk.world.school_admin)


def selectors_inbox_pks(user) -> list[int]:  # type: ignore[no-untyped-def]
    from edubase.workflow.selectors import inbox_for

    return list(inbox_for(user).values_list("pk", flat=True))


def test_completing_a_task_twice_shows_the_engine_error(desk: Desk):
    case = submitted_case(desk)
    task = open_task(case, "review")
    client = client_for(desk.county_reviewer)
    client.post(reverse("workflow:task", args=[task.pk]), {"decision": "approve"})
    again = client.post(reverse("workflow:task", args=[task.pk]), {"decision": "approve"})
    assert again.status_code == 409 and ("已办结" in text(again) or "已办理" in text(again))


def test_a_viewer_who_is_no_candidate_sees_the_task_read_only_and_may_not_complete_it(desk: Desk):
    task = open_task(submitted_case(desk), "review")
    client = client_for(desk.world.city_admin)
    page = text(client.get(reverse("workflow:task", args=[task.pk])))
    assert 'id="task-readonly"' in page and 'id="task-form"' not in page
    response = client.post(reverse("workflow:task", args=[task.pk]), {"decision": "approve"})
    assert response.status_code == 403
    assert open_task(task.instance, "review").status == TaskStatus.OPEN


def test_the_outsider_gets_404_for_the_task_and_the_case(desk: Desk):
    task = open_task(submitted_case(desk), "review")
    client = client_for(desk.world.outsider)
    assert client.get(reverse("workflow:task", args=[task.pk])).status_code == 404
    assert client.get(reverse("workflow:case", args=[task.instance_id])).status_code == 404
    assert client.post(reverse("workflow:task", args=[task.pk]), {"decision": "approve"}).status_code == 404


def test_a_reviewer_of_another_city_gets_404_for_the_case(desk: Desk):
    case = submitted_case(desk)
    assert client_for(desk.luoyang_reviewer).get(reverse("workflow:case", args=[case.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(reverse("workflow:inbox"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("console:login"))


# --- the case page and its diagram --------------------------------------------------------------


def _json_script(body: str, element_id: str) -> object:
    start = body.index(f'<script id="{element_id}"')
    start = body.index(">", start) + 1
    return json.loads(body[start : body.index("</script>", start)])


def test_the_case_page_marks_completed_and_current_steps_for_the_diagram(desk: Desk):
    case = submitted_case(desk)
    body = text(client_for(desk.county_reviewer).get(reverse("workflow:case", args=[case.pk])))
    assert _json_script(body, "diagram-marks") == {"completed": ["start", "submit"], "current": ["review"]}
    assert "bpmndi:BPMNDiagram" in str(_json_script(body, "diagram-xml"))
    assert "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in body
    assert "填写并提交申请" in body and "矩阵" not in body


# --- definitions ------------------------------------------------------------------------------


def _new_version() -> str:
    """The shipped process with the review renamed, its due days changed and a new end event."""
    return (
        SHIPPED.replace('name="审核"', 'name="县级审核"')
        .replace('dueWorkingDays="5"', 'dueWorkingDays="3"')
        .replace(
            '<bpmn:endEvent id="rejected" name="不予">',
            '<bpmn:endEvent id="withdrawn" name="撤回" />\n    <bpmn:endEvent id="rejected" name="不予">',
        )
    )


def test_the_diff_names_added_renamed_and_changed_steps():
    rows = {d.id: d for d in diff_steps(SHIPPED, _new_version(), key="generic_approval")}
    assert rows["withdrawn"].status == "added"
    assert rows["review"].status == "changed"
    assert [(str(c.label), c.old, c.new) for c in rows["review"].changes] == [
        ("名称", "审核", "县级审核"),
        ("办理时限（工作日）", "5", "3"),
    ]
    assert rows["submit"].status == "same"
    removed = {d.id: d for d in diff_steps(_new_version(), SHIPPED, key="generic_approval")}
    assert removed["withdrawn"].status == "removed"
    renamed = {d.id: d for d in diff_steps(SHIPPED, SHIPPED.replace('name="准予"', 'name="准予许可"'))}
    assert renamed["approved"].status == "renamed"


def test_the_province_admin_uploads_sees_the_diff_and_publishes_version_2(desk: Desk):
    client = client_for(desk.world.province_admin)
    listing = text(client.get(reverse("workflow:definitions")))
    assert "generic_approval" in listing and "v1" in listing
    preview = upload(client, _new_version())
    assert preview.status_code == 200
    body = text(preview)
    assert 'data-step="withdrawn" data-status="added"' in body
    assert 'data-step="review" data-status="changed"' in body and "县级审核" in body
    assert "发布为第 2 版" in body and 'id="diagram"' in body
    assert ProcessDefinition.objects.filter(key="generic_approval").count() == 1  # nothing published yet
    published = client.post(
        reverse("workflow:definition_publish"),
        {"key": "generic_approval", "name": "通用一步审批", "bpmn_xml": _new_version()},
    )
    assert published.status_code == 302
    latest = ProcessDefinition.objects.filter(key="generic_approval").order_by("-version").first()
    assert latest is not None and latest.version == 2 and latest.published_by == desk.world.province_admin
    assert "县级审核" in latest.bpmn_xml


def test_a_running_case_stays_on_its_version_after_publishing(desk: Desk):
    case = submitted_case(desk)
    client_for(desk.world.province_admin).post(
        reverse("workflow:definition_publish"),
        {"key": "generic_approval", "name": "通用一步审批", "bpmn_xml": _new_version()},
    )
    body = text(client_for(desk.county_reviewer).get(reverse("workflow:case", args=[case.pk])))
    assert "（v1）" in body


def test_an_invalid_bpmn_shows_the_element_and_the_reason(desk: Desk):
    bad = SHIPPED.replace('role="reviewer"', 'role="no_such_role"')
    response = upload(client_for(desk.world.province_admin), bad)
    assert response.status_code == 422
    body = text(response)
    assert 'id="bpmn-problems"' in body and "<code>review</code>" in body and "no_such_role" in body
    assert 'id="publish-form"' not in body


def test_a_script_task_is_refused_at_upload(desk: Desk):
    bad = SHIPPED.replace(
        '<bpmn:endEvent id="approved" name="准予">',
        '<bpmn:scriptTask id="evil" name="脚本"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>\n'
        '    <bpmn:endEvent id="approved" name="准予">',
    )
    body = text(upload(client_for(desk.world.province_admin), bad))
    assert "<code>evil</code>" in body and "不支持脚本任务" in body


def test_a_file_that_is_not_xml_is_refused_with_the_line(desk: Desk):
    response = upload(client_for(desk.world.province_admin), "<bpmn:definitions")
    assert response.status_code == 422 and "XML 格式错误" in text(response)


def test_a_city_admin_may_neither_see_upload_nor_publish_definitions(desk: Desk):
    client = client_for(desk.world.city_admin)
    assert client.get(reverse("workflow:definitions")).status_code == 403
    assert upload(client, _new_version()).status_code == 403
    published = client.post(
        reverse("workflow:definition_publish"),
        {"key": "generic_approval", "name": "x", "bpmn_xml": _new_version()},
    )
    assert published.status_code == 403
    assert ProcessDefinition.objects.filter(key="generic_approval").count() == 1


def test_the_province_admin_sees_the_definitions_entry_in_the_sidebar(desk: Desk):
    body = text(client_for(desk.world.province_admin).get(reverse("console:home")))
    assert reverse("workflow:definitions") in body


def test_the_applicant_can_complete_its_own_step_from_the_inbox(desk: Desk):
    w = desk.world
    case = engine.start("generic_approval", subject=w.school_a, org=w.school_a, actor=w.school_admin)
    task = open_task(case, "submit")
    client = client_for(w.school_admin)
    assert f'id="task-{task.pk}"' in text(client.get(reverse("workflow:inbox")))
