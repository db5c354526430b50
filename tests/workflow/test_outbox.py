"""The outbox of case events and its webhook deliveries, against a real local HTTP server."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from edubase.workflow import engine, outbox
from edubase.workflow.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from tests.conftest import ON_POSTGRES
from tests.workflow.conftest import Desk, open_task, submitted_case

SECRET = "subscriber-shared-secret-0123456789"


@dataclass
class Receiver:
    """A subscriber: verifies each signature, answers 500 to the first ``fail_first`` requests."""

    secret: str = SECRET
    fail_first: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def handle(self, headers: Any, body: bytes) -> int:
        verified = outbox.verify_signature(
            self.secret, headers["X-Edubase-Timestamp"], body, headers["X-Edubase-Signature"]
        )
        self.received.append(
            {
                "event": headers["X-Edubase-Event"],
                "delivery": headers["X-Edubase-Delivery"],
                "verified": verified,
                "body": json.loads(body),
            }
        )
        if not verified:
            return 401
        return 500 if len(self.received) <= self.fail_first else 204


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(state.handle(self.headers, body))
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def subscribe(desk: Desk, url: str, *, event_types: list[str] | None = None, org: Any = None) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        name="学籍系统",
        org=org or desk.world.zhengzhou,
        org_path=(org or desk.world.zhengzhou).path,
        url=url,
        event_types=event_types or [],
        secret=SECRET,
    )


def approve(desk: Desk) -> Any:
    instance = submitted_case(desk)
    engine.complete(open_task(instance, "review"), actor=desk.county_reviewer, data={"decision": "approve"})
    return instance


def test_every_transition_writes_its_outbox_event_in_the_same_transaction(desk: Desk) -> None:
    instance = approve(desk)
    assert list(OutboxEvent.objects.filter(instance=instance).values_list("event_type", flat=True)) == [
        "case.started",
        "task.completed",
        "task.completed",
        "case.approved",
    ]
    approved = OutboxEvent.objects.get(instance=instance, event_type="case.approved")
    assert approved.payload["case"]["outcome"] == "approved" and approved.payload["case"]["org_code"]


def test_a_failed_transition_leaves_no_outbox_event(desk: Desk) -> None:
    instance = submitted_case(desk)
    before = OutboxEvent.objects.count()
    with pytest.raises(engine.NotCandidate):
        engine.complete(open_task(instance, "review"), actor=desk.luoyang_reviewer, data={"decision": "approve"})
    assert OutboxEvent.objects.count() == before


def test_a_return_for_correction_is_a_case_returned_event(desk: Desk) -> None:
    instance = submitted_case(desk)
    engine.complete(open_task(instance, "review"), actor=desk.county_reviewer, data={"decision": "return"})

    def returned() -> int:
        return OutboxEvent.objects.filter(instance=instance, event_type="case.returned").count()

    assert returned() == 1  # the reviewer's decision "return"
    engine.complete(open_task(instance, "submit"), actor=desk.world.school_admin, data={"reason": "补正后"})
    engine.return_for_correction(open_task(instance, "review"), actor=desk.county_reviewer, comment="请补充材料")
    assert returned() == 2  # and the engine's return for correction


def test_only_subscriptions_over_the_case_org_wanting_the_type_get_a_delivery(desk: Desk, receiver: Receiver) -> None:
    zhengzhou = subscribe(desk, receiver.url, event_types=["case.approved"])
    luoyang = subscribe(desk, receiver.url, org=desk.world.luoyang)
    everything = subscribe(desk, receiver.url, org=desk.world.zhongyuan)
    approve(desk)
    assert WebhookDelivery.objects.filter(subscription=zhengzhou).count() == 1
    assert WebhookDelivery.objects.filter(subscription=luoyang).count() == 0
    assert WebhookDelivery.objects.filter(subscription=everything).count() == 4


def test_a_delivery_is_signed_with_hmac_sm3_and_the_subscriber_verifies_it(desk: Desk, receiver: Receiver) -> None:
    subscribe(desk, receiver.url, event_types=["case.approved"])
    instance = approve(desk)
    attempts = outbox.deliver_due()
    assert [a.ok for a in attempts] == [True]
    [got] = receiver.received
    assert got["verified"] and got["event"] == "case.approved" and got["body"]["case"]["id"] == instance.pk
    delivery = WebhookDelivery.objects.get()
    assert (
        delivery.delivered_at is not None
        and delivery.last_status == 204
        and got["delivery"] == str(delivery.delivery_id)
    )
    assert outbox.deliver_due() == []  # delivered once, never again


def test_a_wrong_secret_fails_verification(desk: Desk, receiver: Receiver) -> None:
    receiver.secret = "not-the-secret-of-this-subscription"
    subscribe(desk, receiver.url, event_types=["case.approved"])
    approve(desk)
    [attempt] = outbox.deliver_due()
    assert not attempt.ok and attempt.status == 401 and receiver.received[0]["verified"] is False


def test_a_failing_subscriber_is_retried_with_backoff_until_it_accepts(desk: Desk, receiver: Receiver) -> None:
    receiver.fail_first = 2
    subscribe(desk, receiver.url, event_types=["case.approved"])
    approve(desk)
    now = timezone.now()
    assert [a.status for a in outbox.deliver_due(now)] == [500]
    delivery = WebhookDelivery.objects.get()
    first_delay = (delivery.next_attempt_at - now).total_seconds()
    assert outbox.BASE_DELAY_S * 0.8 <= first_delay <= outbox.BASE_DELAY_S * 1.2
    assert outbox.deliver_due(now + dt.timedelta(seconds=1)) == []  # not due yet
    now = delivery.next_attempt_at
    assert [a.status for a in outbox.deliver_due(now)] == [500]
    delivery.refresh_from_db()
    second_delay = (delivery.next_attempt_at - now).total_seconds()
    assert outbox.BASE_DELAY_S * 1.6 <= second_delay <= outbox.BASE_DELAY_S * 2.4
    assert [a.status for a in outbox.deliver_due(delivery.next_attempt_at)] == [204]
    delivery.refresh_from_db()
    assert delivery.attempts == 3 and delivery.delivered_at is not None
    assert {r["delivery"] for r in receiver.received} == {str(delivery.delivery_id)}  # the same id on every retry
    assert all(r["verified"] for r in receiver.received)


def test_a_delivery_is_given_up_after_the_maximum_attempts(desk: Desk, receiver: Receiver) -> None:
    receiver.fail_first = 100
    subscribe(desk, receiver.url, event_types=["case.approved"])
    approve(desk)
    now = timezone.now()
    for _ in range(outbox.MAX_ATTEMPTS):
        outbox.deliver_due(now)
        now += dt.timedelta(seconds=outbox.MAX_DELAY_S * 2)
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == outbox.MAX_ATTEMPTS and delivery.gave_up_at is not None
    assert outbox.deliver_due(now) == []


def test_an_unreachable_subscriber_is_an_error_not_a_crash(desk: Desk) -> None:
    subscribe(desk, "http://127.0.0.1:9/nothing-listens-here", event_types=["case.approved"])
    approve(desk)
    [attempt] = outbox.deliver_due(timeout=1.0)
    assert not attempt.ok and attempt.status is None and attempt.error


def test_backoff_grows_exponentially_and_is_capped() -> None:
    rng = random.Random(7)
    delays = [outbox.backoff(n, rng=rng).total_seconds() for n in range(1, 20)]
    assert delays[0] < delays[3] < delays[6]
    assert max(delays) <= outbox.MAX_DELAY_S * 1.2


def test_verify_signature_refuses_tampering_and_stale_timestamps() -> None:
    body = b'{"event":"case.approved"}'
    header = outbox.sign(SECRET, "1700000000", body)
    assert outbox.verify_signature(SECRET, "1700000000", body, header)
    assert not outbox.verify_signature(SECRET, "1700000000", body + b" ", header)
    assert not outbox.verify_signature(SECRET, "1700000001", body, header)
    assert not outbox.verify_signature(SECRET, "1700000000", body, "sha256=" + header[4:])
    assert not outbox.verify_signature(SECRET, "1700000000", body, header, now=1700009999, tolerance_s=300)


def test_the_secret_is_stored_encrypted(desk: Desk) -> None:
    subscription = subscribe(desk, "http://127.0.0.1:1/x")
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM workflow_webhooksubscription WHERE id = %s", [subscription.pk.hex])
        row = cursor.fetchone()
    if row is None:  # PostgreSQL stores the uuid natively
        raw = WebhookSubscription.objects.filter(pk=subscription.pk).values_list("secret", flat=True).get()
        assert SECRET not in str(raw)
    else:
        assert SECRET not in row[0] and row[0].startswith("e1.")
    assert WebhookSubscription.objects.get(pk=subscription.pk).secret == SECRET


def test_the_command_delivers_due_events(desk: Desk, receiver: Receiver, capsys: pytest.CaptureFixture[str]) -> None:
    subscribe(desk, receiver.url, event_types=["case.approved"])
    approve(desk)
    call_command("workflow_outbox", "deliver")
    assert "1" in capsys.readouterr().out and receiver.received[0]["verified"]


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="SKIP LOCKED races need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_racing_deliver_each_event_exactly_once(world: Any, receiver: Receiver) -> None:
    from tests.workflow.conftest import build_desk

    desk = build_desk(world)
    subscribe(desk, receiver.url)
    for _ in range(5):
        approve(desk)
    total = WebhookDelivery.objects.count()
    now = timezone.now()
    results: list[int] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        from django.db import connection as thread_connection

        barrier.wait()
        try:
            results.append(len(outbox.deliver_due(now, limit=1000)))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == total
    assert len(receiver.received) == total
    assert len({r["delivery"] for r in receiver.received}) == total
    assert WebhookDelivery.objects.filter(delivered_at__isnull=True).count() == 0
