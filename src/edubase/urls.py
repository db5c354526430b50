"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path

from edubase.api import api
from edubase.core import views as core_views

urlpatterns = [
    path("", include("edubase.console.urls")),
    path("workflow/", include("edubase.workflow.urls", namespace="workflow")),
    path("services/", include("edubase.services.urls")),
    path("secops/", include("edubase.secops.urls")),
    path("datagov/sharing/", include("edubase.datagov.sharing.urls")),
    path("datagov/pool/", include("edubase.datagov.pool.urls")),
    path("datagov/", include("edubase.datagov.urls")),
    path("credentials/", include("edubase.credentials.urls")),
    path("v/", include("edubase.credentials.urls_public")),
    path("status", core_views.home, name="status"),
    path("healthz", core_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
