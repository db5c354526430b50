from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "edubase.services"
    label = "services"
    verbose_name = _("政务服务")
    default_auto_field = "django.db.models.BigAutoField"
