"""Console pages of credentials (namespace ``credentials``, mounted at ``/credentials/``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from edubase.credentials import views

app_name = "credentials"

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("certificates/", views.certificate_list, name="certificate_list"),
    path("certificates/<int:pk>/", views.certificate_detail, name="certificate_detail"),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("certificates/<int:pk>/status/", views.certificate_status, name="certificate_status"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/new/", views.batch_new, name="batch_new"),
    path("batches/template.xlsx", views.batch_template_xlsx, name="batch_template_xlsx"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/submit/", views.batch_submit, name="batch_submit"),
    path("batches/<int:pk>/decide/", views.batch_decide, name="batch_decide"),
    path("batches/<int:pk>/bulk-status/", views.batch_bulk_status, name="batch_bulk_status"),
    path("issuers/", views.issuer_list, name="issuer_list"),
    path("issuers/new/", views.issuer_new, name="issuer_new"),
    path("issuers/<int:pk>/rotate/", views.issuer_rotate, name="issuer_rotate"),
    path("templates/", views.template_list, name="template_list"),
    path("verifications/", views.verification_list, name="verification_list"),
    path("mine/", views.mine, name="mine"),
    path("mine/<int:pk>/", views.mine_detail, name="mine_detail"),
    path("mine/<int:pk>/pdf/", views.mine_pdf, name="mine_pdf"),
    path("mine/<int:pk>/json/", views.mine_json, name="mine_json"),
    path("mine/<int:pk>/share/", views.mine_share, name="mine_share"),
]
