from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "edubase.orgs"
    label = "orgs"
    verbose_name = _("机构")
    default_auto_field = "django.db.models.BigAutoField"
