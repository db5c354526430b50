"""Provider registry: which implementation of SM2/SM3/SM4 is active.

The default is ``native``. When it cannot load, edubase falls back to ``pure``
only if ``EDUBASE_ALLOW_SLOW_CRYPTO`` is set or DEBUG is on; the start-up check
(``edubase.crypto.checks``) and ``edubase crypto selftest`` report which is active
and why.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from edubase.crypto.errors import ProviderUnavailable
from edubase.crypto.providers.base import CryptoProvider, SM2CiphertextParts

__all__ = [
    "CryptoProvider",
    "ProviderStatus",
    "SM2CiphertextParts",
    "available_providers",
    "get_provider",
    "provider_status",
    "set_provider",
]

_lock = threading.Lock()
_instances: dict[str, CryptoProvider] = {}
_active: CryptoProvider | None = None
_fallback_reason: str = ""


@dataclass(frozen=True)
class ProviderStatus:
    """What is active, whether it is the fast path, and why not if not."""

    name: str
    native: bool
    native_error: str


def _load(name: str) -> CryptoProvider:
    if name in _instances:
        return _instances[name]
    provider: CryptoProvider
    if name == "native":
        from edubase.crypto.providers import native

        ok, reason = native.available()
        if not ok:
            raise ProviderUnavailable(detail=reason)
        provider = native.NativeProvider()
    elif name == "pure":
        from edubase.crypto.providers.pure import PureProvider

        provider = PureProvider()
    else:
        raise ProviderUnavailable(detail=f"未知的提供者 {name!r}（可选 native、pure）")
    _instances[name] = provider
    return provider


def get_provider(name: str | None = None) -> CryptoProvider:
    """Return the named provider, or the active one (native, else pure if allowed)."""
    global _active, _fallback_reason
    if name is not None:
        return _load(name)
    if _active is not None:
        return _active
    with _lock:
        if _active is None:
            wanted = os.environ.get("EDUBASE_CRYPTO_PROVIDER", "native")
            try:
                _active = _load(wanted)
            except ProviderUnavailable as exc:
                if wanted != "native":
                    raise
                _fallback_reason = str(exc)
                _active = _load("pure")
        return _active


def set_provider(name: str | None) -> None:
    """Select the active provider (``None`` re-runs the default choice)."""
    global _active, _fallback_reason
    with _lock:
        _active = _load(name) if name is not None else None
        _fallback_reason = ""


def provider_status() -> ProviderStatus:
    """Describe the active provider for start-up checks and the self-test."""
    active = get_provider()
    return ProviderStatus(name=active.name, native=active.native, native_error=_fallback_reason)


def available_providers() -> list[CryptoProvider]:
    """Every provider that loads on this machine (native first)."""
    found: list[CryptoProvider] = []
    for name in ("native", "pure"):
        try:
            found.append(_load(name))
        except ProviderUnavailable:
            continue
    return found
