"""Users, roles as data, scoped role assignments, API tokens, login security."""
