"""Console pages of workflow (namespace ``workflow``, mounted at ``/workflow/``)."""

from django.urls import path

from edubase.workflow import views

app_name = "workflow"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/claim/", views.task_claim, name="task_claim"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("definitions/", views.definition_list, name="definitions"),
    path("definitions/upload/", views.definition_upload, name="definition_upload"),
    path("definitions/publish/", views.definition_publish, name="definition_publish"),
]
