"""Log-based early warning (issue 6): ingestion, normalisation, event store, Sigma detection, alerts.

Modules (each owned by one part):
- ``schema``    — the normalised event schema (ECS-style field names), shared by every part;
- ``parsers``   — raw line/JSON → normalised event (nginx/Apache, sshd/PAM, syslog, iptables/nftables,
                  Windows Security JSON, generic JSON), unparsed lines kept raw;
- ``enrich``    — asset/school by IP or host name, offline GeoIP, user-agent class;
- ``ingest``    — receivers (syslog UDP/TCP/TLS, HTTP NDJSON, Elasticsearch ``_bulk``), the durable
                  spool, the ``edubase ingest`` process, NATS JetStream scaled mode;
- ``store``     — the event store interface with DuckDB (default) and ClickHouse (chDB in tests);
- ``sigma``     — pySigma 2 backend producing DuckDB/ClickHouse SQL, correlation rules, rule packs,
                  rule tests; ``rules/`` holds the bundled education rules;
- ``detect``    — micro-batch evaluation and scheduled hunts → alerts (deduplicated);
- ``risk``      — risk scores per asset/school/county/city.
"""
