"""Workflow fixtures: the shipped generic approval published, and reviewers around school A."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from edubase.accounts.models import User
from edubase.workflow import engine, services
from edubase.workflow.models import ProcessInstance, TaskStatus, WorkTask
from tests.factories import World, make_user


@dataclass
class Desk:
    """The world plus the people who handle approvals."""

    world: World
    county_reviewer: User  # reviewer of 中原区 (school A's county)
    city_reviewer: User  # reviewer of 郑州市
    other_county_reviewer: User  # reviewer of 金水区: same city, not school A's county
    luoyang_reviewer: User


def build_desk(world: World) -> Desk:
    """Publish the shipped processes and create the reviewers."""
    services.publish_shipped(actor=world.province_admin)
    return Desk(
        world=world,
        county_reviewer=make_user("zy_reviewer", role="reviewer", org=world.zhongyuan),
        city_reviewer=make_user("zz_reviewer", role="reviewer", org=world.zhengzhou),
        other_county_reviewer=make_user("js_reviewer", role="reviewer", org=world.jinshui),
        luoyang_reviewer=make_user("ly_reviewer", role="reviewer", org=world.luoyang),
    )


@pytest.fixture
def desk(world: World) -> Desk:
    return build_desk(world)


def open_task(instance: ProcessInstance, element: str) -> WorkTask:
    """The live work task of ``element`` in the case (fresh from the database)."""
    return WorkTask.objects.get(instance=instance, element_id=element, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED])


def submitted_case(desk: Desk, **data: object) -> ProcessInstance:
    """A generic approval started and submitted by school A's admin."""
    w = desk.world
    instance = engine.start("generic_approval", subject=w.school_a, org=w.school_a, actor=w.school_admin)
    engine.complete(open_task(instance, "submit"), actor=w.school_admin, data={"reason": "申请", **data})
    instance.refresh_from_db()
    return instance
