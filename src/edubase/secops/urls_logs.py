"""Console pages of secops: log detection (joined in secops.urls under namespace ``secops``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from edubase.secops import views_logs as views

urlpatterns: list[URLPattern] = [
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/triage/", views.alert_triage, name="alert_triage"),
    path("alerts/<int:pk>/assign/", views.alert_assign, name="alert_assign"),
    path("alerts/<int:pk>/finding/", views.alert_finding, name="alert_finding"),
    path("alerts/<int:pk>/notice/", views.alert_notice, name="alert_notice"),
    path("alerts/<int:pk>/incident/", views.alert_incident, name="alert_incident"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/import/", views.rule_import, name="rule_import"),
    path("rules/<int:pk>/", views.rule_detail, name="rule_detail"),
    path("rules/<int:pk>/toggle/", views.rule_toggle, name="rule_toggle"),
    path("rules/<int:pk>/scope/", views.rule_scope, name="rule_scope"),
    path("rules/<int:pk>/exceptions/", views.rule_exception_add, name="rule_exception_add"),
    path(
        "rules/<int:pk>/exceptions/<int:exception_pk>/delete/",
        views.rule_exception_remove,
        name="rule_exception_remove",
    ),
    path("risk/", views.risk_ranking, name="risk_ranking"),
    path("situation/", views.screen_dashboard, name="screen_dashboard"),
    path("screen/", views.screen_bigscreen, name="screen_bigscreen"),
    path("screen/data.json", views.screen_data, name="screen_data"),
]
