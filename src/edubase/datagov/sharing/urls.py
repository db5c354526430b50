"""Console pages of data sharing (namespace ``datagov_sharing``, mounted at ``/datagov/sharing/``)."""

app_name = "datagov_sharing"

urlpatterns: list = []
