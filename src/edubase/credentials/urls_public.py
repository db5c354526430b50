"""Public verification pages (namespace ``verify``, mounted at ``/v/``): no login."""

app_name = "verify"

urlpatterns: list = []
