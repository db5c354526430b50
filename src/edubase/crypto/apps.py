from __future__ import annotations

import logging
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("edubase.crypto")


class CryptoConfig(AppConfig):
    name = "edubase.crypto"
    label = "crypto"
    verbose_name = _("商用密码")

    def ready(self) -> None:
        from edubase.crypto import checks  # noqa: F401  (registers the system check)
        from edubase.crypto.checks import enforce_provider_policy

        enforce_provider_policy()
        post_migrate.connect(_ensure_data_keys, dispatch_uid="edubase.crypto.ensure_data_keys")


def _ensure_data_keys(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After migrations, give every encrypted column its first data key in a committed transaction,
    so no request ever creates one inside a transaction that may roll back."""
    if sender.label != "crypto":
        return
    from django.apps import apps

    from edubase.crypto.fields import EncryptedTextField
    from edubase.crypto.keyring import ensure_data_keys

    purposes = [
        field.key_purpose()
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, EncryptedTextField)
    ]
    made = ensure_data_keys(purposes)
    if made:
        logger.info("created %d data keys for encrypted columns", made)
