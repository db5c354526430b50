from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "edubase.accounts"
    label = "accounts"
    verbose_name = _("账号与权限")
    default_auto_field = "django.db.models.BigAutoField"
