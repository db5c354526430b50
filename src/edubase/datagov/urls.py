"""Console pages of datagov (namespace ``datagov``, mounted at ``/datagov/``)."""

app_name = "datagov"

urlpatterns: list = []
