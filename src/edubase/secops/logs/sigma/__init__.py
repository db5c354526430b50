"""Sigma detection for edubase (issue 6).

- ``pipeline``    — Sigma taxonomy → normalised schema field mapping, supported log sources;
- ``backend``     — pySigma 2 ``TextQueryBackend`` subclasses producing DuckDB / ClickHouse WHERE clauses;
- ``correlation`` — correlation rules (event_count, value_count, temporal, temporal_ordered) → SQL;
- ``compiler``    — YAML files → ``CompiledRule`` (SQL for both dialects or a per-rule Chinese error);
- ``packs``       — ``import_pack`` / ``import_bundled`` → ``DetectionRule`` rows;
- ``ruletest``    — detection-as-code test cases and the runner (``run``, ``run_all``).
"""
