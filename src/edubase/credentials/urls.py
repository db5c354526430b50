"""Console pages of credentials (namespace ``credentials``, mounted at ``/credentials/``)."""

app_name = "credentials"

urlpatterns: list = []
