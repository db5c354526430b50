"""Console pages of secops (namespace ``secops``, mounted at ``/secops/``); each part lists its own."""

from edubase.secops import urls_findings, urls_incidents, urls_logs, urls_notices, urls_registry, urls_sources

app_name = "secops"

urlpatterns = [
    *urls_registry.urlpatterns,
    *urls_findings.urlpatterns,
    *urls_notices.urlpatterns,
    *urls_incidents.urlpatterns,
    *urls_logs.urlpatterns,
    *urls_sources.urlpatterns,
]
