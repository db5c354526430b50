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

        from edubase.secops.logs import detect, store

        jobs.register("secops.hunts", detect.hunt_due, every_s=3600, label="定时威胁狩猎（关联规则回溯 24 小时）")
        jobs.register(
            "secops.events.retention", store.retention_job, every_s=86400, label="日志留存：导出并删除超期分区"
        )
