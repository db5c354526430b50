"""Settings are safe by default: DEBUG off, Chinese first, English available."""

import os
import subprocess
import sys


def _settings(tmp_path, **extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDUBASE_")}
    env.update(EDUBASE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="edubase.settings", **extra)
    script = "from django.conf import settings as s; print(s.DEBUG, s.LANGUAGE_CODE, [c for c, _ in s.LANGUAGES])"
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout


def test_debug_is_off_unless_asked(tmp_path):
    assert _settings(tmp_path).startswith("False zh-hans ['zh-hans', 'en']")
    assert _settings(tmp_path, EDUBASE_DEBUG="1").startswith("True")


def test_secret_is_generated_once_and_kept(tmp_path):
    _settings(tmp_path)
    first = (tmp_path / "secret_key").read_text()
    _settings(tmp_path)
    assert (tmp_path / "secret_key").read_text() == first
    assert len(first.strip()) > 40
