from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatagovConfig(AppConfig):
    name = "edubase.datagov"
    label = "datagov"
    verbose_name = _("数据治理")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # imported here, not at module level: the sharing app builds on the catalogue, not the reverse
        from edubase.datagov.purge import PURGER_NAME, purge_samples
        from edubase.datagov.sharing import lifecycle

        lifecycle.register_purger(PURGER_NAME, purge_samples)
