"""The synthetic demo province (``edubase demo``): a generated Henan with schools, people and users.

Sits above every domain app (like ``edubase.api``): it writes orgs, people and accounts,
so nothing in those apps imports it.
"""

from edubase.demo.builder import DEFAULT_SCALE, DEFAULT_SEED, Credential, DemoReport, build_demo

__all__ = ["DEFAULT_SCALE", "DEFAULT_SEED", "Credential", "DemoReport", "build_demo"]
