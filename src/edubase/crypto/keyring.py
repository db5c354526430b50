"""The project's key hierarchy and data keys, wired to settings and the database.

One ``KeyHierarchy`` per process over the configured ``FileKeyStore``. Data keys
are unwrapped once per process and cached in memory (never on disk, never in the
database in clear), so encrypting a field costs one SM4-GCM operation.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from edubase.crypto.errors import KeyNotFound
from edubase.crypto.hierarchy import KeyHierarchy, WrappedKey
from edubase.crypto.keystore import FileKeyStore, load_master_key
from edubase.crypto.models import DataKey
from edubase.crypto.sm3 import sm3_kdf
from edubase.crypto.sm4 import SM4GCM

_lock = threading.RLock()
_hierarchy: KeyHierarchy | None = None
_by_id: dict[int, SM4GCM] = {}
_active: dict[str, tuple[int, SM4GCM]] = {}
_bidx: dict[str, bytes] = {}
_pending: set[int] = set()


def root_node_id() -> str:
    """The root node's id (GB/T 2260 code of the province by default)."""
    return str(getattr(settings, "EDUBASE_KEY_ROOT", "41"))


def hierarchy() -> KeyHierarchy:
    """The process-wide hierarchy; creates the root node on first use if absent."""
    global _hierarchy
    if _hierarchy is None:
        with _lock:
            if _hierarchy is None:
                import os

                master = load_master_key(
                    env_value=os.environ.get("EDUBASE_MASTER_KEY"),
                    path=settings.EDUBASE_MASTER_KEY_FILE,
                    generate=settings.EDUBASE_GENERATE_MASTER_KEY,
                )
                h = KeyHierarchy(FileKeyStore(settings.EDUBASE_KEYSTORE_DIR, master))
                if h.root() is None:
                    h.create_node(root_node_id(), level="root", parent=None, name="省级根节点")
                _hierarchy = h
    return _hierarchy


def reset_caches() -> None:
    """Forget the hierarchy and cached data keys (tests, key-store switch)."""
    global _hierarchy
    with _lock:
        _hierarchy = None
        _by_id.clear()
        _active.clear()
        _bidx.clear()
        _pending.clear()


@dataclass(frozen=True)
class RewrapReport:
    """What ``rewrap_data_keys`` changed."""

    examined: int
    rewrapped: int


def active_data_key(purpose: str) -> tuple[int, SM4GCM]:
    """(DataKey id, cipher) used for new writes of ``purpose``.

    Keys are normally created by ``ensure_data_keys`` after migrations; one created
    here inside a transaction is not cached until that transaction commits.
    """
    cached = _active.get(purpose)
    if cached is not None:
        return cached
    with _lock:
        row = DataKey.objects.filter(purpose=purpose, active=True).first()
        if row is None:
            row = _create_data_key(purpose, version=1)
            if transaction.get_connection().in_atomic_block:
                new_pk: int = row.pk
                _pending.add(new_pk)
                transaction.on_commit(lambda: _pending.discard(new_pk))
        gcm = _unwrap(row)
        if row.pk not in _pending:
            _by_id[row.pk] = gcm
            _active[purpose] = (row.pk, gcm)
        return row.pk, gcm


def _create_data_key(purpose: str, *, version: int) -> DataKey:
    node = root_node_id()
    _dek, wrapped = hierarchy().new_data_key(node, context=purpose)
    try:
        with transaction.atomic():
            return DataKey.objects.create(
                purpose=purpose, version=version, node_id=node, wrapped=str(wrapped), kek_version=wrapped.kek_version
            )
    except IntegrityError:
        # another process created it first: use theirs
        return DataKey.objects.get(purpose=purpose, active=True)


def _unwrap(row: DataKey) -> SM4GCM:
    return SM4GCM(hierarchy().unwrap(WrappedKey.parse(row.wrapped), context=row.purpose))


def ensure_data_keys(purposes: list[str]) -> int:
    """Create (committed) the first DEK of each purpose that has none; returns how many were made."""
    made = 0
    for purpose in purposes:
        if not DataKey.objects.filter(purpose=purpose, active=True).exists():
            _create_data_key(purpose, version=1)
            made += 1
    return made


def forget_data_keys() -> None:
    """Drop cached data keys (tests that roll back their database between cases)."""
    with _lock:
        _by_id.clear()
        _active.clear()


def data_key_by_id(key_id: int) -> SM4GCM:
    """Cipher for a stored DataKey id (for decrypting values written under any version)."""
    gcm = _by_id.get(key_id)
    if gcm is not None:
        return gcm
    row = DataKey.objects.filter(pk=key_id).first()
    if row is None:
        raise KeyNotFound(detail=f"数据密钥 #{key_id}")
    gcm = _unwrap(row)
    if key_id not in _pending:
        _by_id[key_id] = gcm
    return gcm


def rotate_data_key(purpose: str) -> DataKey:
    """Start a new DEK version for new writes; old values stay readable with their version."""
    with _lock, transaction.atomic():
        current = DataKey.objects.select_for_update().filter(purpose=purpose, active=True).first()
        version = 1
        if current is not None:
            current.active = False
            current.save(update_fields=["active"])
            version = current.version + 1
        row = _create_data_key(purpose, version=version)
        _active.pop(purpose, None)
        _pending.add(row.pk)

        def _committed() -> None:
            _pending.discard(row.pk)
            _active.pop(purpose, None)

        transaction.on_commit(_committed)
        return row


def rewrap_data_keys(*, node_id: str | None = None) -> RewrapReport:
    """Re-seal every wrapped DEK under its node's current KEK (after ``rotate_kek``); data untouched."""
    h = hierarchy()
    examined = rewrapped = 0
    rows = DataKey.objects.all() if node_id is None else DataKey.objects.filter(node_id=node_id)
    for row in rows.iterator():
        examined += 1
        old = WrappedKey.parse(row.wrapped)
        new = h.rewrap(old, context=row.purpose)
        if new is not old:
            row.wrapped = str(new)
            row.kek_version = new.kek_version
            row.rewrapped_at = timezone.now()
            row.save(update_fields=["wrapped", "kek_version", "rewrapped_at"])
            rewrapped += 1
    return RewrapReport(examined, rewrapped)


def blind_index_key(purpose: str) -> bytes:
    """Per-purpose 32-byte key for blind indexes, derived from the root MAC key with the SM3 KDF."""
    key = _bidx.get(purpose)
    if key is None:
        key = sm3_kdf(hierarchy().mac_key(root_node_id()) + b"|blind-index|" + purpose.encode(), 32)
        _bidx[purpose] = key
    return key
