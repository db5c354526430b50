"""Traceable watermarks (数字水印) on shared extracts: a leaked file names its recipient.

Two independent marks, so that cutting rows *or* dropping a column still leaves one:

- **Row trace codes** (追溯码): every row carries ``ref = base32(SM4(K, grant_id ‖ mac))`` where
  ``mac = HMAC-SM3(grant_key, row cells)[:8]``. Any single surviving row names its grant
  (the grant id is only readable with the platform key K) and proves it (the MAC binds the
  code to that row's content, so codes cannot be copied onto other rows or forged for another
  recipient). Survives cutting, reordering, re-saving.
- **Marker rows** (标记行): a few pseudonymous rows made from a keyed-chosen real row with its
  distinctive cells replaced by keyed, shape-preserving fakes (digits stay digits, ``*`` stays,
  Chinese stays Chinese), inserted at keyed positions. Their cell digests are kept per extract;
  a leaked file whose rows equal a marker on every column still present names the recipient,
  even when the trace-code column was deleted.

Pure functions: keys come in as bytes, the database lookups live in ``services``.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from edubase.crypto.sm3 import hmac_sm3
from edubase.crypto.sm4 import sm4_ecb_decrypt_blocks, sm4_ecb_encrypt_blocks

REF_COLUMN = "追溯码"
_SEP = "\x1f"
#: common given-name characters for Chinese cells of marker rows
_CJK = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞婷雪琳晨浩宇欣怡子涵梓轩"
_DIGITS = "0123456789"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_LOWER = "abcdefghijkmnpqrstuvwxyz"


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def _unb32(text: str) -> bytes | None:
    text = text.strip().upper()
    try:
        return base64.b32decode(text + "=" * (-len(text) % 8))
    except (ValueError, TypeError):
        return None


def _row_bytes(cells: Sequence[str]) -> bytes:
    return _SEP.join("" if c is None else str(c).strip() for c in cells).encode("utf-8")


def row_ref(*, cipher_key: bytes, grant_id: int, grant_key: bytes, cells: Sequence[str]) -> str:
    """The trace code of one row (26 base32 characters)."""
    mac = hmac_sm3(grant_key, _row_bytes(cells))[:8]
    return _b32(sm4_ecb_encrypt_blocks(cipher_key, grant_id.to_bytes(8, "big") + mac))


def read_ref(*, cipher_key: bytes, ref: str) -> tuple[int, bytes] | None:
    """(grant id, row MAC) hidden in a trace code, or None for anything that is not one."""
    raw = _unb32(ref)
    if raw is None or len(raw) != 16:
        return None
    plain = sm4_ecb_decrypt_blocks(cipher_key, raw)
    return int.from_bytes(plain[:8], "big"), plain[8:]


def ref_matches(*, grant_key: bytes, mac: bytes, cells: Sequence[str]) -> bool:
    """Whether a trace code's MAC belongs to this row under this grant's key."""
    return hmac_sm3(grant_key, _row_bytes(cells))[:8] == mac


def _stream(key: bytes, label: str) -> Callable[[int], int]:
    """A keyed deterministic integer source (HMAC-SM3 in counter mode)."""
    state = {"n": 0, "pool": b""}

    def draw(modulus: int) -> int:
        while len(state["pool"]) < 4:  # type: ignore[arg-type]
            state["pool"] += hmac_sm3(key, f"{label}:{state['n']}".encode())  # type: ignore[operator]
            state["n"] += 1  # type: ignore[operator]
        value = int.from_bytes(state["pool"][:4], "big")  # type: ignore[index]
        state["pool"] = state["pool"][4:]  # type: ignore[index]
        return value % modulus

    return draw


def fake_like(value: str, draw: Callable[[int], int]) -> str:
    """A keyed stand-in of the same shape: digits → digits, letters → letters, Chinese → Chinese."""
    out = []
    for ch in value:
        if ch.isdigit():
            out.append(_DIGITS[draw(10)])
        elif "A" <= ch <= "Z":
            out.append(_UPPER[draw(len(_UPPER))])
        elif "a" <= ch <= "z":
            out.append(_LOWER[draw(len(_LOWER))])
        elif "\u4e00" <= ch <= "\u9fff":
            out.append(_CJK[draw(len(_CJK))])
        else:
            out.append(ch)
    return "".join(out)


def marker_count(rows: int) -> int:
    """How many marker rows an extract of ``rows`` real rows carries: 1 %, at least 3, at most 50;
    a small extract (under 50 rows) carries one, so that fakes never crowd out the real rows."""
    if rows == 0:
        return 0
    if rows < 50:
        return 1
    return max(3, min(50, rows // 100))


def cell_digest(column: str, value: str) -> str:
    """What is kept of a marker cell (SM3, truncated): enough to recognise, nothing to read."""
    return hashlib.new("sm3", f"{column}{_SEP}{(value or '').strip()}".encode()).hexdigest()[:20]


@dataclass
class Marked:
    """Rows with marker rows inserted, and the marker digests to keep for tracing."""

    rows: list[list[str]]
    markers: list[dict[str, str]] = field(default_factory=list)  # per marker: column → cell digest


def insert_markers(
    *, grant_key: bytes, headers: Sequence[str], rows: Sequence[Sequence[str]], distinctive: Sequence[str]
) -> Marked:
    """Insert keyed marker rows among ``rows`` (distinctive columns replaced by shape-preserving fakes)."""
    result = [list(r) for r in rows]
    if not result:
        return Marked(result)
    draw = _stream(grant_key, "markers")
    replace = [i for i, h in enumerate(headers) if h in set(distinctive)] or list(range(min(2, len(headers))))
    markers: list[dict[str, str]] = []
    for _ in range(marker_count(len(rows))):
        template = rows[draw(len(rows))]
        fake = list(template)
        for i in replace:
            fake[i] = fake_like(str(template[i] or ""), draw) or fake_like("某某", draw)
        result.insert(draw(len(result) + 1), fake)
        markers.append({h: cell_digest(h, str(fake[i] or "")) for i, h in enumerate(headers)})
    return Marked(result, markers)


# --- reading a leaked file -------------------------------------------------------------------


def read_file(data: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of an XLSX or CSV file (UTF-8 or GBK); ValueError (Chinese) when unreadable."""
    lower = filename.lower()
    grid: list[list[str]]
    if lower.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for corrupt files
            raise ValueError(f"无法读取 Excel 文件：{type(exc).__name__}") from exc
        try:
            grid = [
                ["" if c is None else str(c).strip() for c in row]
                for row in book.worksheets[0].iter_rows(values_only=True)
            ]
        finally:
            book.close()
    elif lower.endswith((".csv", ".txt")):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        grid = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise ValueError("仅支持 .xlsx 或 .csv 文件")
    grid = [row for row in grid if any(row)]
    if not grid:
        raise ValueError("文件中没有数据")
    header = grid[0]
    width = len(header)
    return header, [(row + [""] * width)[:width] for row in grid[1:]]


@dataclass(frozen=True)
class Trace:
    """What a leaked file says about its recipient."""

    grant_id: int | None
    method: str  # "trace_code" | "marker_rows" | ""
    matched_rows: int
    checked_rows: int
    votes: dict[int, int]


def trace(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    cipher_key: bytes,
    grant_key: Callable[[int], bytes | None],
    markers: Mapping[int, Sequence[Mapping[str, str]]] | None = None,
) -> Trace:
    """The grant a file came from: by trace codes first, else by marker rows; None when neither.

    ``grant_key(id)`` gives a grant's key (None: no such grant); ``markers`` maps grant ids to
    the marker digests kept for their extracts.
    """
    votes: Counter[int] = Counter()
    if REF_COLUMN in headers:
        at = list(headers).index(REF_COLUMN)
        keys: dict[int, bytes | None] = {}
        for row in rows:
            found = read_ref(cipher_key=cipher_key, ref=row[at]) if row[at] else None
            if found is None:
                continue
            grant_id, mac = found
            if grant_id not in keys:
                keys[grant_id] = grant_key(grant_id)
            key = keys[grant_id]
            cells = [c for i, c in enumerate(row) if i != at]
            if key is not None and ref_matches(grant_key=key, mac=mac, cells=cells):
                votes[grant_id] += 1
        if votes:
            best, count = votes.most_common(1)[0]
            return Trace(best, "trace_code", count, len(rows), dict(votes))
    present = [h for h in headers if h and h != REF_COLUMN]
    if markers and len(present) >= 2:
        index: dict[tuple[str, str], list[tuple[int, Mapping[str, str]]]] = {}
        for grant_id, marker_list in markers.items():
            for marker in marker_list:
                column = next((h for h in present if h in marker), None)
                if column is not None:
                    index.setdefault((column, marker[column]), []).append((grant_id, marker))
        positions = {h: i for i, h in enumerate(headers)}
        for row in rows:
            for column in present:  # each marker is indexed under one column: no double count
                for grant_id, marker in index.get((column, cell_digest(column, row[positions[column]])), []):
                    compared = [h for h in present if h in marker]
                    if len(compared) >= 2 and all(marker[h] == cell_digest(h, row[positions[h]]) for h in compared):
                        votes[grant_id] += 1
        if votes:
            best, count = votes.most_common(1)[0]
            return Trace(best, "marker_rows", count, len(rows), dict(votes))
    return Trace(None, "", 0, len(rows), {})
