"""Security operations (point 6): information-asset registry, MLPS, vulnerabilities, notices, incidents."""
