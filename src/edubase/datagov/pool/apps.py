from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoolConfig(AppConfig):
    name = "edubase.datagov.pool"
    label = "datagov_pool"
    verbose_name = _("数据汇聚与质量")
    default_auto_field = "django.db.models.BigAutoField"
