"""Console pages of datagov (namespace ``datagov``, mounted at ``/datagov/``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from edubase.datagov import views

app_name = "datagov"

urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("sources/", views.source_list, name="source_list"),
    path("sources/new/", views.source_new, name="source_new"),
    path("sources/<str:pk>/", views.source_detail, name="source_detail"),
    path("sources/<str:pk>/edit/", views.source_edit, name="source_edit"),
    path("sources/<str:pk>/check/", views.source_check, name="source_check"),
    path("sources/<str:pk>/scan/", views.source_scan, name="source_scan"),
    path("sources/<str:pk>/delete/", views.source_delete, name="source_delete"),
    path("datasets/", views.dataset_list, name="dataset_list"),
    path("datasets/new/", views.dataset_new, name="dataset_new"),
    path("datasets/<int:pk>/", views.dataset_detail, name="dataset_detail"),
    path("datasets/<int:pk>/edit/", views.dataset_edit, name="dataset_edit"),
    path("datasets/<int:pk>/publish/", views.dataset_publish, name="dataset_publish"),
    path("datasets/<int:pk>/unpublish/", views.dataset_unpublish, name="dataset_unpublish"),
    path("review/", views.review_queue, name="review_queue"),
    path("fields/<int:pk>/review/", views.field_review, name="field_review"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/export/", views.catalogue_export, name="catalogue_export"),
    path("code-tables/", views.code_tables, name="code_tables"),
    path("code-tables/<int:pk>/", views.code_table_detail, name="code_table_detail"),
    path("reference/load/", views.reference_load, name="reference_load"),
    path("rules/", views.rules, name="rules"),
    path("rules/save/", views.rules_save, name="rules_save"),
]
