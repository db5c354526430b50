"""Console pages of secops: the incidents part and the dashboard (joined in secops.urls under namespace ``secops``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from edubase.secops import views_incidents as views

urlpatterns: list[URLPattern] = [
    path("dashboard/", views.security_dashboard, name="dashboard"),
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/report/", views.incident_report, name="incident_report"),
    path("incidents/<int:pk>/transition/", views.incident_transition, name="incident_transition"),
    path("incidents/<int:pk>/actions/", views.incident_action, name="incident_action"),
    path("incidents/<int:pk>/tasks/", views.incident_task_add, name="incident_task_add"),
    path("incidents/<int:pk>/tasks/<int:task_pk>/", views.incident_task_update, name="incident_task_update"),
    path("incidents/<int:pk>/evaluation/", views.incident_evaluate, name="incident_evaluate"),
    path("incidents/<int:pk>/report.pdf", views.incident_pdf, name="incident_pdf"),
    path("incidents/<int:pk>/evidence/<int:evidence_pk>/", views.incident_evidence, name="incident_evidence"),
]
