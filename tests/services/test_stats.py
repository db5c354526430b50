"""Government-service statistics: on-time rate, handling time, corrections and satisfaction."""

from __future__ import annotations

import pytest
from django.urls import reverse

from edubase.services import services, stats
from edubase.services.models import Application
from tests.services.conftest import PDF, Hall, client_for, open_task

pytestmark = pytest.mark.django_db


def _decided(hall: Hall, *, decision: str, correct_first: bool, rating: int | None) -> Application:
    applicant = hall.applicant
    app = services.apply(actor=applicant, item=hall.teacher_item, org=hall.world.zhongyuan)
    for i, name in enumerate(("身份证件", "学历证书", "体检表")):
        services.upload_material(
            actor=applicant,
            application=app,
            name=name,
            filename=f"{i}.pdf",
            data=PDF + bytes([i]) + str(app.pk).encode(),
        )
    services.submit(actor=applicant, application=app)
    if correct_first:
        services.handle(
            open_task(app.pk, "materials_review"), actor=hall.county_reviewer, decision="return", reason="补"
        )
        services.resubmit(actor=applicant, application=Application.objects.get(pk=app.pk))
    if decision == "reject":
        services.handle(
            open_task(app.pk, "materials_review"), actor=hall.county_reviewer, decision="reject", reason="不符合"
        )
    else:
        services.handle(open_task(app.pk, "materials_review"), actor=hall.county_reviewer, decision="approve")
        services.handle(open_task(app.pk, "interview_check"), actor=hall.county_reviewer, decision="approve")
        services.handle(open_task(app.pk, "decide"), actor=hall.world.county_admin, decision="approve")
    app = Application.objects.get(pk=app.pk)
    if rating is not None:
        services.rate(actor=applicant, application=app, level=rating)
    return app


def test_the_figures_count_on_time_corrections_and_satisfaction(hall):
    _decided(hall, decision="approve", correct_first=True, rating=5)
    _decided(hall, decision="reject", correct_first=False, rating=2)
    _decided(hall, decision="approve", correct_first=False, rating=None)
    figures = stats.service_stats(hall.world.city_admin)
    o = figures["overall"]
    assert (o["applications"], o["completed"], o["ratings"]) == (3, 3, 2)
    assert o["on_time_rate"] == 1.0 and o["correction_rate"] == round(1 / 3, 4)
    assert o["avg_satisfaction"] == 3.5 and o["good_rate"] == 0.5 and o["bad_rate"] == 0.5
    assert o["avg_handling_hours"] is not None and o["avg_handling_hours"] >= 0
    (item,) = figures["by_item"]
    assert item["code"] == "JYT-JSZG-001" and item["name"] == "教师资格认定" and item["applications"] == 3
    (pref,) = figures["by_prefecture"]
    assert pref["name"] == "郑州市" and pref["ratings"] == 2


def test_the_figures_stay_inside_the_scope(hall):
    _decided(hall, decision="approve", correct_first=False, rating=4)
    luoyang = stats.service_stats(hall.other_reviewer)
    assert luoyang["overall"]["applications"] == 0 and luoyang["by_item"] == []
    assert stats.service_stats(hall.world.county_admin)["overall"]["applications"] == 1


def test_the_stats_page_and_api(hall):
    _decided(hall, decision="approve", correct_first=True, rating=5)
    page = client_for(hall.world.city_admin).get(reverse("services:stats"))
    body = page.content.decode()
    assert page.status_code == 200 and 'id="chart-item-good"' in body and "教师资格认定" in body
    api = client_for(hall.world.city_admin).get("/api/v1/services/stats").json()
    assert api["overall"]["good_rate"] == 1.0
    assert client_for(hall.applicant).get("/api/v1/services/stats").status_code == 403
    assert client_for(hall.applicant).get(reverse("services:stats")).status_code == 403
