"""Status lists of issuers: random index allocation, re-signing and publishing as static files.

A list's bits are recomputed from the certificates that hold an index in it (revoked, cancelled
and amended set the revocation bit; suspended the suspension bit), so publishing is idempotent and
a crash between a status change and its publication loses nothing: the list stays ``dirty`` and
the ``credentials.publish_status`` job (every 20 s) or the on-commit hook publishes it.
Published lists are written to ``VAR_DIR/credentials/status/<list id>.jwt`` and served from there
by ``/v/status/<list id>`` with cache headers.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from edubase.credentials import issuers
from edubase.credentials.jose import sign_compact
from edubase.credentials.models import REVOKED_LIKE, Certificate, CertificateStatus, Issuer, StatusList
from edubase.credentials.statuslist import StatusList as Bits
from edubase.credentials.statuslist import random_index, status_list_credential

#: seconds a verifier or proxy may cache a published list (well under the 60 s publication promise)
CACHE_SECONDS = 30


#: VAR_DIR → its status directory, made once (building the path and a ``mkdir`` per verification
#: cost more than reading the list)
_dirs: dict[str, str] = {}
#: status list id → (allocated, taken indices) as last committed by this process (see ``allocate``)
_taken: dict[UUID, tuple[int, set[int]]] = {}
_CACHE_LIMIT = 256


def status_dir() -> Path:
    return Path(_status_dir())


def _status_dir() -> str:
    base = str(settings.VAR_DIR)
    path = _dirs.get(base)
    if path is None:
        path = os.path.join(base, "credentials", "status")
        os.makedirs(path, exist_ok=True)
        _dirs[base] = path
    return path


def list_url(status_list: StatusList) -> str:
    return f"{issuers.public_base()}/v/status/{status_list.list_id}"


def list_id_from_url(url: str) -> UUID | None:
    """The list id in a status-list URL of this deployment (None for any other URL)."""
    prefix = f"{issuers.public_base()}/v/status/"
    if not url.startswith(prefix):
        return None
    try:
        return UUID(url[len(prefix) :])
    except ValueError:
        return None


def allocate(issuer: Issuer, purpose: str, count: int) -> list[tuple[StatusList, int]]:
    """``count`` fresh random indices in the issuer's open lists of ``purpose`` (new lists as needed).

    The list rows are locked for the allocation, so concurrent batches never take the same index;
    the unique constraints on the certificate are the last guard.
    """
    out: list[tuple[StatusList, int]] = []
    while len(out) < count:
        status_list = (
            StatusList.objects.select_for_update().filter(issuer=issuer, purpose=purpose).order_by("-pk").first()
        )
        if status_list is None or status_list.allocated >= status_list.capacity:
            status_list = StatusList.objects.create(issuer=issuer, purpose=purpose)
            status_list = StatusList.objects.select_for_update().get(pk=status_list.pk)
        taken = _taken_indices(status_list, purpose)
        take = min(count - len(out), status_list.capacity - status_list.allocated)
        for _ in range(take):
            index = random_index(status_list.size, taken.__contains__)
            taken.add(index)
            out.append((status_list, index))
        status_list.allocated += take
        status_list.save(update_fields=["allocated"])
        _remember_taken(status_list.list_id, status_list.allocated, taken)
    return out


def _taken_indices(status_list: StatusList, purpose: str) -> set[int]:
    """The indices handed out in a (locked) list. Reading them all per chunk made a large cohort
    quadratic, so the set this process last committed is reused while the row's ``allocated`` still
    matches it: the count only moves under the row lock, and the set is remembered only once its
    transaction commits, so another process's allocation (or a rolled-back one) forces a re-read."""
    hit = _taken.get(status_list.list_id)
    if hit is not None and hit[0] == status_list.allocated:
        return hit[1]
    field = "revocation_index" if purpose == "revocation" else "suspension_index"
    return set(Certificate.objects.filter(**{f"{purpose}_list": status_list}).values_list(field, flat=True))


def _remember_taken(list_id: UUID, allocated: int, taken: set[int]) -> None:
    def remember() -> None:
        if len(_taken) >= _CACHE_LIMIT:
            _taken.clear()
        _taken[list_id] = (allocated, taken)

    transaction.on_commit(remember)


def bits_of(status_list: StatusList) -> Bits:
    """The list's bits as the certificates' statuses say now."""
    bits = Bits(status_list.size)
    if status_list.purpose == "revocation":
        indices = Certificate.objects.filter(revocation_list=status_list, status__in=REVOKED_LIKE).values_list(
            "revocation_index", flat=True
        )
    else:
        indices = Certificate.objects.filter(
            suspension_list=status_list, status=CertificateStatus.SUSPENDED
        ).values_list("suspension_index", flat=True)
    for index in indices.iterator():
        bits.set(index, True)
    return bits


def _write(status_list: StatusList) -> None:
    """Write the signed list atomically (temp file + rename): readers never see half a file."""
    target = status_dir() / f"{status_list.list_id}.jwt"
    target.parent.mkdir(parents=True, exist_ok=True)  # in case it was removed since it was first made
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(status_list.signed_jws)
    os.replace(temp, target)


def publish(status_list: StatusList) -> StatusList:
    """Recompute, re-sign with the issuer's current key, store and write one list."""
    issuer = status_list.issuer
    key = issuers.current_key(issuer)
    now = timezone.now()
    document = status_list_credential(
        list_url=list_url(status_list),
        purpose=status_list.purpose,
        status_list=bits_of(status_list),
        issuer_id=issuers.issuer_id(issuer.uscc),
        valid_from=now,
        ttl_ms=CACHE_SECONDS * 1000,
    )
    status_list.signed_jws = sign_compact(
        document,
        alg=issuers.ALG,
        key=issuers.signing_key(issuer, key.key_version),
        kid=key.kid,
        typ="vc+jwt",
    )
    status_list.dirty = False
    status_list.revision += 1
    status_list.published_at = now
    status_list.save(update_fields=["signed_jws", "dirty", "revision", "published_at"])
    _write(status_list)
    return status_list


def publish_dirty(*, limit: int = 200) -> int:
    """Publish every list marked dirty (the periodic job and the on-commit hook); returns how many."""
    done = 0
    ids = list(StatusList.objects.filter(dirty=True).order_by("pk").values_list("pk", flat=True)[:limit])
    for pk in ids:
        with transaction.atomic():
            status_list = (
                StatusList.objects.select_for_update(skip_locked=True)
                .select_related("issuer")
                .filter(pk=pk, dirty=True)
                .first()
            )
            if status_list is not None:
                publish(status_list)
                done += 1
    return done


def mark_dirty(list_ids: set[int]) -> None:
    """Mark lists for publication and publish them once the caller's transaction commits."""
    if not list_ids:
        return
    StatusList.objects.filter(pk__in=list_ids).update(dirty=True)
    transaction.on_commit(publish_dirty)


def signed_list(list_id: UUID) -> str | None:
    """The published signed list (file first, the database row as fallback); read fresh every time
    (a few microseconds: the verifier caches the decoded list by its text), so a revocation shows
    on the very next verification."""
    try:
        with open(os.path.join(_status_dir(), f"{list_id}.jwt"), encoding="ascii") as handle:
            return handle.read()
    except FileNotFoundError:
        pass
    row = StatusList.objects.filter(list_id=list_id).values_list("signed_jws", flat=True).first()
    return row or None
