from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "edubase.services"
    label = "services"
    verbose_name = _("政务服务")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from edubase.services.services import follow_case
        from edubase.workflow.signals import case_changed

        case_changed.connect(follow_case, dispatch_uid="services.follow_case")
