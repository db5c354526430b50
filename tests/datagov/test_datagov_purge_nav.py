"""The catalogue's masked samples go when the life cycle deletes a dataset, and the 数据治理 overview
leads a data officer to the sharing and pool pages."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from edubase.datagov import services
from edubase.datagov.models import DataField, Dataset
from edubase.datagov.purge import PURGER_NAME, purge_samples
from edubase.datagov.sharing import lifecycle
from tests.factories import citizen_id, make_user

pytestmark = pytest.mark.django_db


def _db(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE xsjbxx (XM TEXT, SFZJH TEXT, LXDH TEXT, XN TEXT)")
    for i in range(30):
        db.execute(
            "INSERT INTO xsjbxx VALUES (?, ?, ?, ?)",
            (
                ["张伟", "王芳", "李娜"][i % 3],
                citizen_id("410102", "20100101", f"{i:03d}"),
                f"1391234{i:04d}",
                "2025",
            ),
        )
    db.commit()
    db.close()
    return path


@pytest.fixture
def officer(world):  # type: ignore[no-untyped-def]
    return make_user("zz_data_officer", role="data_officer", org=world.zhengzhou)


@pytest.fixture
def scanned(world, officer, tmp_path) -> Dataset:  # type: ignore[no-untyped-def]
    source = services.create_source(
        actor=officer, org=world.school_a, name="学籍库", kind="sqlite", location=str(_db(tmp_path / "x.db"))
    )
    report = services.scan_source(actor=officer, source=source)
    return Dataset.objects.get(pk=report.tables[0].dataset_id)


def test_the_catalogue_purger_is_registered_by_the_app() -> None:
    assert lifecycle._PURGERS[PURGER_NAME] is purge_samples


def test_deleting_a_dataset_removes_the_catalogues_masked_samples(world: Any, officer: Any, scanned: Dataset) -> None:
    other = services.create_dataset(actor=officer, org=world.school_a, name="另一个数据集")
    DataField.objects.create(dataset=other, name="XM", samples_masked=["张*"])
    held = sum(len(f.samples_masked) for f in scanned.fields.all())
    assert held > 0
    rule = lifecycle.set_retention(actor=officer, dataset=scanned, retain_days=30, on_expiry="delete")
    certificate = lifecycle.delete(actor=officer, rule=rule, reason="保存期满，依规删除")
    assert json.loads(certificate.payload)["purged"][PURGER_NAME] == held
    fields = list(scanned.fields.all())
    assert fields and all(f.samples_masked == [] for f in fields)  # the structure stays, the contents go
    assert {f.name for f in fields} == {"XM", "SFZJH", "LXDH", "XN"}
    assert DataField.objects.get(dataset=other).samples_masked == ["张*"]  # other datasets untouched
    assert purge_samples(scanned) == 0


def test_the_overview_links_to_sharing_and_the_pool(officer: Any) -> None:
    client = Client()
    client.force_login(officer)
    page = client.get(reverse("datagov:index"))
    assert page.status_code == 200
    html = page.content.decode()
    targets = [
        "datagov_sharing:request_list",
        "datagov_sharing:grant_list",
        "datagov_sharing:policy",
        "datagov_sharing:trace",
        "datagov_sharing:lifecycle",
        "datagov_pool:dashboard",
        "datagov_pool:submission_list",
        "datagov_pool:record_list",
        "datagov_pool:review_list",
        "datagov_pool:conflict_list",
        "datagov_pool:contract",
    ]
    for name in targets:
        url = reverse(name)
        assert f'href="{url}"' in html, name
        assert client.get(url).status_code == 200, name  # the officer can open every one of them
    # the tabs of every catalogue page carry the two sections as well
    tabs = client.get(reverse("datagov:source_list")).content.decode()
    assert f'href="{reverse("datagov_sharing:request_list")}"' in tabs
    assert f'href="{reverse("datagov_pool:dashboard")}"' in tabs
