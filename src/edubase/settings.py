"""Django settings, read from ``EDUBASE_*`` environment variables with safe defaults.

Zero configuration gives a working single-machine instance: SQLite (WAL) under
``var/``, DEBUG off, a secret key generated into ``var/`` on first run. Production
sets ``EDUBASE_DATABASE_URL`` (PostgreSQL), ``EDUBASE_ALLOWED_HOSTS`` and supplies
the master key (``EDUBASE_MASTER_KEY`` or a 0600 file).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("EDUBASE_VAR_DIR", str(Path.cwd() / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Secret from the environment, else generated once into var/ with mode 0600."""
    from_env = os.environ.get("EDUBASE_SECRET_KEY")
    if from_env:
        return from_env
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("EDUBASE_DEBUG")
ALLOWED_HOSTS = _env_list("EDUBASE_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = _env_list("EDUBASE_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "treebeard",
    "django_htmx",
    "edubase.core",
    "edubase.crypto",
    "edubase.orgs",
    "edubase.people",
    "edubase.accounts",
    "edubase.workflow",
    "edubase.services",
    "edubase.secops",
    "edubase.datagov",
    "edubase.datagov.pool",
    "edubase.datagov.sharing",
    "edubase.credentials",
    "edubase.console",
]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "console:login"
PASSWORD_HASHERS = [
    "edubase.accounts.hashers.PBKDF2SM3PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
#: lockout: this many failures for one username within the window lock it for the window
EDUBASE_LOGIN_MAX_FAILURES = int(os.environ.get("EDUBASE_LOGIN_MAX_FAILURES", "5"))
EDUBASE_LOGIN_LOCK_MINUTES = int(os.environ.get("EDUBASE_LOGIN_LOCK_MINUTES", "15"))
#: idle timeout: the session expires after this many seconds without a request
SESSION_COOKIE_AGE = int(os.environ.get("EDUBASE_SESSION_IDLE_SECONDS", "1800"))
SESSION_SAVE_EVERY_REQUEST = False  # IdleTimeoutMiddleware slides the expiry at most once a minute
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "edubase.core.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "edubase.core.middleware.RequestIdMiddleware",
    "edubase.core.middleware.AtomicWritesMiddleware",
]

ROOT_URLCONF = "edubase.urls"
WSGI_APPLICATION = "edubase.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'edubase.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("EDUBASE_DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
# Writes are atomic per request through AtomicWritesMiddleware (reads run without a transaction).
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Shared by the gunicorn workers of one machine; Redis when scaled out (EDUBASE_CACHE_URL=redis://…).
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["EDUBASE_CACHE_URL"]}
        if os.environ.get("EDUBASE_CACHE_URL", "").startswith("redis")
        else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")}
    )
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _env_bool("EDUBASE_SECURE_COOKIES", not DEBUG and _env_bool("EDUBASE_HTTPS"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("EDUBASE_LOG_LEVEL", "INFO")},
    # SpiffWorkflow logs every task state change at INFO: noise in the demo and the worker, kept at WARNING
    "loggers": {"spiff": {"level": os.environ.get("EDUBASE_SPIFF_LOG_LEVEL", "WARNING")}},
}

# --- commercial cryptography -------------------------------------------------
#: "native" (default) or "pure"; pure is a test oracle, refused in production unless allowed.
EDUBASE_CRYPTO_PROVIDER = os.environ.get("EDUBASE_CRYPTO_PROVIDER", "native")
EDUBASE_ALLOW_SLOW_CRYPTO = _env_bool("EDUBASE_ALLOW_SLOW_CRYPTO")
#: Master key (32 hex chars) for the file key store; else read from EDUBASE_MASTER_KEY_FILE.
EDUBASE_MASTER_KEY_FILE = Path(os.environ.get("EDUBASE_MASTER_KEY_FILE", str(VAR_DIR / "master.key")))
EDUBASE_KEYSTORE_DIR = Path(os.environ.get("EDUBASE_KEYSTORE_DIR", str(VAR_DIR / "keys")))
#: Whether a missing master key file is generated on first use (single-machine default).
EDUBASE_GENERATE_MASTER_KEY = _env_bool("EDUBASE_GENERATE_MASTER_KEY", True)

# Log events (issue 6): the event store and its retention (the Cybersecurity Law's minimum is 180 days)
EDUBASE_EVENT_STORE = os.environ.get("EDUBASE_EVENT_STORE", "duckdb")  # "duckdb" | "clickhouse"
EDUBASE_EVENT_DIR = Path(os.environ.get("EDUBASE_EVENT_DIR", str(VAR_DIR / "events")))
EDUBASE_EVENT_ARCHIVE_DIR = Path(os.environ.get("EDUBASE_EVENT_ARCHIVE_DIR", str(VAR_DIR / "events-archive")))
EDUBASE_EVENT_RETENTION_DAYS = int(os.environ.get("EDUBASE_EVENT_RETENTION_DAYS", "180"))
EDUBASE_CLICKHOUSE_URL = os.environ.get("EDUBASE_CLICKHOUSE_URL", "")  # empty: embedded chDB
EDUBASE_CHDB_DIR = Path(os.environ.get("EDUBASE_CHDB_DIR", str(VAR_DIR / "chdb")))

# E-certificates (issue 8): the public origin printed in QR codes, credential ids and status-list URLs
EDUBASE_PUBLIC_URL = os.environ.get("EDUBASE_PUBLIC_URL", "https://cert.jyt.henan.gov.cn").rstrip("/")
#: the ingest worker parses and enriches in a process of its own (ADR 0011); off: in a thread
EDUBASE_INGEST_PREPARE_PROCESS = _env_bool("EDUBASE_INGEST_PREPARE_PROCESS", True)
