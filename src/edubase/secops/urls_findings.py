"""Console pages of secops: the findings part (joined in secops.urls under namespace ``secops``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from edubase.secops import views_findings as views

urlpatterns: list[URLPattern] = [
    path("findings/", views.findings_list, name="findings_list"),
    path("findings/<int:pk>/", views.finding_detail, name="finding_detail"),
    path("findings/<int:pk>/status/", views.finding_status, name="finding_status"),
    path("findings/import/", views.findings_import, name="findings_import"),
    path("findings/imports/", views.findings_imports, name="findings_imports"),
    path("findings/imports/<int:pk>/", views.findings_import_detail, name="findings_import_detail"),
]
