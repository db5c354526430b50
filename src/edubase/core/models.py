"""Shared models: the tamper-evident audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Audit event (审计事件): who did what, when, where, to which object, before and after.

    Rows are chained: ``mac`` = HMAC-SM3(previous row's mac ‖ SM3(canonical content)), so an
    edit, deletion, insertion or reordering of history is detected by ``edubase audit verify``.
    Personal identifiers in ``before``/``after`` are masked by the writer.
    """

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_label = models.CharField(_("操作人标识"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=100, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("对象标识"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    org_id_ref = models.BigIntegerField(_("所属机构"), null=True, blank=True)
    org_path = models.CharField(_("所属机构路径"), max_length=255, blank=True, db_index=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    request_id = models.CharField(_("请求标识"), max_length=64, blank=True)
    ip = models.CharField(_("客户端地址"), max_length=45, blank=True)
    channel = models.CharField(_("渠道"), max_length=10, blank=True)
    mac = models.CharField(_("链式校验值"), max_length=64)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_repr}"

    def chained_content(self) -> dict[str, object]:
        """The fields covered by the chain MAC (everything but the MAC itself)."""
        return {
            "id": self.pk,
            "at": self.at.isoformat(),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "org": self.org_id_ref,
            "org_path": self.org_path,
            "before": self.before,
            "after": self.after,
            "request_id": self.request_id,
            "ip": self.ip,
            "channel": self.channel,
        }


class AuditChainHead(models.Model):
    """The last link of the audit chain; its row lock serialises appends."""

    last_event_id = models.BigIntegerField(default=0)
    last_mac = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"audit chain head @{self.last_event_id}"
