"""Console pages of services: the public catalogue, applying with uploads, my applications, detail, rating."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from edubase.services import services
from edubase.services.models import Application, Rating
from tests.services.conftest import PDF, PNG, Hall, client_for, open_task

pytestmark = pytest.mark.django_db


def _files(prefix: str = "") -> dict[str, SimpleUploadedFile]:
    return {
        f"material_{i}": SimpleUploadedFile(f"{prefix}{i}.pdf", PDF + prefix.encode() + bytes([i])) for i in range(3)
    }


def test_the_catalogue_and_an_item_are_public(client, hall):
    listed = client.get(reverse("services:catalogue"))
    assert listed.status_code == 200 and "教师资格认定" in listed.content.decode()
    detail = client.get(reverse("services:item_detail", args=["JYT-JSZG-001"]))
    assert detail.status_code == 200 and "体检表" in detail.content.decode()
    assert client.get(reverse("services:item_detail", args=["NOPE"])).status_code == 404


def test_applying_needs_sign_in(client, hall):
    response = client.get(reverse("services:apply", args=["JYT-JSZG-001"]))
    assert response.status_code == 302 and reverse("console:login") in response["Location"]


def test_a_citizen_applies_follows_the_countdown_and_rates(hall: Hall):
    client = client_for(hall.applicant)
    form = client.get(reverse("services:apply", args=["JYT-JSZG-001"]))
    assert form.status_code == 200 and hall.world.zhongyuan.name in form.content.decode()
    response = client.post(
        reverse("services:apply", args=["JYT-JSZG-001"]), {"org": hall.world.zhongyuan.pk, "note": "申请", **_files()}
    )
    application = Application.objects.get()
    assert response.status_code == 302 and application.status == "submitted"
    mine = client.get(reverse("services:my_applications")).content.decode()
    assert application.number in mine and "剩余" in mine

    services.handle(
        open_task(application.pk, "materials_review"),
        actor=hall.county_reviewer,
        decision="return",
        reason="体检表不清晰",
    )
    detail = client.get(reverse("services:application_detail", args=[application.pk])).content.decode()
    assert "退回补正" in detail and "体检表不清晰" in detail and "resubmit-form" in detail
    client.post(
        reverse("services:application_resubmit", args=[application.pk]),
        {"name": "体检表", "file": SimpleUploadedFile("clear.pdf", PDF + b"clear"), "comment": "已补正"},
    )
    services.handle(open_task(application.pk, "materials_review"), actor=hall.county_reviewer, decision="approve")
    services.handle(open_task(application.pk, "interview_check"), actor=hall.county_reviewer, decision="approve")
    services.handle(open_task(application.pk, "decide"), actor=hall.world.county_admin, decision="approve")

    detail = client.get(reverse("services:application_detail", args=[application.pk])).content.decode()
    assert "准予" in detail and "rate-form" in detail and "result-pdf" in detail
    pdf = client.get(reverse("services:application_result", args=[application.pk]))
    assert pdf.content.startswith(b"%PDF")
    client.post(reverse("services:application_rate", args=[application.pk]), {"level": "4", "comment": "好"})
    assert Rating.objects.get().level == 4
    again = client.post(reverse("services:application_rate", args=[application.pk]), {"level": "1"})
    assert again.status_code == 409 and Rating.objects.get().level == 4


def test_a_wrong_file_keeps_nothing_and_says_why(hall):
    client = client_for(hall.applicant)
    files = _files()
    files["material_2"] = SimpleUploadedFile("body.pdf", PNG)
    response = client.post(reverse("services:apply", args=["JYT-JSZG-001"]), {"org": hall.world.zhongyuan.pk, **files})
    assert response.status_code == 422 and "不是允许的类型" in response.content.decode()
    assert not Application.objects.exists()


def test_someone_elses_application_page_is_not_found(hall):
    client = client_for(hall.applicant)
    client.post(reverse("services:apply", args=["JYT-JSZG-001"]), {"org": hall.world.zhongyuan.pk, **_files()})
    pk = Application.objects.get().pk
    assert client_for(hall.world.outsider).get(reverse("services:application_detail", args=[pk])).status_code == 404
    assert client_for(hall.other_reviewer).get(reverse("services:application_result", args=[pk])).status_code == 404


def _submitted(hall: Hall) -> Application:
    client = client_for(hall.applicant)
    client.post(
        reverse("services:apply", args=["JYT-JSZG-001"]), {"org": hall.world.zhongyuan.pk, "note": "申请", **_files()}
    )
    return Application.objects.get(applicant=hall.applicant)


def test_an_official_handles_from_the_handling_list_with_materials_and_reasons(hall):
    app = _submitted(hall)
    official = client_for(hall.county_reviewer)
    listed = official.get(reverse("services:handling")).content.decode()
    assert app.number in listed
    page = official.get(reverse("services:application_detail", args=[app.pk])).content.decode()
    assert "data-handle-form" in page and "提交办理意见" in page
    material = app.material_files.first()
    download = official.get(reverse("services:material_download", args=[app.pk, material.pk]))
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert download["X-Content-Type-Options"] == "nosniff"

    task = open_task(app.pk, "materials_review")
    refused = official.post(
        reverse("services:application_handle", args=[app.pk]), {"task": task.pk, "decision": "return", "reason": ""}
    )
    assert refused.status_code == 422 and "必须填写理由" in refused.content.decode()
    assert Application.objects.get(pk=app.pk).status == "submitted"
    done = official.post(
        reverse("services:application_handle", args=[app.pk]),
        {"task": task.pk, "decision": "return", "reason": "体检表不清晰"},
    )
    assert done.status_code == 302
    app.refresh_from_db()
    assert app.status == "returned" and app.decision_reason == "体检表不清晰"
    # the applicant's own page offers no handling form, and nobody can handle a step that is not theirs
    own = client_for(hall.applicant).get(reverse("services:application_detail", args=[app.pk])).content.decode()
    assert "data-handle-form" not in own
    assert app.number not in client_for(hall.other_reviewer).get(reverse("services:handling")).content.decode()


def test_the_wrong_official_cannot_handle_or_download_and_nothing_changes(hall):
    app = _submitted(hall)
    task = open_task(app.pk, "materials_review")
    other = client_for(hall.other_reviewer)  # 洛阳: not over 中原区
    response = other.post(
        reverse("services:application_handle", args=[app.pk]), {"task": task.pk, "decision": "approve"}
    )
    assert response.status_code == 404
    material = app.material_files.first()
    assert other.get(reverse("services:material_download", args=[app.pk, material.pk])).status_code == 404
    teacher = client_for(hall.world.teacher)  # sees 中原区's schools but holds no reviewer role
    page = teacher.post(reverse("services:application_handle", args=[app.pk]), {"task": task.pk, "decision": "approve"})
    assert page.status_code in (404, 409)
    assert Application.objects.get(pk=app.pk).status == "submitted"
