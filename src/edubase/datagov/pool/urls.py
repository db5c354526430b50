"""Console pages of the aggregation pool (namespace ``datagov_pool``, mounted at ``/datagov/pool/``)."""

from django.urls import path

from edubase.datagov.pool import views

app_name = "datagov_pool"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("quality/run/", views.quality_run, name="quality_run"),
    path("contract/", views.contract, name="contract"),
    path("contract/template.xlsx", views.template_xlsx, name="template_xlsx"),
    path("contract/template.csv", views.template_csv, name="template_csv"),
    path("submissions/", views.submission_list, name="submission_list"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission_detail"),
    path("schools/<int:pk>/upload/", views.submission_upload, name="submission_upload"),
    path("records/", views.record_list, name="record_list"),
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/<int:pk>/decide/", views.review_decide, name="review_decide"),
    path("conflicts/", views.conflict_list, name="conflict_list"),
    path("conflicts/<int:pk>/resolve/", views.conflict_resolve, name="conflict_resolve"),
]
