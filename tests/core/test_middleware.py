"""Writes are atomic per request, reads run without a transaction, errors answered roll back."""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory

from edubase.core.middleware import AtomicWritesMiddleware, IdleTimeoutMiddleware, abort_writes
from edubase.crypto.models import DataKey

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # like every transactional test here


def _write_then(answer_error: bool):
    def view(request):
        DataKey.objects.create(purpose="mw.test", version=1, node_id="41", wrapped="x", kek_version=1)
        if answer_error:
            abort_writes()
            return HttpResponse(status=422)
        return HttpResponse(status=201)

    return view


def test_a_post_that_answers_an_error_writes_nothing():
    response = AtomicWritesMiddleware(_write_then(True))(RequestFactory().post("/x"))
    assert response.status_code == 422
    assert not DataKey.objects.filter(purpose="mw.test").exists()


def test_a_successful_post_commits():
    AtomicWritesMiddleware(_write_then(False))(RequestFactory().post("/x"))
    assert DataKey.objects.filter(purpose="mw.test").exists()


def test_a_get_runs_without_a_transaction():
    seen = {}

    def view(request):
        seen["atomic"] = connection.in_atomic_block
        return HttpResponse()

    AtomicWritesMiddleware(view)(RequestFactory().get("/x"))
    assert seen["atomic"] is False


def test_idle_timeout_touches_the_session_at_most_once_a_minute():
    from types import SimpleNamespace

    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get("/")
    request.user = SimpleNamespace(is_authenticated=True)
    request.session = SessionStore()
    IdleTimeoutMiddleware(lambda r: HttpResponse())(request)
    assert request.session.modified
    first = request.session["_edubase_seen"]
    request.session.modified = False
    IdleTimeoutMiddleware(lambda r: HttpResponse())(request)
    assert not request.session.modified and request.session["_edubase_seen"] == first
