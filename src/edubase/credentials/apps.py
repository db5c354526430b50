from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CredentialsConfig(AppConfig):
    name = "edubase.credentials"
    label = "credentials"
    verbose_name = _("电子证照")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from edubase.core import jobs
        from edubase.credentials import issuance, lifecycle, status_publish
        from edubase.workflow.signals import case_changed

        case_changed.connect(issuance.follow_case, dispatch_uid="credentials.follow_case")
        jobs.register(
            "credentials.publish_status",
            status_publish.publish_dirty,
            every_s=20,
            label="发布电子证照状态列表",
        )
        jobs.register("credentials.sign_batches", issuance.sign_due_batches, every_s=10, label="签发已批准的证照批次")
        jobs.register("credentials.expire", lifecycle.expire_due, every_s=3600, label="标记过期证照")
