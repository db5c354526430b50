"""Console pages of data sharing (namespace ``datagov_sharing``, mounted at ``/datagov/sharing/``)."""

from django.urls import path

from edubase.datagov.sharing import views

app_name = "datagov_sharing"

urlpatterns = [
    path("", views.request_list, name="request_list"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("grants/", views.grant_list, name="grant_list"),
    path("grants/<int:pk>/", views.grant_detail, name="grant_detail"),
    path("grants/<int:pk>/extract/", views.grant_extract, name="grant_extract"),
    path("grants/<int:pk>/token/", views.grant_token, name="grant_token"),
    path("grants/<int:pk>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("trace/", views.trace, name="trace"),
    path("policy/", views.policy_page, name="policy"),
    path("policy/publish/", views.policy_publish, name="policy_publish"),
    path("lifecycle/", views.lifecycle_page, name="lifecycle"),
    path("lifecycle/retention/", views.retention_set, name="retention_set"),
    path("lifecycle/<int:pk>/action/", views.retention_action, name="retention_action"),
    path("certificates/<int:pk>.pdf", views.certificate_pdf, name="certificate_pdf"),
]
