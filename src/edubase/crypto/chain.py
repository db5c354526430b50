"""Tamper-evident chains: each record carries HMAC-SM3 over its content and its
predecessor's MAC, so editing, deleting or reordering history is detectable
(GB/T 39786 integrity of important records such as audit logs)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from edubase.crypto.errors import ParameterError
from edubase.crypto.sm3 import hmac_sm3, sm3

GENESIS = bytes(32)


def canonical_json(content: Any) -> bytes:
    """Deterministic JSON (sorted keys, no spaces, UTF-8) so the MAC does not depend on dict order."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def chain_mac(key: bytes, content: Any, previous: bytes | None) -> bytes:
    """MAC of one record: HMAC-SM3(key, previous MAC ‖ SM3(canonical content))."""
    prev = GENESIS if previous is None else bytes(previous)
    if len(prev) != 32:
        raise ParameterError(detail="链上前一条记录的 MAC 必须为 32 字节")
    return hmac_sm3(key, prev + sm3(canonical_json(content)))


@dataclass(frozen=True)
class ChainCheck:
    """Result of verifying a chain: ``ok``, or the first bad position and why."""

    ok: bool
    checked: int
    first_bad: int | None = None
    reason: str = ""


def verify_chain(key: bytes, records: Iterable[tuple[Any, bytes]], *, start: bytes | None = None) -> ChainCheck:
    """Walk ``(content, mac)`` pairs in order; stop at the first record whose MAC does not match."""
    previous = start
    count = 0
    for index, (content, mac) in enumerate(records):
        expected = chain_mac(key, content, previous)
        if not hmac.compare_digest(expected, bytes(mac)):
            return ChainCheck(False, index, index, "记录内容被修改，或其前面的记录被删除/插入/调换")
        previous = bytes(mac)
        count = index + 1
    return ChainCheck(True, count)
