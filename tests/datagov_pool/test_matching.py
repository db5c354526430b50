"""Golden records: exact on identifiers, fuzzy for L-numbers, review queue, conflict reports."""

from __future__ import annotations

import pytest

from edubase.core.errors import NotFound, PermissionDenied
from edubase.datagov.pool import selectors, services
from edubase.datagov.pool.models import (
    ConflictKind,
    GoldenRecord,
    MatchConflict,
    MatchReview,
    ReviewStatus,
    RosterRecord,
)
from tests.datagov_pool.rosters import csv_bytes, pupil
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _send(actor, school, rows):  # type: ignore[no-untyped-def]
    result = services.submit_file(actor=actor, school=school, filename="r.csv", data=csv_bytes(rows))
    assert result.submission.status == "accepted", result.submission.errors
    return result.submission


def test_the_same_identifier_at_two_schools_is_one_golden_record_with_conflicts_both_sides(world):
    _send(world.school_admin, world.school_a, [pupil(world.school_a.code)])
    _send(world.province_admin, world.school_c, [pupil(world.school_c.code, name="张晓明", grade="14")])
    assert GoldenRecord.objects.count() == 1
    golden = GoldenRecord.objects.get()
    assert golden.sources == 2
    kinds = sorted(MatchConflict.objects.values_list("org_path", "kind"))
    assert kinds == sorted(
        [
            (world.school_a.path, ConflictKind.ATTRIBUTE_MISMATCH),
            (world.school_a.path, ConflictKind.DUAL_ENROLMENT),
            (world.school_c.path, ConflictKind.ATTRIBUTE_MISMATCH),
            (world.school_c.path, ConflictKind.DUAL_ENROLMENT),
        ]
    )


def test_each_school_sees_only_its_side_and_not_the_other_schools_name(world):
    _send(world.school_admin, world.school_a, [pupil(world.school_a.code)])
    _send(world.province_admin, world.school_c, [pupil(world.school_c.code)])
    views = selectors.conflict_views(world.school_admin, selectors.conflicts_for(world.school_admin))
    assert [v.conflict.record.school for v in views] == [world.school_a]
    assert views[0].other_school == "辖区外学校（由上级协调）"
    province = selectors.conflict_views(world.province_admin, selectors.conflicts_for(world.province_admin))
    assert {v.other_school for v in province} == {world.school_a.name, world.school_c.name}
    assert not selectors.conflicts_for(world.teacher).exists()


def test_l_numbers_with_the_same_guardian_phone_merge(world):
    _send(world.school_admin, world.school_a, [pupil(world.school_a.code, number="L" + "A" * 18)])
    _send(world.province_admin, world.school_b, [pupil(world.school_b.code, number="L" + "B" * 18)])
    assert GoldenRecord.objects.count() == 1
    assert not MatchReview.objects.exists()


def test_an_uncertain_l_match_goes_to_review_and_a_decision_merges(world):
    _send(world.school_admin, world.school_a, [pupil(world.school_a.code, number="L" + "A" * 18, phone="")])
    _send(world.province_admin, world.school_b, [pupil(world.school_b.code, number="L" + "B" * 18, phone="")])
    assert GoldenRecord.objects.count() == 2
    review = MatchReview.objects.get()
    assert 0.65 <= review.score < 0.85
    officer = make_user("officer", role="data_officer", org=world.province)
    services.decide_review(actor=officer, review=review, merge=True)
    assert GoldenRecord.objects.count() == 1
    assert RosterRecord.objects.filter(golden__isnull=False).values("golden").distinct().count() == 1
    review.refresh_from_db()
    assert review.status == ReviewStatus.MERGED


def test_a_review_judged_distinct_keeps_two_records(world):
    _send(world.school_admin, world.school_a, [pupil(world.school_a.code, number="L" + "A" * 18, phone="")])
    _send(world.province_admin, world.school_b, [pupil(world.school_b.code, number="L" + "B" * 18, phone="")])
    review = MatchReview.objects.get()
    services.decide_review(actor=world.province_admin, review=review, merge=False)
    assert GoldenRecord.objects.count() == 2
    with pytest.raises(services.ReviewClosed):
        services.decide_review(actor=world.province_admin, review=review, merge=True)


def test_different_pupils_of_the_same_birthday_stay_apart(world):
    _send(world.school_admin, world.school_a, [pupil(world.school_a.code, number="L" + "A" * 18)])
    _send(
        world.province_admin,
        world.school_b,
        [pupil(world.school_b.code, name="王芳", number="L" + "B" * 18, guardian="王强", phone="13700001111")],
    )
    assert GoldenRecord.objects.count() == 2
    assert not MatchReview.objects.exists()


def test_an_l_pupil_later_reported_with_a_citizen_id_is_promoted(world):
    code = world.school_a.code
    _send(world.school_admin, world.school_a, [pupil(code, number="L" + "A" * 18)])
    golden = GoldenRecord.objects.get()
    assert golden.identifier_bidx is None
    _send(world.school_admin, world.school_a, [pupil(code, number="L" + "A" * 18), pupil(code)])
    golden.refresh_from_db()
    assert GoldenRecord.objects.count() == 1
    assert golden.identifier_bidx is not None and golden.number_masked.startswith("G410102")


def test_a_school_admin_may_not_decide_or_see_reviews(world):
    _send(world.school_admin, world.school_a, [pupil(world.school_a.code, number="L" + "A" * 18, phone="")])
    _send(world.province_admin, world.school_b, [pupil(world.school_b.code, number="L" + "B" * 18, phone="")])
    review = MatchReview.objects.get()
    assert not selectors.reviews_for(world.school_admin).exists()
    with pytest.raises(NotFound):
        selectors.get_review(world.county_admin, pk=review.pk)
    with pytest.raises(PermissionDenied):
        services.decide_review(actor=world.city_admin, review=review, merge=True)


def test_a_school_resolves_its_side_of_a_conflict(world):
    _send(world.school_admin, world.school_a, [pupil(world.school_a.code)])
    _send(world.province_admin, world.school_c, [pupil(world.school_c.code)])
    mine = selectors.conflicts_for(world.school_admin).first()
    services.resolve_conflict(actor=world.school_admin, conflict=mine)
    assert not selectors.conflicts_for(world.school_admin).exists()
    theirs = MatchConflict.objects.filter(org_path=world.school_c.path).first()
    with pytest.raises(PermissionDenied):
        services.resolve_conflict(actor=world.school_admin, conflict=theirs)


def test_a_first_roster_gets_one_golden_record_per_pupil_in_bulk(world):
    code = world.school_a.code
    _send(
        world.school_admin,
        world.school_a,
        [pupil(code, seq=f"{i:03d}", name=f"张{'明红刚'[i % 3]}") for i in range(1, 7)],
    )
    assert GoldenRecord.objects.count() == 6
    assert not RosterRecord.objects.filter(golden__isnull=True).exists()
    assert set(GoldenRecord.objects.values_list("sources", flat=True)) == {1}
    assert GoldenRecord.objects.filter(identifier_bidx__isnull=True).count() == 0
