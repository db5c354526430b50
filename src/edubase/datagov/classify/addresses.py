"""Chinese addresses (地址): recognised from GB/T 2260 division names and street-level markers.

An address names divisions top-down (省 → 市 → 区/县 → 乡/镇/街道 → 村/路 → 号), usually with
some levels left out. Division names come from the GB/T 2260 table shipped in python-stdnum
(all names any code ever had), so historical county names are recognised too.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from edubase.orgs.standards.gb2260 import divisions

_COUNTY_SUFFIXES = "区县旗市"
_PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政单位", "自治区直辖县级行政单位", "省直辖行政单位"}
#: street-level parts below the county: township, road, village, house number, building, room
_STREET = re.compile(
    r"(?:乡|镇|街道|办事处|路|大道|大街|街|巷|胡同|里|村|社区|小区|组|庄|屯|号院|号楼|栋|幢|单元|室|层|号)"
)
_NUMBERED = re.compile(r"[0-9０-９一二三四五六七八九十百]+(?:号|栋|幢|单元|室|层|组|排|弄)")
_HAN = re.compile(r"[\u3400-\u9fff]")


@cache
def _names() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(province names, prefecture names, county names) incl. short forms without the suffix."""
    provinces: set[str] = set()
    prefectures: set[str] = set()
    counties: set[str] = set()
    for code, d in divisions().items():
        for name in d.names:
            if not name or name in _PLACEHOLDERS:
                continue
            if code.endswith("0000"):
                provinces.add(name)
                provinces.add(
                    re.sub(r"(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区|特別行政區)$", "", name)
                )
            elif code.endswith("00"):
                prefectures.add(name)
            else:
                counties.add(name)
    provinces.discard("")
    return frozenset(provinces), frozenset(prefectures), frozenset(counties)


def _level_end(text: str, pool: frozenset[str], suffixes: str) -> int:
    """Index just after the last name of ``pool`` found in the first 24 characters (0 if none)."""
    end = 0
    for i, ch in enumerate(text[:24]):
        if ch not in suffixes:
            continue
        for j in range(max(0, i - 8), i):
            if text[j : i + 1] in pool:
                end = i + 1
                break
    return end


_DIVISION_HEAD = re.compile(r"^.{0,23}[市州盟区县旗]", re.DOTALL)


def _division_prefix(text: str) -> int:
    """How many of province / prefecture / county are named near the start (0–3).

    Only the head up to the last division suffix matters, and heads repeat (a province has a
    few hundred counties), so the count is cached per head."""
    m = _DIVISION_HEAD.match(text)
    return _division_count(m.group() if m else text[:8])


@lru_cache(maxsize=1 << 16)
def _division_count(head: str) -> int:
    """Division suffixes (省 市 州 盟 区 县 旗) mark where names end: only those few positions are
    looked at, each with the at most 8 characters before it (set lookups)."""
    provinces, prefectures, counties = _names()
    found = 1 if any(head[:n] in provinces for n in range(2, 9)) else 0
    prefecture = county = False
    for i, ch in enumerate(head):
        if ch not in _ANY_SUFFIX:
            continue
        for j in range(max(0, i - 8), i):
            piece = head[j : i + 1]
            if not prefecture and piece in prefectures:
                prefecture = True
                break
            if not county and piece in counties:
                county = True
                break
    return found + prefecture + county


_ANY_SUFFIX = frozenset("市州盟区县旗")


def division_start(head: str, suffix: str) -> int | None:
    """Where in ``head`` a known division name ending with ``suffix`` starts (``"年迁入郑州", "市"`` → 3);
    ``None`` when no known name fits."""
    names = _all_names()
    for j in range(max(0, len(head) - 8), len(head)):
        if head[j:] + suffix in names:
            return j
    return None


@cache
def _all_names() -> frozenset[str]:
    """Province, prefecture and county names in one set (the scanner looks each candidate up once)."""
    provinces, prefectures, counties = _names()
    return provinces | prefectures | counties


def address_score(value: str) -> float:
    """How likely ``value`` is a postal/home address, in [0, 1]."""
    if not isinstance(value, str):
        return 0.0
    text = value.strip()
    if len(text) < 6 or len(text) > 120 or not _HAN.match(text):
        return 0.0
    divisions_named = _division_prefix(text)
    street = _STREET.search(text, 2) is not None
    numbered = _NUMBERED.search(text) is not None
    if divisions_named and street and numbered:
        return 0.97
    if divisions_named and street:
        return 0.9
    if divisions_named >= 2:
        return 0.6  # a place, not yet an address (e.g. 河南省郑州市中原区)
    if street and numbered:
        return 0.75
    return 0.0


def cut_to_county(value: str) -> str:
    """The address up to and including its county-level division (``…区``, ``…县``, ``…市``),
    else up to its prefecture; the whole value when no division is found."""
    text = value.strip()
    _, prefectures, counties = _names()
    end = _level_end(text, counties, _COUNTY_SUFFIXES) or _level_end(text, prefectures, "市州盟区")
    return text[:end] if end else text
