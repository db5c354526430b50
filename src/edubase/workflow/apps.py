from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "edubase.workflow"
    label = "workflow"
    verbose_name = _("审批流程")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from edubase.core import jobs
        from edubase.workflow import outbox, timers

        jobs.register("workflow.timers", lambda: timers.fire_due_timers(limit=500), every_s=30, label="流程定时器")
        jobs.register(
            "workflow.outbox",
            lambda: sum(a.ok for a in outbox.deliver_due(limit=100)),
            every_s=5,
            label="案件事件推送",
        )
