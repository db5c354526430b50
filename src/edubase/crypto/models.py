"""Persistent crypto state: wrapped data keys (the only key material in the database)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataKey(models.Model):
    """Data-encryption key (数据加密密钥, DEK) for one purpose such as a table column.

    Stored only wrapped under a node KEK (``ekw1.<node>.<version>.<sealed>``); rotation
    adds a new version used for new writes, re-wrapping replaces ``wrapped`` without
    re-encrypting data.
    """

    purpose = models.CharField(_("用途"), max_length=200)
    version = models.PositiveIntegerField(_("版本"))
    node_id = models.CharField(_("密钥节点"), max_length=64)
    wrapped = models.TextField(_("封装后的密钥"))
    kek_version = models.PositiveIntegerField(_("KEK 版本"))
    active = models.BooleanField(_("用于新数据"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    rewrapped_at = models.DateTimeField(_("最近重封装时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("数据密钥")
        verbose_name_plural = _("数据密钥")
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="crypto_datakey_purpose_version_uniq"),
            models.UniqueConstraint(
                fields=["purpose"], condition=models.Q(active=True), name="crypto_datakey_one_active_per_purpose"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version}"
