"""edubase: a self-hosted platform for a province's education informatization and cybersecurity work."""

__version__ = "0.1.0"
