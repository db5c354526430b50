"""The access policy engine: pure decisions over (grade, entity, role, org level, purpose)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edubase.datagov.sharing import policy
from edubase.datagov.sharing.policy import (
    ALLOW,
    DEFAULT_RULES,
    DENY,
    EFFECTS,
    MASK,
    PSEUDONYM,
    ActorFacts,
    FieldFacts,
    PolicyInvalid,
    decide,
    decide_all,
)

ROLES = ("data_officer", "province_admin", "city_admin", "county_admin", "school_admin", "teacher", "reviewer")
LEVELS = tuple(policy.ORG_LEVELS)
PURPOSES = tuple(policy.PURPOSES)
ENTITIES = (None, "citizen_id", "student_number", "person_name", "mobile", "address", "health", "religion", "bank_card")


def officer(purpose: str = "student_status", level: str = "city") -> ActorFacts:
    return ActorFacts(roles=frozenset({"data_officer"}), org_level=level, purpose=purpose)


def sensitive_field(entity: str = "health") -> FieldFacts:
    return FieldFacts(name="JKZK", entity=entity, category="general", level=4, personal=True, sensitive=True)


def test_sensitive_personal_information_is_denied_without_the_purpose_and_role_and_the_reason_says_so():
    teacher = ActorFacts(roles=frozenset({"teacher"}), org_level="school", purpose="teaching")
    decision = decide(sensitive_field(), teacher, DEFAULT_RULES)
    assert decision.effect == DENY
    assert decision.rule == "sensitive-personal"
    assert decision.reason.startswith("拒绝：敏感个人信息需用途")
    assert "「学籍管理」" in decision.reason and "角色「数据专员」" in decision.reason
    assert "未满足：用途" in decision.reason and "角色「数据专员」" in decision.reason.split("未满足")[1]


def test_sensitive_personal_information_is_masked_for_a_data_officer_with_a_listed_purpose():
    decision = decide(sensitive_field(), officer("financial_aid"), DEFAULT_RULES)
    assert decision.effect == MASK
    assert decision.reason.startswith("脱敏：敏感个人信息，满足用途")


def test_the_right_role_with_the_wrong_purpose_is_still_denied_and_only_the_purpose_is_named_missing():
    decision = decide(sensitive_field(), officer("statistics"), DEFAULT_RULES)
    assert decision.effect == DENY
    missing = decision.reason.split("未满足：")[1]
    assert "用途" in missing and "角色" not in missing


def test_identifiers_are_pseudonymised_for_statistics_so_extracts_still_join():
    field = FieldFacts(name="SFZJH", entity="citizen_id", personal=True, sensitive=True, level=4)
    decision = decide(field, officer("statistics"), DEFAULT_RULES)
    assert decision.effect == PSEUDONYM
    assert decision.rule == "identifier-statistics"


def test_identifiers_for_other_purposes_fall_through_to_the_sensitive_rule():
    field = FieldFacts(name="SFZJH", entity="citizen_id", personal=True, sensitive=True, level=4)
    assert decide(field, officer("student_status"), DEFAULT_RULES).effect == MASK
    teacher = ActorFacts(roles=frozenset({"teacher"}), org_level="school", purpose="teaching")
    assert decide(field, teacher, DEFAULT_RULES).effect == DENY


def test_core_data_only_for_province_data_officers():
    core = FieldFacts(name="HX", category="core", level=4)
    assert decide(core, officer("supervision", level="province"), DEFAULT_RULES).effect == MASK
    city = decide(core, officer("supervision", level="city"), DEFAULT_RULES)
    assert city.effect == DENY and "申请单位层级为「省级」" in city.reason


def test_important_data_is_refused_to_counties_and_schools():
    important = FieldFacts(name="ZY", category="important", level=4)
    assert decide(important, officer(level="city"), DEFAULT_RULES).effect == ALLOW
    assert decide(important, officer(level="school"), DEFAULT_RULES).effect == DENY


def test_ordinary_personal_information_is_masked_for_an_administrative_purpose_and_denied_for_research():
    name = FieldFacts(name="XM", entity="person_name", personal=True, level=3)
    anyone = ActorFacts(roles=frozenset(), org_level="county", purpose="administration")
    assert decide(name, anyone, DEFAULT_RULES).effect == MASK
    research = decide(name, ActorFacts(frozenset(), "county", "research"), DEFAULT_RULES)
    assert research.effect == DENY and research.reason.startswith("拒绝：个人信息需用途")


def test_general_data_of_level_3_is_masked_for_schools_and_open_to_counties():
    field = FieldFacts(name="BJRS", category="general", level=3)
    school = decide(field, ActorFacts(frozenset(), "school", "teaching"), DEFAULT_RULES)
    assert school.effect == MASK and "满足时可允许" in school.reason
    assert decide(field, ActorFacts(frozenset(), "county", "teaching"), DEFAULT_RULES).effect == ALLOW


def test_plain_general_data_is_allowed_and_explained():
    decision = decide(FieldFacts(name="NJ", level=1), ActorFacts(frozenset(), "school", "teaching"), DEFAULT_RULES)
    assert decision.effect == ALLOW and decision.reason == "允许：一般数据，无附加条件"


def test_a_field_no_rule_covers_is_denied_fail_closed():
    rules = {"rules": [{"id": "only-core", "data": {"category": ["core"]}, "actor": {}, "effect": "mask"}]}
    decision = decide(FieldFacts(name="X"), officer(), rules)
    assert decision.effect == DENY and decision.rule == "" and "默认拒绝" in decision.reason


def test_decide_all_keeps_field_order_and_lists_denials():
    fields = [FieldFacts(name="NJ"), sensitive_field(), FieldFacts(name="XM", entity="person_name", personal=True)]
    teacher = ActorFacts(roles=frozenset({"teacher"}), org_level="school", purpose="teaching")
    result = decide_all(fields, teacher, DEFAULT_RULES)
    assert [d.field for d in result.decisions] == ["NJ", "JKZK", "XM"]
    assert result.effects() == {"NJ": ALLOW, "JKZK": DENY, "XM": MASK}
    assert [d.field for d in result.denied()] == ["JKZK"]


@pytest.mark.parametrize(
    ("rules", "fragment"),
    [
        ({}, "rules"),
        ({"rules": []}, "rules"),
        ({"rules": [{"id": "a", "effect": "reveal"}]}, "effect"),
        ({"rules": [{"id": "a", "effect": "allow", "otherwise": "maybe"}]}, "otherwise"),
        ({"rules": [{"id": "a", "effect": "allow"}, {"id": "a", "effect": "deny"}]}, "重复"),
        ({"rules": [{"id": "a", "effect": "allow", "data": {"colour": ["red"]}}]}, "colour"),
        ({"rules": [{"id": "a", "effect": "allow", "actor": {"roles": "data_officer"}}]}, "字符串列表"),
        ({"rules": [{"id": "a", "effect": "allow", "data": {"min_level": 9}}]}, "1–4"),
        ({"rules": [{"id": "a", "effect": "allow", "data": {"sensitive": "yes"}}]}, "true/false"),
    ],
)
def test_malformed_rule_sets_are_refused_with_a_chinese_reason(rules, fragment):
    with pytest.raises(PolicyInvalid, match=fragment):
        policy.validate(rules)


def test_the_default_rules_are_valid():
    policy.validate(DEFAULT_RULES)


def test_stricter_picks_the_less_revealing_effect():
    for a, b in itertools.product(EFFECTS, EFFECTS):
        assert policy.stricter(a, b) == (a if EFFECTS.index(a) >= EFFECTS.index(b) else b)


def test_row_filter_keeps_only_codes_in_scope_and_says_so():
    rows = policy.row_filter("XXDM", ["2141000001"], scope_label="中原区")
    assert rows.keeps({"XXDM": "2141000001"}) and not rows.keeps({"XXDM": "2141000003"})
    assert "中原区" in rows.reason
    unfiltered = policy.row_filter(None, ["2141000001"])
    assert unfiltered.keeps({"XXDM": "anything"}) and "不能按管辖范围筛选" in unfiltered.reason


facts = st.builds(
    FieldFacts,
    name=st.sampled_from(["A", "B"]),
    entity=st.sampled_from(ENTITIES),
    category=st.sampled_from(["core", "important", "general"]),
    level=st.integers(1, 4),
    personal=st.booleans(),
    sensitive=st.booleans(),
)
actors = st.builds(
    ActorFacts,
    roles=st.frozensets(st.sampled_from(ROLES), max_size=3),
    org_level=st.sampled_from(LEVELS),
    purpose=st.sampled_from(PURPOSES),
)


@settings(max_examples=400, deadline=None)
@given(facts, actors)
def test_sensitive_or_core_data_is_never_shared_in_clear(field, actor):
    decision = decide(field, actor, DEFAULT_RULES)
    if field.sensitive or field.category == "core":
        assert decision.effect != ALLOW


@settings(max_examples=400, deadline=None)
@given(facts, actors)
def test_only_data_officers_ever_read_sensitive_personal_information(field, actor):
    decision = decide(field, actor, DEFAULT_RULES)
    if field.sensitive and decision.effect != DENY and decision.effect != PSEUDONYM:
        assert "data_officer" in actor.roles


@settings(max_examples=400, deadline=None)
@given(facts, actors, st.sampled_from(ROLES))
def test_holding_one_more_role_never_makes_a_decision_stricter(field, actor, extra):
    before = decide(field, actor, DEFAULT_RULES).effect
    after = decide(field, ActorFacts(actor.roles | {extra}, actor.org_level, actor.purpose), DEFAULT_RULES).effect
    assert EFFECTS.index(after) <= EFFECTS.index(before)


@settings(max_examples=300, deadline=None)
@given(facts, actors)
def test_every_decision_is_explained_with_its_effect_first(field, actor):
    decision = decide(field, actor, DEFAULT_RULES)
    assert decision.reason.split("：")[0] in {"允许", "假名化", "脱敏", "拒绝"}
    assert {"允许": ALLOW, "假名化": PSEUDONYM, "脱敏": MASK, "拒绝": DENY}[
        decision.reason.split("：")[0]
    ] == decision.effect
