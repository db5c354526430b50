"""Console pages of the aggregation pool (namespace ``datagov_pool``, mounted at ``/datagov/pool/``)."""

app_name = "datagov_pool"

urlpatterns: list = []
