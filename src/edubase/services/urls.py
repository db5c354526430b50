"""Console pages of services (namespace ``services``, mounted at ``/services/``)."""

from django.urls import path

from edubase.services import views

app_name = "services"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("items/<str:code>/", views.item_detail, name="item_detail"),
    path("items/<str:code>/apply/", views.apply, name="apply"),
    path("applications/", views.my_applications, name="my_applications"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/resubmit/", views.application_resubmit, name="application_resubmit"),
    path("applications/<int:pk>/rate/", views.application_rate, name="application_rate"),
    path("applications/<int:pk>/result.pdf", views.application_result, name="application_result"),
    path("applications/<int:pk>/handle/", views.application_handle, name="application_handle"),
    path("applications/<int:pk>/materials/<int:material_pk>/", views.material_download, name="material_download"),
    path("handling/", views.handling, name="handling"),
    path("stats/", views.stats_page, name="stats"),
]
