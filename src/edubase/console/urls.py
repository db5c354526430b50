"""Console URLs (namespace ``console``)."""

from django.urls import path

from edubase.console import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
]
