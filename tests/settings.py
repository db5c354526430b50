"""Test settings: a private var/ dir and master key per test process, plus a test-only app
with encrypted-field models. Set before the project's settings are read."""

import os
import secrets
import tempfile

os.environ["EDUBASE_VAR_DIR"] = tempfile.mkdtemp(prefix="edubase-test-var-")
os.environ.setdefault("EDUBASE_MASTER_KEY", secrets.token_hex(16))
os.environ.setdefault("EDUBASE_SECRET_KEY", secrets.token_urlsafe(50))

from edubase.settings import *  # noqa: F403
from edubase.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.fieldapp"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed: tests create many users
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# in-process workers of the tests run on the test database, which a spawned prepare process would
# not see; the process path is exercised by the tests that run ``edubase ingest`` for real
EDUBASE_INGEST_PREPARE_PROCESS = False
