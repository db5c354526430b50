"""Log sources: registration with a one-time token, lookups, counters and rejection counts."""

from __future__ import annotations

import pytest

from edubase.core.errors import PermissionDenied, ValidationFailed
from edubase.crypto.sm3 import sm3
from edubase.secops.logs import sources
from edubase.secops.models import IngestRejection, LogSource
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(world):  # type: ignore[no-untyped-def]
    return make_user("sec_sources", role="security_officer", org=world.province)


def test_a_source_gets_a_token_shown_once_and_only_its_sm3_digest_is_kept(world, officer) -> None:  # type: ignore[no-untyped-def]
    source, token = sources.register_source(
        actor=officer, org=world.school_a, name="门户网站", format="nginx", sender_ips=["10.1.2.3", "10.1.3.0/24"]
    )
    assert token.startswith(f"ebl_{source.token_prefix}_")
    assert source.token_digest == sm3(token.encode()).hex() and token not in str(LogSource.objects.values().get())
    assert source.sender_ips == ["10.1.2.3", "10.1.3.0/24"] and source.org_path == world.school_a.path
    assert sources.authenticate(token) == source
    assert sources.authenticate(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert sources.authenticate("ebl_nothing") is None


def test_registration_is_audited(world, officer) -> None:  # type: ignore[no-untyped-def]
    from edubase.core.models import AuditEvent

    source, token = sources.register_source(actor=officer, org=world.school_a, name="fw")
    event = AuditEvent.objects.get(action="secops.logsource.create")
    assert event.object_id == str(source.pk) and token not in str(event.after)


def test_a_school_admin_registers_for_the_own_school_only(world) -> None:  # type: ignore[no-untyped-def]
    sources.register_source(actor=world.school_admin, org=world.school_a, name="own")
    with pytest.raises(PermissionDenied):
        sources.register_source(actor=world.school_admin, org=world.school_b, name="other")
    with pytest.raises(PermissionDenied):
        sources.register_source(actor=world.teacher, org=world.school_a, name="teacher")


def test_bad_input_is_refused_in_chinese(world, officer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed, match=r"发送端地址无效：10\.1\.2\.300"):
        sources.register_source(actor=officer, org=world.school_a, name="x", sender_ips=["10.1.2.300"])
    with pytest.raises(ValidationFailed, match="日志源名称不能为空"):
        sources.register_source(actor=officer, org=world.school_a, name=" ")
    with pytest.raises(ValidationFailed, match="未知的日志格式"):
        sources.register_source(actor=officer, org=world.school_a, name="x", format="cisco")
    sources.register_source(actor=officer, org=world.school_a, name="dup")
    with pytest.raises(ValidationFailed, match="已有名为“dup”"):
        sources.register_source(actor=officer, org=world.school_a, name="dup")
    assert LogSource.objects.count() == 1


def test_a_rotated_token_replaces_the_old_one(world, officer) -> None:  # type: ignore[no-untyped-def]
    source, old = sources.register_source(actor=officer, org=world.school_a, name="x")
    new = sources.rotate_token(actor=officer, source=source)
    assert sources.authenticate(new) == source and sources.authenticate(old) is None


def test_the_in_memory_table_finds_senders_and_tokens(world, officer) -> None:  # type: ignore[no-untyped-def]
    a, token_a = sources.register_source(actor=officer, org=world.school_a, name="a", sender_ips=["10.1.2.3"])
    b, _ = sources.register_source(actor=officer, org=world.school_b, name="b", sender_ips=["10.1.0.0/16"])
    c, _ = sources.register_source(actor=officer, org=world.school_c, name="c", sender_ips=["10.1.9.0/24"])
    off, token_off = sources.register_source(actor=officer, org=world.school_c, name="off")
    LogSource.objects.filter(pk=off.pk).update(enabled=False)
    table = sources.SourceTable(sources.source_table())
    assert table.by_ip("10.1.2.3").id == a.pk  # exact address first
    assert table.by_ip("10.1.9.7").id == c.pk  # then the most specific network
    assert table.by_ip("10.1.200.1").id == b.pk
    assert table.by_ip("192.0.2.1") is None and table.by_ip("not-an-ip") is None
    assert table.by_token(token_a).id == a.pk and table.by_token(token_a + "x") is None
    assert table.by_token(token_off) is None  # disabled sources are not in the table


def test_counters_and_rejections_accumulate(world, officer) -> None:  # type: ignore[no-untyped-def]
    source, _ = sources.register_source(actor=officer, org=world.school_a, name="x")
    sources.flush_counters({source.pk: (10, 2, 1_740_816_000.0)})
    sources.flush_counters({source.pk: (5, 1, 1_740_816_060.0)})
    source.refresh_from_db()
    assert (source.accepted, source.unparsed) == (15, 3)
    assert source.last_event_at is not None and source.last_event_at.timestamp() == 1_740_816_060.0
    sources.flush_rejections({("192.0.2.1", "unknown_source"): 3, ("192.0.2.1", "bad_token"): 1})
    sources.flush_rejections({("192.0.2.1", "unknown_source"): 4})
    got = dict(((r.peer, r.reason), r.count) for r in IngestRejection.objects.all())
    assert got == {("192.0.2.1", "unknown_source"): 7, ("192.0.2.1", "bad_token"): 1}
