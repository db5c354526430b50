"""Reading the org tree: everything starts from scope."""

import pytest

from edubase.core.errors import NotFound
from edubase.orgs import selectors, services

pytestmark = pytest.mark.django_db


def codes(queryset):
    return {o.code for o in queryset}


def test_city_admin_sees_its_city_only(world):
    visible = codes(selectors.orgs_for(world.city_admin))
    assert {"410100", "410102", "410105", "2141000001", "3141000002"} == visible


def test_school_lists_follow_scope(world):
    assert codes(selectors.schools_for(world.province_admin)) == {"2141000001", "3141000002", "2141000003"}
    assert codes(selectors.schools_for(world.city_admin)) == {"2141000001", "3141000002"}
    assert codes(selectors.schools_for(world.county_admin)) == {"2141000001"}
    assert codes(selectors.schools_for(world.teacher)) == {"2141000001"}
    assert codes(selectors.schools_for(world.outsider)) == set()


def test_school_filters_by_prefecture_county_category_and_text(world):
    admin = world.province_admin
    assert codes(selectors.schools_for(admin, prefecture="410300")) == {"2141000003"}
    assert codes(selectors.schools_for(admin, county="410105")) == {"3141000002"}
    assert codes(selectors.schools_for(admin, category="21")) == {"2141000001", "2141000003"}
    assert codes(selectors.schools_for(admin, q="金水")) == {"3141000002"}
    assert codes(selectors.schools_for(admin, q="21410000")) == {"2141000001", "2141000003"}
    assert codes(selectors.schools_for(admin, county="419999")) == set()


def test_a_filter_never_widens_scope(world):
    assert codes(selectors.schools_for(world.city_admin, prefecture="410300")) == set()


def test_children_of_none_are_the_top_of_the_actors_scope(world):
    assert [o.code for o in selectors.children_of(world.province_admin, None)] == ["410000"]
    assert [o.code for o in selectors.children_of(world.city_admin, None)] == ["410100"]
    assert [o.code for o in selectors.children_of(world.school_admin, None)] == ["2141000001"]
    assert list(selectors.children_of(world.outsider, None)) == []


def test_children_of_a_node_are_limited_to_scope(world):
    assert [o.code for o in selectors.children_of(world.province_admin, world.province)] == ["410100", "410300"]
    assert [o.code for o in selectors.children_of(world.city_admin, world.province)] == ["410100"]
    assert [o.code for o in selectors.children_of(world.city_admin, world.zhengzhou)] == ["410102", "410105"]


def test_get_org_answers_not_found_outside_scope(world):
    assert selectors.get_org(world.city_admin, pk=world.school_b.pk) == world.school_b
    with pytest.raises(NotFound):
        selectors.get_org(world.city_admin, pk=world.school_c.pk)
    with pytest.raises(NotFound):
        selectors.get_org(world.outsider, pk=world.school_a.pk)
    with pytest.raises(NotFound):
        selectors.get_org(world.province_admin, pk=999_999)
    with pytest.raises(NotFound):
        selectors.get_school(world.province_admin, pk=world.zhongyuan.pk)


def test_school_detail_lists_every_code_and_period(world):
    services.change_school_category(actor=world.city_admin, school=world.school_a, category="31")
    detail = selectors.school_detail(world.city_admin, pk=world.school_a.pk)
    assert detail.parent == world.zhongyuan and detail.prefecture == world.zhengzhou
    assert [c.code for c in detail.codes] == ["2141000001", detail.school.code]
    assert [h.change for h in detail.history] == ["created", "recoded"]
    with pytest.raises(NotFound):
        selectors.school_detail(world.outsider, pk=world.school_a.pk)


def test_dashboard_counts_active_schools_by_prefecture_and_category(world):
    services.close_org(actor=world.province_admin, org=world.school_c)
    services.create_school(actor=world.province_admin, parent=world.laocheng, name="老城区幼儿园", category="11")
    counts = selectors.dashboard_counts(world.province_admin)
    assert counts["schools"] == 3
    assert counts["by_prefecture"] == [
        {"code": "410100", "name": "郑州市", "schools": 2},
        {"code": "410300", "name": "洛阳市", "schools": 1},
    ]
    assert counts["by_category"] == [
        {"code": "11", "label": "幼儿园", "schools": 1},
        {"code": "21", "label": "小学", "schools": 1},
        {"code": "31", "label": "普通初中", "schools": 1},
    ]


def test_dashboard_counts_are_scoped(world):
    assert selectors.dashboard_counts(world.county_admin)["schools"] == 1
    assert selectors.dashboard_counts(world.city_admin)["by_prefecture"] == [
        {"code": "410100", "name": "郑州市", "schools": 2}
    ]
    assert selectors.dashboard_counts(world.outsider) == {"by_prefecture": [], "by_category": [], "schools": 0}


def test_dashboard_counts_is_one_grouped_query_plus_names(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # grants, the GROUP BY, the prefecture names
        selectors.dashboard_counts(world.city_admin)


def test_prefecture_of_a_region_code():
    assert selectors.prefecture_code_of("410102") == "410100"
    assert selectors.prefecture_code_of("419001") == "419001"  # 济源: directly administered
    assert selectors.prefecture_code_of("410000") == "410000"
