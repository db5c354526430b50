"""Console pages of secops: the registry part (joined in secops.urls under namespace ``secops``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from edubase.secops import views_registry as views

urlpatterns: list[URLPattern] = [
    path("systems/", views.system_list, name="system_list"),
    path("systems/bulk/", views.registry_bulk, name="registry_bulk"),
    path("systems/new/", views.system_new, name="system_new"),
    path("systems/<int:pk>/edit/", views.system_edit, name="system_edit"),
    path("systems/<int:pk>/", views.system_detail, name="system_detail"),
    path("systems/<int:pk>/assess/", views.system_assess, name="system_assess"),
    path("systems/<int:pk>/decommission/", views.system_decommission, name="system_decommission"),
    path("assets/", views.asset_list, name="asset_list"),
    path("zombies/", views.zombie_list, name="zombie_list"),
    path("registry/import/", views.registry_import, name="registry_import"),
    path("registry/export.xlsx", views.registry_export, name="registry_export"),
    path("registry/template.xlsx", views.registry_template, name="registry_template"),
]
