"""Console pages of secops: log sources (joined in secops.urls under namespace ``secops``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from edubase.secops import views_sources as views

urlpatterns: list[URLPattern] = [
    path("sources/", views.source_list, name="source_list"),
    path("sources/new/", views.source_new, name="source_new"),
    path("sources/<int:pk>/", views.source_detail, name="source_detail"),
    path("sources/<int:pk>/edit/", views.source_edit, name="source_edit"),
    path("sources/<int:pk>/rotate/", views.source_rotate, name="source_rotate"),
    path("sources/<int:pk>/toggle/", views.source_toggle, name="source_toggle"),
]
