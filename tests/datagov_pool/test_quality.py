"""Quality rules on DuckDB: each rule fails where it should, scores roll up the org tree, runs are kept."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from edubase.core.errors import PermissionDenied
from edubase.datagov.pool import quality, selectors, services
from edubase.datagov.pool.models import QualityRun, QualityScore
from tests.datagov_pool.rosters import csv_bytes, pupil
from tests.factories import citizen_id, make_user

TODAY = dt.date(2026, 11, 29)


def _row(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "school_id": 1, "school_path": "0001000100010001", "school_code": "2141000001", "school_region": "410102",
        "student_number": "G" + citizen_id("410102", "20160307", "011"), "person_key": "k1", "name": "张小明",
        "sex": "1", "birth_date": dt.date(2016, 3, 7), "ethnicity": "01", "grade": "14", "class_name": "2班",
        "guardian_name": "张建国", "guardian_phone": "13812345678", "enrol_date": dt.date(2022, 9, 1),
        "updated_at": dt.datetime(2026, 11, 1),
    }  # fmt: skip
    row.update(overrides)
    return row


def _failures(*rows: dict[str, object]) -> dict[str, int]:
    table = pa.Table.from_pylist(list(rows))
    con = duckdb.connect()
    con.register("t", table)
    found = quality.evaluate(con, "t", today=TODAY)
    total = quality.Counts()
    for counts in found.values():
        total.add(counts)
    return total.failures()


def test_a_clean_row_passes_every_rule():
    assert _failures(_row()) == {}


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"student_number": "G" + citizen_id("410102", "20160307", "011")[:-1] + "0"}, "number_valid"),
        ({"student_number": "G" + citizen_id("999999", "20160307", "011")}, "number_valid"),
        ({"sex": "2"}, "id_matches_sex"),
        ({"birth_date": dt.date(2016, 3, 8)}, "id_matches_birth"),
        ({"grade": "33"}, "age_fits_grade"),
        ({"school_code": "2142000001"}, "school_code_region"),
        ({"ethnicity": "77"}, "ethnicity_valid"),
        ({"ethnicity": ""}, "ethnicity_filled"),
        ({"guardian_phone": "12345"}, "phone_valid"),
        ({"updated_at": dt.datetime(2025, 11, 1)}, "fresh"),
        ({"enrol_date": dt.date(2017, 9, 1)}, "enrol_after_birth"),
    ],
)
def test_each_rule_catches_its_fault(overrides, rule):
    assert _failures(_row(**overrides)) == {rule: 1}


def test_a_region_code_newer_than_the_birth_year_is_valid():
    # 410184 新郑市 exists from 1994; a pupil born later carries it, and one born before may too
    number = "G" + citizen_id("410184", "20160307", "011")
    assert "number_valid" not in _failures(_row(student_number=number))


def test_an_l_number_skips_the_identifier_rules():
    assert _failures(_row(student_number="L" + "A1B2C3D4E5F6G7H8I9")) == {}


def test_the_same_pupil_at_two_schools_fails_uniqueness_at_both():
    found = _failures(_row(), _row(school_id=2, school_path="0001000100020001"))
    assert found == {"single_school": 2}


def test_scores_roll_up_and_weight_dimensions():
    per_school = {
        (1, "00010001"): quality.Counts(
            rows=1, applied={"fresh": 1, "sex_valid": 1}, passed={"fresh": 0, "sex_valid": 1}
        ),
        (2, "00010002"): quality.Counts(
            rows=1, applied={"fresh": 1, "sex_valid": 1}, passed={"fresh": 1, "sex_valid": 1}
        ),
    }
    rolled = quality.roll_up(per_school)
    assert rolled["0001"].rows == 2
    overall, dims = quality.score(rolled["0001"])
    assert dims == {"validity": 100.0, "timeliness": 50.0}
    assert overall == pytest.approx((100 * 0.25 + 50 * 0.10) / 0.35, abs=0.01)


@pytest.mark.django_db
def test_a_run_stores_scores_for_each_level_and_the_trend_improves(world):
    code = world.school_a.code
    no_guardian = [
        pupil(code, guardian="", phone="", seq="011"),
        pupil(code, name="李小红", seq="022", guardian="", phone=""),
    ]
    services.submit_file(actor=world.school_admin, school=world.school_a, filename="a.csv", data=csv_bytes(no_guardian))
    services.submit_file(
        actor=world.province_admin, school=world.school_c, filename="c.csv",
        data=csv_bytes([pupil(world.school_c.code, name="赵小燕", region="410302", seq="044")]),
    )  # fmt: skip
    first = services.run_quality(actor=world.province_admin)
    assert first.rows == 3
    levels = set(QualityScore.objects.filter(run=first).values_list("org__name", "level"))
    assert {
        ("郑州市中原区第一小学", "school"),
        ("中原区", "county"),
        ("郑州市", "prefecture"),
        ("河南省", "province"),
    } <= levels
    school_a_score = QualityScore.objects.get(run=first, org=world.school_a)
    assert school_a_score.failures == {"guardian_filled": 2, "guardian_phone_filled": 2, "enrol_date_filled": 2}
    full = [pupil(code, seq="011"), pupil(code, name="李小红", seq="022", phone="13912345678")]
    services.submit_file(actor=world.school_admin, school=world.school_a, filename="a2.csv", data=csv_bytes(full))
    services.run_quality(actor=world.province_admin)
    trend = selectors.trend_for(world.county_admin)
    assert [round(p["score"], 2) for p in trend] == sorted(round(p["score"], 2) for p in trend)
    assert trend[-1]["score"] > trend[0]["score"]


@pytest.mark.django_db
def test_scores_are_scoped_to_the_viewer(world):
    services.submit_file(
        actor=world.school_admin, school=world.school_a, filename="a.csv", data=csv_bytes([pupil(world.school_a.code)])
    )
    services.submit_file(
        actor=world.province_admin, school=world.school_c, filename="c.csv",
        data=csv_bytes([pupil(world.school_c.code, name="赵小燕", region="410302", seq="044")]),
    )  # fmt: skip
    services.run_quality(actor=world.province_admin)
    seen = {s.org.name for s in selectors.scores_for(world.county_admin)}
    assert seen == {"中原区", "郑州市中原区第一小学"}
    assert not selectors.scores_for(world.teacher).exists()


@pytest.mark.django_db
def test_only_a_province_data_manager_runs_quality(world):
    with pytest.raises(PermissionDenied):
        services.run_quality(actor=world.city_admin)
    officer = make_user("officer", role="data_officer", org=world.province)
    assert services.run_quality(actor=officer).rows == 0
    assert QualityRun.objects.count() == 1


@pytest.mark.django_db
def test_county_trends_show_each_county_in_scope_over_runs(world):
    code = world.school_a.code
    sparse = [pupil(code, guardian="", phone="")]
    services.submit_file(actor=world.school_admin, school=world.school_a, filename="a.csv", data=csv_bytes(sparse))
    services.submit_file(
        actor=world.province_admin, school=world.school_c, filename="c.csv",
        data=csv_bytes([pupil(world.school_c.code, name="赵小燕", region="410302", seq="044")]),
    )  # fmt: skip
    services.run_quality(actor=world.province_admin)
    services.submit_file(
        actor=world.school_admin, school=world.school_a, filename="a2.csv", data=csv_bytes([pupil(code)])
    )
    services.run_quality(actor=world.province_admin)
    province = selectors.county_trends(world.province_admin)
    assert len(province["runs"]) == 2
    series = {s["name"]: s["data"] for s in province["series"]}
    assert set(series) == {"中原区", "老城区"}
    assert series["中原区"][1] > series["中原区"][0]  # the county improved after school A completed its roster
    assert [s["name"] for s in selectors.county_trends(world.county_admin)["series"]] == ["中原区"]
