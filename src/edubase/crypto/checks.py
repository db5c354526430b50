"""Start-up policy: production never runs on the slow pure-Python path unless configured to."""

from __future__ import annotations

import logging
import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from edubase.crypto.providers import get_provider, provider_status

logger = logging.getLogger("edubase.crypto")


def _slow_allowed() -> bool:
    return bool(settings.DEBUG or settings.EDUBASE_ALLOW_SLOW_CRYPTO)


def enforce_provider_policy() -> None:
    """Log the active provider; refuse to start on the slow path in production unless allowed."""
    os.environ.setdefault("EDUBASE_CRYPTO_PROVIDER", settings.EDUBASE_CRYPTO_PROVIDER)
    get_provider()
    status = provider_status()
    if status.native:
        logger.debug("crypto provider: %s (native)", status.name)
        return
    note = status.native_error or "pure provider selected"
    if _slow_allowed():
        logger.warning("原生密码提供者不可用，正在使用纯 Python 慢速实现：%s", note)
        return
    raise ImproperlyConfigured(
        f"原生密码提供者（OpenSSL 3 SM2/SM3/SM4）不可用：{note}。生产模式拒绝在纯 Python 慢速实现上运行；"
        "如确需运行，请设置 EDUBASE_ALLOW_SLOW_CRYPTO=1。"
    )


@register("edubase")
def crypto_provider_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """System check mirroring the start-up policy (shown by ``edubase check``)."""
    status = provider_status()
    if status.native:
        return []
    msg = f"正在使用纯 Python 密码实现（{status.native_error or '配置指定'}），性能不足以用于生产。"
    if _slow_allowed():
        return [Warning(msg, id="edubase.W001")]
    return [Error(msg, hint="安装 OpenSSL 3 (libcrypto.so.3) 或设置 EDUBASE_ALLOW_SLOW_CRYPTO=1", id="edubase.E001")]
