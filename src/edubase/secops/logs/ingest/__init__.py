"""Log ingestion: receivers (syslog UDP/TCP/TLS, HTTP NDJSON, Elasticsearch ``_bulk``), the durable
spool, the ``edubase ingest`` process and the NATS JetStream scaled mode (see ``server``)."""
