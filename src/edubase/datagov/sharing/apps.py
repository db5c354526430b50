from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "edubase.datagov.sharing"
    label = "datagov_sharing"
    verbose_name = _("数据权限与共享")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from edubase.core import jobs
        from edubase.datagov.sharing import lifecycle, services
        from edubase.workflow.signals import case_changed

        case_changed.connect(services.follow_case, dispatch_uid="datagov_sharing.follow_case")
        jobs.register("datagov_sharing.expire", services.sweep_expired, every_s=600, label="共享授权到期：停用接口令牌")
        jobs.register(
            "datagov_sharing.retention", lifecycle.sweep_retention, every_s=3600, label="数据保存期限到期归档"
        )
