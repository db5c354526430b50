from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecopsConfig(AppConfig):
    name = "edubase.secops"
    label = "secops"
    verbose_name = _("网络安全")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from edubase.core import jobs
        from edubase.secops import incidents, notices, rollup
        from edubase.workflow.signals import case_changed

        case_changed.connect(notices.follow_case, dispatch_uid="secops.notices.follow_case")
        jobs.register("secops.notices", notices.escalate_overdue, every_s=300, label="超期通报升级督办")
        jobs.register("secops.incidents", incidents.escalate_overdue, every_s=60, label="事件超时未报升级")
        jobs.register("secops.rollup", rollup.refresh, every_s=60, label="安全态势汇总")
