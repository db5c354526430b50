"""Console pages of secops: the notices part (joined in secops.urls under namespace ``secops``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from edubase.secops import views_notices as views

urlpatterns: list[URLPattern] = [
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/new/", views.notice_new, name="notice_new"),
    path("notices/ledger.xlsx", views.notice_ledger, name="notice_ledger"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/acknowledge/", views.notice_acknowledge, name="notice_acknowledge"),
    path("notices/<int:pk>/evidence/", views.notice_evidence, name="notice_evidence"),
    path(
        "notices/<int:pk>/evidence/<int:evidence_pk>/",
        views.notice_evidence_download,
        name="notice_evidence_download",
    ),
    path("notices/<int:pk>/retest/", views.notice_retest, name="notice_retest"),
    path("notices/<int:pk>/verify/", views.notice_verify, name="notice_verify"),
    path("notices/<int:pk>/notice.pdf", views.notice_pdf, name="notice_pdf"),
    path("notices/<int:pk>/report.pdf", views.notice_report, name="notice_report"),
]
