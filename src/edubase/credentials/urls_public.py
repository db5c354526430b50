"""Public verification pages (namespace ``verify``, mounted at ``/v/``): no login."""

from __future__ import annotations

from django.urls import URLPattern, path

from edubase.credentials import views_public as views

app_name = "verify"

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("status/<uuid:list_id>", views.status_list, name="status_list"),
    path("issuers/<str:uscc>", views.issuer_registry, name="issuer_registry"),
    path("s/<str:token>", views.share, name="share"),
    path("<str:identifier>", views.certificate, name="certificate"),
]
