from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "edubase.people"
    label = "people"
    verbose_name = _("人员")
    default_auto_field = "django.db.models.BigAutoField"
