from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatagovConfig(AppConfig):
    name = "edubase.datagov"
    label = "datagov"
    verbose_name = _("数据治理")
    default_auto_field = "django.db.models.BigAutoField"
