"""Fixtures of data sharing: a school roster in a real SQLite source, catalogued and graded, and data officers."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.factories import World, citizen_id, make_user

#: (name, entity, category, level, personal, sensitive)
ROSTER_FIELDS = [
    ("XM", "person_name", "general", 3, True, False),
    ("SFZJH", "citizen_id", "general", 4, True, True),
    ("NJ", "", "general", 1, False, False),
    ("XXDM", "", "general", 1, False, False),
    ("JKZK", "health", "general", 4, True, True),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "明红刚丽伟芳娜敏静强磊军洋勇艳杰娟涛超"


def roster_rows(n: int, schools: tuple[str, ...]) -> list[tuple[str, ...]]:
    rows = []
    for i in range(n):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 3) % len(GIVEN)]
        birth = f"20{10 + i % 8:02d}{1 + i % 12:02d}{1 + i % 28:02d}"
        rows.append(
            (
                name,
                citizen_id("410102", birth, f"{i % 1000:03d}"),
                f"{1 + i % 6}年级",
                schools[i % len(schools)],
                "良好",
            )
        )
    return rows


def make_roster_db(path: Path, rows: list[tuple[str, ...]]) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE roster (XM TEXT, SFZJH TEXT, NJ TEXT, XXDM TEXT, JKZK TEXT)")
    db.executemany("INSERT INTO roster VALUES (?, ?, ?, ?, ?)", rows)
    db.commit()
    db.close()
    return path


def make_dataset(
    org: Any, db_path: Path, *, name: str = "学生花名册", sensitive: bool = True, category: str = "general"
) -> Any:
    from edubase.datagov.models import DataField, Dataset, DataSource, SourceKind

    source = DataSource.objects.create(
        org=org, org_path=org.path, name=f"{name}库", kind=SourceKind.SQLITE, location=str(db_path)
    )
    dataset = Dataset.objects.create(
        org=org,
        org_path=org.path,
        source=source,
        source_table="roster",
        name=name,
        grade_category=category,
        grade_level=6 if category == "core" else 5 if category == "important" else 4,
        personal=True,
        sensitive=sensitive,
        published=True,
    )
    for position, (field, entity, cat, level, personal, sens) in enumerate(ROSTER_FIELDS):
        DataField.objects.create(
            dataset=dataset,
            position=position,
            name=field,
            entity=entity,
            grade_category=category if category != "general" and field == "NJ" else cat,
            grade_level=level,
            personal=personal,
            sensitive=sens,
        )
    return dataset


@dataclass
class Sharing:
    world: World
    dataset: Any  # sensitive roster of 中原区 (rows of schools A and B)
    plain: Any  # the same roster without the sensitive flag, owned by school A
    rows: list[tuple[str, ...]]
    county_officer: Any  # data officer of 中原区 (owner side of ``dataset``)
    city_officer: Any  # data officer of 郑州
    school_officer: Any  # data officer of school A (owner side of ``plain``)
    province_officer: Any
    requester: Any  # data officer of 洛阳 老城区 (another city's bureau)
    ly_admin: Any  # county admin of 老城区 (no data officer role)


@pytest.fixture
def sharing(world: World, tmp_path: Path) -> Sharing:
    from edubase.datagov.sharing import services

    services.publish_process(actor=None)
    rows = roster_rows(240, (world.school_a.code, world.school_b.code))
    db = make_roster_db(tmp_path / "roster.sqlite3", rows)
    return Sharing(
        world=world,
        dataset=make_dataset(world.zhongyuan, db),
        plain=make_dataset(world.school_a, db, name="一年级名单", sensitive=False),
        rows=rows,
        county_officer=make_user("zy_data_officer", role="data_officer", org=world.zhongyuan),
        city_officer=make_user("zz_data_officer", role="data_officer", org=world.zhengzhou),
        school_officer=make_user("a_data_officer", role="data_officer", org=world.school_a),
        province_officer=make_user("ha_data_officer", role="data_officer", org=world.province),
        requester=make_user("lc_data_officer", role="data_officer", org=world.laocheng),
        ly_admin=make_user("lc_county_admin", role="county_admin", org=world.laocheng),
    )
