"""Provider policy: production refuses the slow path unless configured to; status is reported."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from edubase.crypto import checks, providers


@pytest.fixture
def native_missing(monkeypatch):
    from edubase.crypto.providers import native

    monkeypatch.setattr(native, "available", lambda: (False, "libcrypto.so.3 未找到（测试模拟）"))
    monkeypatch.setattr(providers, "_instances", {})
    providers.set_provider(None)
    yield
    monkeypatch.undo()
    providers._instances.clear()
    providers.set_provider(None)


def test_fallback_is_reported(native_missing):
    status = providers.provider_status()
    assert status.name == "pure" and not status.native
    assert "libcrypto" in status.native_error


def test_production_refuses_slow_path(native_missing, settings):
    settings.DEBUG = False
    settings.EDUBASE_ALLOW_SLOW_CRYPTO = False
    with pytest.raises(ImproperlyConfigured, match="EDUBASE_ALLOW_SLOW_CRYPTO"):
        checks.enforce_provider_policy()
    assert checks.crypto_provider_check()[0].id == "edubase.E001"


def test_slow_path_allowed_when_configured(native_missing, settings):
    settings.DEBUG = False
    settings.EDUBASE_ALLOW_SLOW_CRYPTO = True
    checks.enforce_provider_policy()
    assert checks.crypto_provider_check()[0].id == "edubase.W001"


def test_native_passes_the_check():
    assert providers.provider_status().native
    assert checks.crypto_provider_check() == []
