"""GB/T 2260 administrative-division codes, from the table shipped in ``python-stdnum``
(``stdnum/cn/loc.dat``, with the years each name was valid).

``current_*`` give today's divisions (entries whose last period is open-ended,
e.g. ``[1994-]``); ``region_known`` accepts any code that ever existed, because real
citizen IDs carry codes that were later abolished, or created after the holder's birth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_ENTRY = re.compile(r"^(?:\[(\d{4})?-(\d{4})?\])?(.+)$")
#: placeholder rows that are not real divisions
_NOT_A_DIVISION = {"市辖区", "县", "省直辖县级行政单位", "自治区直辖县级行政单位", "省直辖行政单位"}


@dataclass(frozen=True)
class Division:
    """One code with its current name (``None`` if abolished) and all names it had."""

    code: str
    name: str | None
    names: tuple[str, ...]

    @property
    def current(self) -> bool:
        return self.name is not None

    @property
    def level(self) -> str:
        if self.code.endswith("0000"):
            return "province"
        if self.code.endswith("00") or self.code[2:4] == "90":
            return "prefecture" if self.code.endswith("00") else "county"
        return "county"


def _parse_names(text: str) -> tuple[str | None, tuple[str, ...]]:
    names: list[str] = []
    current: str | None = None
    for part in text.split(","):
        m = _ENTRY.match(part.strip())
        if not m:
            continue
        end, name = m.group(2), m.group(3).strip()
        names.append(name)
        bracketed = part.strip().startswith("[")
        current = name if (not bracketed or (end is None)) else None
    return current, tuple(names)


@cache
def divisions() -> dict[str, Division]:
    """Every code in the table, keyed by 6-digit code."""
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    out: dict[str, Division] = {}
    province = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province = line[:2]
            m = re.search(r'province="([^"]+)"', line)
            name = m.group(1) if m else ""
            out[province + "0000"] = Division(province + "0000", name, (name,))
            continue
        code_part, _, rest = line.strip().partition(" ")
        m = re.search(r'county="([^"]*)"', rest)
        if not m or len(code_part) != 4:
            continue
        code = province + code_part
        if code.endswith("0000"):
            continue
        current, names = _parse_names(m.group(1))
        out[code] = Division(code, current, names)
    return out


def region_known(code: str) -> bool:
    """Whether ``code`` is a GB/T 2260 code that exists or ever existed (any year)."""
    return len(code) == 6 and code.isdigit() and code in divisions()


def name_of(code: str) -> str | None:
    """Current name of a division (``None`` if unknown or abolished)."""
    division = divisions().get(code)
    return division.name if division else None


def current_prefectures(province: str = "41") -> list[Division]:
    """Today's prefecture-level units of a province, including directly administered
    county-level cities (e.g. 济源市 419001, listed as a prefecture-level unit by Henan)."""
    found = []
    for code, d in sorted(divisions().items()):
        if not code.startswith(province) or not d.current or d.name in _NOT_A_DIVISION:
            continue
        directly_administered = code[2:4] == "90"
        if directly_administered != code.endswith("00") and not code.endswith("0000"):
            found.append(d)
    return found


def current_counties(prefecture: str) -> list[Division]:
    """Today's county-level divisions under a prefecture code like ``410100``."""
    if prefecture[2:4] == "90":
        return []  # a directly administered city has no counties below it in the table
    prefix = prefecture[:4]
    return [
        d
        for code, d in sorted(divisions().items())
        if code.startswith(prefix) and not code.endswith("00") and d.current and d.name not in _NOT_A_DIVISION
    ]
