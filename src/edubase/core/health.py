"""Health facts shared by the health page, the API and the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db import connection

import edubase
from edubase.crypto.providers import provider_status


@dataclass(frozen=True)
class Health:
    """What an operator checks first: version, database, crypto provider."""

    version: str
    database_vendor: str
    database_ok: bool
    crypto_provider: str
    crypto_native: bool
    crypto_note: str

    @property
    def ok(self) -> bool:
        return self.database_ok and self.crypto_native

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "ok": self.ok}


def current_health() -> Health:
    """Probe the database with a trivial query and read the active crypto provider."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            db_ok = cursor.fetchone() == (1,)
    except Exception:  # a health probe reports, never raises
        db_ok = False
    status = provider_status()
    return Health(
        version=edubase.__version__,
        database_vendor=connection.vendor,
        database_ok=db_ok,
        crypto_provider=status.name,
        crypto_native=status.native,
        crypto_note=status.native_error,
    )
