from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "edubase.datagov.sharing"
    label = "datagov_sharing"
    verbose_name = _("数据权限与共享")
    default_auto_field = "django.db.models.BigAutoField"
