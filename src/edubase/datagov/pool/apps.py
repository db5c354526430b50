from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoolConfig(AppConfig):
    name = "edubase.datagov.pool"
    label = "datagov_pool"
    verbose_name = _("数据汇聚与质量")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from edubase.core import jobs
        from edubase.datagov.pool.services import run_quality_job

        # daily scores make the trend; a run is cheap next to the day's submissions
        jobs.register("datagov_pool.quality", run_quality_job, every_s=24 * 3600, label="花名册数据质量评估")
