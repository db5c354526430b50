"""What the demo province contains: its org nodes and schools, as plain specs (no database).

The plan is a pure function of ``scale``: the same scale always gives the same codes and
names, and a larger scale only adds schools (the ``i``-th school of a category in a
county keeps its code and name whatever the scale). That is what makes the build
idempotent and lets a small demo grow into a benchmark-sized one.

School identification codes are ``AA`` category + ``41`` + ``PPPIII``: ``PPP`` the
placement (001–156 the counties of Henan in GB/T 2260 order, 157 济源, 801–818 the
prefecture-level units for city-run colleges, 900 the provincial education department
for the schools it runs directly) and ``III`` the school's number in that placement and
category (001–999).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from edubase.demo.names import STREETS, TOWNS, chinese_number
from edubase.orgs.models import OrgKind
from edubase.orgs.standards import gb2260

PROVINCE_CODE = "410000"
PROVINCE_NAME = "河南省"
DEPARTMENT_CODE = "410000-JYT"
#: the Zhengzhou county and category of the school that gets the school-level demo users
ANCHOR_COUNTY = "410102"
ANCHOR_CATEGORY = "21"
#: most schools one (placement, category) cell can hold: the 3-digit ``III`` part
MAX_PER_CELL = 999
MAX_SCALE = 100_000

#: rough share of each category among Henan's schools (fractions of the total)
CATEGORY_WEIGHTS: dict[str, float] = {
    "11": 0.40,
    "21": 0.36,
    "22": 0.004,
    "31": 0.11,
    "32": 0.002,
    "33": 0.002,
    "34": 0.03,
    "35": 0.002,
    "36": 0.02,
    "37": 0.001,
    "41": 0.006,
    "42": 0.002,
    "51": 0.006,
    "91": 0.001,
    "92": 0.002,
    "93": 0.02,
}
_DEFAULT_WEIGHT = 0.002
#: categories placed at prefecture or province level rather than in a county
_HIGHER = frozenset({"41", "42", "91", "92"})

_SUFFIX: dict[str, str] = {
    "11": "幼儿园",
    "21": "小学",
    "22": "成人文化技术学校",
    "31": "初级中学",
    "32": "职业初级中学",
    "33": "成人初级中学",
    "34": "高级中学",
    "35": "成人高级中学",
    "36": "中等职业学校",
    "37": "专门学校",
    "51": "特殊教育学校",
    "93": "职业技能培训学校",
}
#: categories whose first school in a county is the 实验 (model) school
_EXPERIMENTAL = frozenset({"11", "21", "31", "34"})
_COLLEGE_PLACES = ("中原", "黄河", "嵩山", "伏牛", "豫东", "豫西", "豫南", "豫北", "河洛", "商都")
_COLLEGE_SUBJECTS = (
    "理工",
    "师范",
    "财经",
    "医学",
    "农业",
    "工程",
    "科技",
    "艺术",
    "外国语",
    "体育",
    "交通",
    "水利",
    "信息工程",
    "护理",
    "建筑",
    "传媒",
)
_ADULT_COLLEGES = ("职工大学", "教育学院", "开放大学", "业余大学", "管理干部学院")
_INSTITUTES = ("农业", "医学", "化学", "地理", "生物", "材料", "计算技术", "水利", "能源", "社会")
_UNITS = (
    ("410000-U01", "河南省教育考试院"),
    ("410000-U02", "河南省教育信息化发展中心"),
    ("410000-U03", "河南省基础教育教学研究室"),
    ("410000-U04", "河南省学生资助管理中心"),
)


@dataclass(frozen=True)
class NodeSpec:
    """One org node of the demo province."""

    code: str
    name: str
    kind: str
    region: str
    parent: str | None
    category: str = ""
    address: str = ""


@dataclass(frozen=True)
class _Placement:
    """Where a group of schools sits: its parent node, name prefix and region codes."""

    ordinal: int
    parent: str
    prefix: str
    regions: tuple[str, ...]
    city: str
    county: str
    rural: bool
    weight: float


def bureau_code(region: str) -> str:
    """Internal code of the education bureau (教育局) of a prefecture or county."""
    return f"{region}-JYJ"


def _place_names(region: str, city: str) -> tuple[str, str]:
    """(city, county) names for an address in ``region`` (a county code or 济源's own code)."""
    if region[2:4] == "90":
        return city, ""
    return gb2260.name_of(region[:4] + "00") or city, gb2260.name_of(region) or ""


def _address(rng: random.Random, city: str, county: str) -> str:
    return f"{PROVINCE_NAME}{city}{county}{rng.choice(STREETS)}{rng.randrange(1, 400)}号"


@cache
def _prefectures() -> tuple[tuple[gb2260.Division, tuple[gb2260.Division, ...]], ...]:
    return tuple((p, tuple(gb2260.current_counties(p.code))) for p in gb2260.current_prefectures(PROVINCE_CODE[:2]))


def structure() -> list[NodeSpec]:
    """Province, education department and its units, prefecture-level units, counties and bureaus.

    Parents come before their children."""
    rng = random.Random("edubase-demo-structure")  # noqa: S311 - reproducible demo data
    nodes = [
        NodeSpec(PROVINCE_CODE, PROVINCE_NAME, OrgKind.PROVINCE, PROVINCE_CODE, None),
        NodeSpec(
            DEPARTMENT_CODE,
            "河南省教育厅",
            OrgKind.BUREAU,
            PROVINCE_CODE,
            PROVINCE_CODE,
            address=_address(rng, "郑州市", "金水区"),
        ),
    ]
    for code, name in _UNITS:
        address = _address(rng, "郑州市", "金水区")
        nodes.append(NodeSpec(code, name, OrgKind.UNIT, PROVINCE_CODE, DEPARTMENT_CODE, address=address))
    for prefecture, counties in _prefectures():
        city = prefecture.name or prefecture.code
        seat = counties[0].name if counties else ""
        nodes.append(NodeSpec(prefecture.code, city, OrgKind.PREFECTURE, prefecture.code, PROVINCE_CODE))
        nodes.append(
            NodeSpec(
                bureau_code(prefecture.code),
                f"{city}教育局",
                OrgKind.BUREAU,
                prefecture.code,
                prefecture.code,
                address=_address(rng, city, seat or ""),
            )
        )
        for county in counties:
            county_name = county.name or county.code
            nodes.append(NodeSpec(county.code, county_name, OrgKind.COUNTY, county.code, prefecture.code))
            nodes.append(
                NodeSpec(
                    bureau_code(county.code),
                    f"{_county_prefix(city, county_name)}教育局",
                    OrgKind.BUREAU,
                    county.code,
                    county.code,
                    address=_address(rng, city, county_name),
                )
            )
    return nodes


def _county_prefix(city: str, county: str) -> str:
    """Districts are named with their city (郑州市中原区), counties and county-level cities alone."""
    return f"{city}{county}" if county.endswith("区") else county


def _county_weight(city_code: str, county: gb2260.Division) -> float:
    jitter = random.Random(f"weight-{county.code}").uniform(0.8, 1.2)  # noqa: S311 - reproducible demo data
    weight = 1.6 if city_code == "410100" else 1.0
    if county.name and not county.name.endswith("区"):
        weight *= 1.25  # rural counties run many small schools
    return weight * jitter


def _placements() -> tuple[list[_Placement], list[_Placement], _Placement]:
    """(county-level placements, prefecture-level placements, the education department)."""
    local: list[_Placement] = []
    city_level: list[_Placement] = []
    ordinal = 0
    for index, (prefecture, counties) in enumerate(_prefectures(), start=1):
        city = prefecture.name or prefecture.code
        if not counties:  # 济源: schools sit directly under the unit
            continue
        for county in counties:
            ordinal += 1
            name = county.name or county.code
            local.append(
                _Placement(
                    ordinal,
                    county.code,
                    _county_prefix(city, name),
                    (county.code,),
                    city,
                    name,
                    not name.endswith("区"),
                    _county_weight(prefecture.code, county),
                )
            )
        weight = {"410100": 4.0, "410300": 2.0}.get(prefecture.code, 1.0)
        city_level.append(
            _Placement(
                800 + index, prefecture.code, city, (counties[0].code,), city, counties[0].name or "", False, weight
            )
        )
    for index, (prefecture, counties) in enumerate(_prefectures(), start=1):
        if counties:
            continue
        city = prefecture.name or prefecture.code
        ordinal += 1
        local.append(_Placement(ordinal, prefecture.code, city, (prefecture.code,), city, "", False, 2.0))
        city_level.append(_Placement(800 + index, prefecture.code, city, (prefecture.code,), city, "", False, 0.5))
    zhengzhou = [c.code for p, cs in _prefectures() if p.code == "410100" for c in cs[:6]]
    department = _Placement(
        900, DEPARTMENT_CODE, PROVINCE_NAME, (*zhengzhou, "410202", "410305", "410702"), "郑州市", "", False, 12.0
    )
    return local, city_level, department


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder; ties to the first)."""
    if total <= 0 or not weights:
        return [0] * len(weights)
    whole = sum(weights)
    quotas = [total * w / whole for w in weights]
    counts = [int(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def category_counts(scale: int, categories: Sequence[str]) -> dict[str, int]:
    """How many schools of each category: at least one each, the rest by ``CATEGORY_WEIGHTS``."""
    extra = apportion(max(scale - len(categories), 0), [CATEGORY_WEIGHTS.get(c, _DEFAULT_WEIGHT) for c in categories])
    return {c: 1 + n for c, n in zip(categories, extra, strict=True)}


def _college_name(category: str, i: int, where: _Placement, department: bool) -> str:
    kind = "学院" if i % 2 else "职业技术学院"
    if category == "41":
        places = _COLLEGE_PLACES if department else (where.prefix.removesuffix("市"),)
        combos = len(places) * len(_COLLEGE_SUBJECTS)
        k = (i - 1) // 2
        if k < combos:
            return f"{places[k % len(places)]}{_COLLEGE_SUBJECTS[k // len(places)]}{kind}"
        return f"{where.prefix}第{chinese_number(k - combos + 1)}{kind}"
    if category == "42":
        if i <= len(_ADULT_COLLEGES):
            return f"{where.prefix}{_ADULT_COLLEGES[i - 1]}"
        return f"{where.prefix}第{chinese_number(i - len(_ADULT_COLLEGES))}成人高等专科学校"
    if category == "91":
        if i <= len(_INSTITUTES):
            return f"{PROVINCE_NAME}{_INSTITUTES[i - 1]}科学研究院"
        return f"{PROVINCE_NAME}第{chinese_number(i - len(_INSTITUTES))}科学研究所"
    subject = _COLLEGE_SUBJECTS[(i - 1) % len(_COLLEGE_SUBJECTS)]
    round_ = (i - 1) // len(_COLLEGE_SUBJECTS)
    return f"{where.prefix}{subject}专修学院" + (f"（第{chinese_number(round_ + 1)}分院）" if round_ else "")


def _school_names(category: str, count: int, where: _Placement, label: str) -> list[str]:
    """Names for the first ``count`` schools of a category in a placement (prefix-stable, unique)."""
    if category in _HIGHER:
        return [_college_name(category, i, where, where.ordinal == 900) for i in range(1, count + 1)]
    suffix = _SUFFIX.get(category, label)
    names: list[str] = []
    ordinal = town = 0
    for i in range(1, count + 1):
        if i == 1 and category in _EXPERIMENTAL:
            names.append(f"{where.prefix}实验{suffix}")
        elif where.rural and category in {"11", "21"} and i % 4 == 0 and town < len(TOWNS):
            names.append(f"{where.prefix}{TOWNS[town]}镇中心{suffix}")
            town += 1
        else:
            ordinal += 1
            names.append(f"{where.prefix}第{chinese_number(ordinal)}{suffix}")
    return names


def schools(scale: int, categories: dict[str, str]) -> list[NodeSpec]:
    """Every school of the demo province at this scale, ordered by parent then code."""
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"规模应在 1 到 {MAX_SCALE} 所学校之间（当前为 {scale}）")
    local, city_level, department = _placements()
    counts = category_counts(scale, sorted(categories))
    cells: dict[tuple[int, str], int] = {}
    for category, count in counts.items():
        if category in _HIGHER:
            hosts = [department] if category == "91" else city_level
            if category == "41":
                hosts = [department, *city_level]
            for place, n in zip(hosts, apportion(count, [p.weight for p in hosts]), strict=True):
                cells[place.ordinal, category] = n
            continue
        anchor = category == ANCHOR_CATEGORY
        spread = apportion(count - 1 if anchor else count, [p.weight for p in local])
        for place, n in zip(local, spread, strict=True):
            cells[place.ordinal, category] = n + (1 if anchor and place.parent == ANCHOR_COUNTY else 0)
    by_ordinal = {p.ordinal: p for p in (*local, *city_level, department)}
    specs: list[NodeSpec] = []
    for (ordinal, category), n in sorted(cells.items()):
        if n > MAX_PER_CELL:
            raise ValueError(f"规模过大：同一地区同一类别的学校超过 {MAX_PER_CELL} 所，请减小规模")
        where = by_ordinal[ordinal]
        for i, name in enumerate(_school_names(category, n, where, categories[category]), start=1):
            code = f"{category}{PROVINCE_CODE[:2]}{ordinal:03d}{i:03d}"
            region = where.regions[(i - 1) % len(where.regions)]
            rng = random.Random(f"address-{code}")  # noqa: S311 - reproducible demo data
            specs.append(
                NodeSpec(
                    code,
                    name,
                    OrgKind.SCHOOL,
                    region,
                    where.parent,
                    category=category,
                    address=_address(rng, *_place_names(region, where.city)),
                )
            )
    specs.sort(key=lambda s: (s.parent or "", s.code))
    return specs


def anchor_school_code() -> str:
    """Code of the Zhengzhou primary school that holds the school-level demo users."""
    local, _, _ = _placements()
    ordinal = next(p.ordinal for p in local if p.parent == ANCHOR_COUNTY)
    return f"{ANCHOR_CATEGORY}{PROVINCE_CODE[:2]}{ordinal:03d}001"
