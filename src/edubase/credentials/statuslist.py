"""W3C Bitstring Status List v1.0 (状态列表): revocation (撤销) and suspension (暂扣) bits.

- The list is a bitstring of at least 131,072 entries (16 KiB), so that one certificate's index
  hides among many (the spec's herd privacy minimum).
- Bit ``i`` is bit ``7 - i % 8`` of byte ``i // 8``: index 0 is the most significant (left-most)
  bit of the first byte (spec §"Bitstring Encoding").
- ``encodedList`` = ``"u"`` (multibase base64url) + base64url without padding of the GZIP
  (RFC 1952) compressed bitstring.
- Indices are assigned at random (``secrets``), never sequentially, so that an index says nothing
  about issue order or cohort.

No Django here; C2 stores the bytes and signs :func:`status_list_credential` with ``jose.sign_compact``.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import secrets
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

MIN_SIZE = 131072
#: Largest decompressed list accepted (2^27 entries): a bound against GZIP bombs.
MAX_BYTES = 16 * 1024 * 1024
PURPOSES = ("revocation", "suspension")
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


class StatusListError(ValueError):
    """A status list cannot be decoded, or an index or purpose is out of range."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} ({message_en})")


class StatusList:
    """A bitstring of ``size`` status bits (all clear on creation)."""

    __slots__ = ("_bits", "size")

    def __init__(self, size: int = MIN_SIZE, data: bytes | None = None) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < MIN_SIZE or size % 8:
            raise StatusListError(
                "bad_size",
                f"状态列表长度必须是不小于 {MIN_SIZE} 的 8 的倍数",
                f"status list size must be a multiple of 8 and at least {MIN_SIZE}",
            )
        if size // 8 > MAX_BYTES:
            raise StatusListError("too_large", "状态列表过大", "status list too large")
        if data is None:
            self._bits = bytearray(size // 8)
        else:
            if len(data) != size // 8:
                raise StatusListError(
                    "bad_size", "状态列表数据长度与条目数不符", "status list data length does not match its size"
                )
            self._bits = bytearray(data)
        self.size = size

    def _check(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.size:
            raise StatusListError(
                "index_out_of_range",
                f"状态索引 {index!r} 超出范围（0–{self.size - 1}）",
                f"status index {index!r} out of range (0–{self.size - 1})",
            )

    def set(self, index: int, value: bool) -> None:
        """Set (True = revoked/suspended) or clear bit ``index``."""
        self._check(index)
        mask = 0x80 >> (index % 8)
        if value:
            self._bits[index // 8] |= mask
        else:
            self._bits[index // 8] &= ~mask & 0xFF

    def get(self, index: int) -> bool:
        """Whether bit ``index`` is set."""
        self._check(index)
        return bool(self._bits[index // 8] & (0x80 >> (index % 8)))

    def to_bytes(self) -> bytes:
        """The raw (uncompressed) bitstring."""
        return bytes(self._bits)

    def count(self) -> int:
        """How many bits are set."""
        return sum(bin(b).count("1") for b in self._bits if b)

    def encode(self) -> str:
        """The ``encodedList`` text: ``u`` + base64url(GZIP(bits)), no padding.

        ``mtime=0`` keeps the output deterministic, so that an unchanged list republishes byte-identical
        (HTTP caches and ETags stay valid).
        """
        compressed = gzip.compress(bytes(self._bits), compresslevel=9, mtime=0)
        return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, encoded: str) -> StatusList:
        """Parse an ``encodedList``; raise ``StatusListError`` if framing, GZIP or size are wrong."""
        if not isinstance(encoded, str) or not encoded.startswith("u"):
            raise StatusListError(
                "bad_multibase", "状态列表编码应以多基前缀 u 开头", "encodedList must start with the multibase prefix u"
            )
        body = encoded[1:]
        try:
            if not _B64URL.match(body) or len(body) % 4 == 1:
                raise ValueError(body[:16])
            compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError) as exc:
            raise StatusListError(
                "bad_base64", "状态列表不是合法的 base64url 编码", "encodedList is not valid base64url"
            ) from exc
        inflater = zlib.decompressobj(wbits=31)  # 31 = GZIP framing only, as the spec requires
        try:
            raw = inflater.decompress(compressed, MAX_BYTES + 1)
        except zlib.error as exc:
            raise StatusListError("bad_gzip", "状态列表不是合法的 GZIP 数据", "encodedList is not valid GZIP") from exc
        if len(raw) > MAX_BYTES or inflater.unconsumed_tail:
            raise StatusListError("too_large", "状态列表解压后过大", "status list too large after decompression")
        if not inflater.eof:
            raise StatusListError("bad_gzip", "状态列表 GZIP 数据不完整", "encodedList GZIP data is truncated")
        return cls(len(raw) * 8, raw)


def random_index(size: int, taken: Callable[[int], bool]) -> int:
    """A uniformly random free index below ``size`` (``secrets``); raise ``StatusListError`` if full.

    ``taken(i)`` says whether index ``i`` is already allocated. After 64 random misses (a list
    nearly full) the search scans from a random start, so it always ends.
    """
    if size < 1:
        raise StatusListError("bad_size", "状态列表长度无效", "invalid status list size")
    for _ in range(64):
        candidate = secrets.randbelow(size)
        if not taken(candidate):
            return candidate
    start = secrets.randbelow(size)
    for offset in range(size):
        candidate = (start + offset) % size
        if not taken(candidate):
            return candidate
    raise StatusListError("list_full", "状态列表已满，请新建列表", "status list is full; start a new list")


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise StatusListError(
            "bad_purpose",
            f"状态用途 {purpose!r} 无效（应为 revocation 或 suspension）",
            f"status purpose {purpose!r} is invalid (revocation or suspension expected)",
        )


def status_entry(*, list_url: str, index: int, purpose: str) -> dict[str, Any]:
    """A ``BitstringStatusListEntry`` for a credential's ``credentialStatus``."""
    _check_purpose(purpose)
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise StatusListError(
            "index_out_of_range", "状态索引必须是非负整数", "status index must be a non-negative integer"
        )
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_list_credential(
    *,
    list_url: str,
    purpose: str,
    status_list: StatusList,
    issuer_id: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """The ``BitstringStatusListCredential`` document (unsigned) published at ``list_url``.

    ``valid_until`` / ``ttl_ms`` are optional: a verifier may cache the signed list until then.
    """
    _check_purpose(purpose)
    subject: dict[str, Any] = {
        "id": f"{list_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": status_list.encode(),
    }
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    document: dict[str, Any] = {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": _iso(valid_from),
    }
    if valid_until is not None:
        document["validUntil"] = _iso(valid_until)
    document["credentialSubject"] = subject
    return document
