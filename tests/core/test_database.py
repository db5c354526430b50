"""Database selection: the suite runs on the database it was told to use (CI's PostgreSQL pass
must not silently use SQLite), and the zero-config default is a WAL-mode SQLite file under var/."""

import os
import subprocess
import sys

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_configured_database_is_the_one_in_use():
    url = os.environ.get("EDUBASE_DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


def test_zero_config_default_is_sqlite_in_wal_mode_under_var(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDUBASE_")}
    env.update(EDUBASE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="edubase.settings")
    script = (
        "import django; django.setup();"
        "from django.db import connection; c = connection.cursor(); c.execute('PRAGMA journal_mode');"
        "print(connection.vendor, c.fetchone()[0], connection.settings_dict['NAME'])"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    vendor, mode, name = out.stdout.split()
    assert (vendor, mode) == ("sqlite", "wal")
    assert name == str(tmp_path / "edubase.sqlite3")
    secret = tmp_path / "secret_key"
    assert secret.exists() and oct(secret.stat().st_mode)[-3:] == "600"
