"""Scanner report parsers: Greenbone/OpenVAS (GMP XML) and a generic CSV/XLSX table.

Pure functions over bytes, no database: a parser returns a ``ParsedReport`` or raises
``ImportRejected`` listing every problem (line, row, element) in Chinese. XML is parsed with
entity resolution, network access and huge trees off, and any DOCTYPE is refused outright,
so XXE and entity-expansion ("billion laughs") documents never get past parsing.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from edubase.core.tabular import ImportRejected, Problem, read_table


class Severity:
    """Severity values, the same strings as ``models.Severity`` (kept here so parsers need no Django)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


#: problems listed in a rejection at most (a broken 50,000-row file would otherwise answer megabytes)
MAX_PROBLEMS = 200

#: the earliest date a scan can plausibly carry (CVE numbering began in 1999)
EARLIEST = dt.datetime(1999, 1, 1, tzinfo=dt.UTC)
#: clock skew tolerated between a scanner and this server
FUTURE_SLACK = dt.timedelta(days=1)

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_CVE = re.compile(r"^CVE-(1999|2\d{3})-\d{4,7}$")
_CVE_SPLIT = re.compile(r"[\s,;，；、/|]+")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*$"
)
_PORT = re.compile(r"^(?:(\d{1,5})(?:/([a-z]+))?|general/[a-z0-9_-]+|([a-z]+)/(\d{1,5}))$")

_THREAT_SEVERITY = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "log": Severity.INFO,
    "info": Severity.INFO,
    "none": Severity.INFO,
    "严重": Severity.CRITICAL,
    "超危": Severity.CRITICAL,
    "高危": Severity.HIGH,
    "高": Severity.HIGH,
    "中危": Severity.MEDIUM,
    "中": Severity.MEDIUM,
    "低危": Severity.LOW,
    "低": Severity.LOW,
    "信息": Severity.INFO,
}


@dataclass(frozen=True)
class ScanResult:
    """One result of a report: a vulnerability (or information) on one host and port."""

    place: str  # where it came from, in Chinese ("第 12 行", "第 3 个 <result>（第 57 行）")
    host: str  # normalised: an IP address, or a lower-case host name
    hostname: str
    port: str
    name: str
    signature: str  # NVT OID or plugin id; "" when the scanner gives none
    cves: tuple[str, ...]
    cvss: Decimal | None
    severity: str
    description: str = ""
    solution: str = ""
    seen_at: dt.datetime | None = None

    @property
    def is_ip(self) -> bool:
        return _is_ip(self.host)


@dataclass
class ParsedReport:
    """What a scanner report holds, validated."""

    format: str  # openvas | csv | xlsx
    results: list[ScanResult]
    scanned_at: dt.datetime | None = None
    encoding: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class _Problems:
    """Collects problems up to ``MAX_PROBLEMS`` and raises them together."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.dropped = 0

    def add(self, row: int, column: str, reason: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(row, column, reason))
        else:
            self.dropped += 1

    def raise_if_any(self) -> None:
        if self.dropped:
            self.items.append(Problem(0, "", f"另有 {self.dropped} 处问题未逐一列出"))
        if self.items:
            raise ImportRejected(self.items)


# --- shared value checks -----------------------------------------------------------------------


def severity_for(score: Decimal | None, *, fallback: str = "") -> str:
    """The severity band of a CVSS v3 base score; without a score, from a threat word (High, 高危…)."""
    if score is None:
        return _THREAT_SEVERITY.get(fallback.strip().lower(), Severity.INFO)
    if score >= Decimal("9.0"):
        return Severity.CRITICAL
    if score >= Decimal("7.0"):
        return Severity.HIGH
    if score >= Decimal("4.0"):
        return Severity.MEDIUM
    if score > 0:
        return Severity.LOW
    return Severity.INFO


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def normalise_host(value: str) -> str | None:
    """An IP address in canonical form or a lower-case host name (a URL is cut to its host); None if neither."""
    text = value.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0]
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # host:port
        text = text.split(":", 1)[0]
    text = text.rstrip(".").lower()
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        pass
    if not text.isascii():  # 中文域名 → punycode, as the registry stores it
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return text if _HOSTNAME.match(text) and not text.replace(".", "").isdigit() else None


def _score(text: str) -> Decimal:
    """A CVSS score 0.0–10.0 with one decimal; ValueError with a Chinese reason otherwise."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ValueError(f"CVSS 评分「{text.strip()}」不是数字") from exc
    if not value.is_finite() or value < 0 or value > 10:
        raise ValueError(f"CVSS 评分 {text.strip()} 超出 0–10 的范围")
    return value.quantize(Decimal("0.1"))


def _cves(text: str) -> tuple[list[str], list[str]]:
    """(valid CVE ids, invalid tokens) of a cell or a list of refs; NOCVE and blanks are ignored."""
    good: list[str] = []
    bad: list[str] = []
    for token in _CVE_SPLIT.split(text.strip()):
        if not token or token.upper() == "NOCVE":
            continue
        upper = token.upper()
        if _CVE.match(upper):
            if upper not in good:
                good.append(upper)
        else:
            bad.append(token)
    return good, bad


def _port(text: str) -> str:
    """``443/tcp``, ``general/tcp``, ``443`` (→ ``443/tcp``); ValueError with a Chinese reason otherwise."""
    value = text.strip().lower()
    if not value:
        return ""
    match = _PORT.match(value)
    if match is None:
        raise ValueError(f"端口「{text.strip()}」格式无效（应为 443、443/tcp 或 general/tcp）")
    number = match.group(1) or match.group(4)
    if number is not None and int(number) > 65535:
        raise ValueError(f"端口号 {number} 超出 0–65535 的范围")
    if match.group(1) is not None and match.group(2) is None:
        return f"{int(number)}/tcp"
    if match.group(3) is not None:  # tcp/443 → 443/tcp
        return f"{int(number)}/{match.group(3)}"
    return value


def _when(text: str, *, now: dt.datetime) -> dt.datetime:
    """An ISO 8601 date/time (UTC when no zone is given) within 1999 … now; ValueError otherwise."""
    value = text.strip()
    if not value:
        raise ValueError("日期为空")
    try:
        if len(value) == 10:
            parsed = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=dt.UTC)
        else:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("/", "-"))
    except ValueError as exc:
        raise ValueError(f"日期「{value}」无效或格式不正确（应为 2024-05-10 或 2024-05-10T08:00:00Z）") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    if parsed < EARLIEST or parsed > now + FUTURE_SLACK:
        raise ValueError(f"日期「{value}」不合理（早于 1999 年或晚于当前时间）")
    return parsed


# --- Greenbone / OpenVAS ---------------------------------------------------------------------


def _xml_parser() -> Any:
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def _text(element: Any, path: str) -> str:
    found = element.find(path)
    if found is None:
        return ""
    return "".join(found.itertext()).strip()


def _own_text(element: Any) -> str:
    """The text of an element before its first child (``<host>10.0.0.1<asset …/></host>``)."""
    return (element.text or "").strip() if element is not None else ""


def _tags(raw: str) -> dict[str, str]:
    """The ``key=value|key=value`` tag string of an NVT."""
    tags: dict[str, str] = {}
    for part in raw.split("|"):
        key, sep, value = part.partition("=")
        if sep:
            tags[key.strip()] = value.strip()
    return tags


def _find_report(root: Any) -> Any:
    """The inner ``<report>`` holding ``<results>``: GMP nests report in report in get_reports_response."""
    candidates = [root] if root.tag == "report" else []
    candidates += list(root.iter("report"))
    for candidate in candidates:
        if candidate.find("results") is not None:
            return candidate
    return None


def _nvt_score(result: Any, nvt: Any, place: str, problems: _Problems, line: int) -> Decimal | None:
    """Prefer the CVSS v3 base score of ``<severities>``, then ``<cvss_base>``, then the result's ``<severity>``."""
    texts: list[tuple[str, str]] = []
    if nvt is not None:
        for severity in nvt.findall("severities/severity"):
            if (severity.get("type") or "").startswith("cvss_base_v3"):
                texts.append(("<severities>/<score>", _text(severity, "score")))
        severities = nvt.find("severities")
        if severities is not None and severities.get("score"):
            texts.append(("<severities score>", severities.get("score") or ""))
        texts.append(("<cvss_base>", _text(nvt, "cvss_base")))
    texts.append(("<severity>", _text(result, "severity")))
    for element, text in texts:
        if not text:
            continue
        try:
            return _score(text)
        except ValueError as exc:
            problems.add(line, element, f"{place}：{exc}")
            return None
    return None


def parse_openvas(data: bytes, *, now: dt.datetime | None = None) -> ParsedReport:
    """A Greenbone/OpenVAS XML report (GMP ``<report>`` or ``<get_reports_response>``, GVM 9–22.x)."""
    from lxml import etree

    now = now or dt.datetime.now(dt.UTC)
    if not data.strip():
        raise ImportRejected([Problem(0, "", "文件为空")])
    if _DOCTYPE.search(data[:65536]):
        raise ImportRejected([Problem(0, "", "XML 文件含有 DOCTYPE/实体声明，出于安全原因拒绝导入")])
    try:
        tree = etree.fromstring(data, parser=_xml_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", 0) or 0
        raise ImportRejected([Problem(line, "", f"XML 格式错误：{exc.msg}")]) from exc
    if tree.docinfo.doctype:
        raise ImportRejected([Problem(0, "", "XML 文件含有 DOCTYPE/实体声明，出于安全原因拒绝导入")])
    root = tree.getroot()
    if root.tag == "get_reports_response" and (root.get("status") or "200")[:1] != "2":
        raise ImportRejected([Problem(root.sourceline or 0, "<get_reports_response>", "GMP 响应状态不是成功")])
    report = _find_report(root)
    if report is None:
        raise ImportRejected(
            [Problem(0, "<report>", "不是 Greenbone/OpenVAS 报告：找不到含 <results> 的 <report> 元素")]
        )
    problems = _Problems()
    scanned_at: dt.datetime | None = None
    for tag in ("scan_start", "timestamp", "creation_time"):
        element = report.find(tag)
        if element is not None and _own_text(element):
            try:
                scanned_at = _when(_own_text(element), now=now)
            except ValueError as exc:
                problems.add(element.sourceline or 0, f"<{tag}>", str(exc))
            break
    results: list[ScanResult] = []
    for index, result in enumerate(report.find("results").findall("result"), start=1):
        line = result.sourceline or 0
        place = f"第 {index} 个 <result>"
        host_element = result.find("host")
        raw_host = _own_text(host_element)
        hostname = _text(host_element, "hostname") if host_element is not None else ""
        if not raw_host and not hostname:
            problems.add(line, "<host>", f"{place}缺少主机地址")
            continue
        host = normalise_host(raw_host or hostname)
        if host is None:
            problems.add(line, "<host>", f"{place}的主机地址「{raw_host}」不是有效的 IP 或域名")
            continue
        try:
            port = _port(_text(result, "port"))
        except ValueError as exc:
            problems.add(line, "<port>", f"{place}：{exc}")
            continue
        nvt = result.find("nvt")
        name = _text(nvt, "name") if nvt is not None else ""
        name = name or _text(result, "name")
        if not name:
            problems.add(line, "<name>", f"{place}缺少漏洞名称")
            continue
        signature = (nvt.get("oid") or "").strip() if nvt is not None else ""
        score = _nvt_score(result, nvt, place, problems, line)
        tags = _tags(_text(nvt, "tags")) if nvt is not None else {}
        refs = nvt.findall("refs/ref") if nvt is not None else []
        cve_texts = [ref.get("id") or "" for ref in refs if (ref.get("type") or "").lower() == "cve"]
        if nvt is not None and _text(nvt, "cve"):  # GVM ≤ 9: <cve>CVE-…, CVE-…</cve>
            cve_texts.append(_text(nvt, "cve"))
        cves, bad = _cves(" ".join(cve_texts))
        if bad:
            problems.add(line, "<refs>", f"{place}的 CVE 编号无效：{'、'.join(bad[:5])}")
            continue
        seen_at = None
        created = result.find("creation_time")
        if created is not None and _own_text(created):
            try:
                seen_at = _when(_own_text(created), now=now)
            except ValueError as exc:
                problems.add(created.sourceline or line, "<creation_time>", f"{place}：{exc}")
                continue
        solution = (_text(nvt, "solution") if nvt is not None else "") or tags.get("solution", "")
        summary = tags.get("summary", "")
        detail = _text(result, "description")
        description = "\n\n".join(p for p in (summary, tags.get("insight", ""), detail) if p)
        threat = _text(result, "threat") or _text(result, "original_threat")
        results.append(
            ScanResult(
                place=f"{place}（第 {line} 行）",
                host=host,
                hostname=(normalise_host(hostname) or "") if hostname else "",
                port=port,
                name=name[:500],
                signature=signature[:200],
                cves=tuple(cves),
                cvss=score,
                severity=severity_for(score, fallback=threat),
                description=description,
                solution=solution,
                seen_at=seen_at,
            )
        )
    problems.raise_if_any()
    return ParsedReport(format="openvas", results=results, scanned_at=scanned_at)


# --- generic table (CSV/XLSX) ------------------------------------------------------------------

#: field -> accepted column names (English names in any letter case, Chinese aliases as written)
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "host": ("host", "ip", "ip address", "address", "主机", "主机地址", "IP", "IP地址", "IP 地址", "资产地址"),
    "hostname": ("hostname", "domain", "域名", "主机名"),
    "port": ("port", "端口", "端口/协议"),
    "name": ("name", "vulnerability", "title", "漏洞名称", "名称", "漏洞"),
    "signature": ("signature", "oid", "nvt oid", "plugin id", "plugin", "插件ID", "插件 ID", "检测项", "漏洞ID"),
    "cve": ("cve", "cves", "CVE编号", "CVE 编号", "CVE"),
    "cvss": ("cvss", "cvss score", "cvss v3", "CVSS评分", "CVSS 评分", "CVSS分值", "CVSS"),
    "severity": ("severity", "threat", "risk", "危险等级", "风险等级", "威胁等级", "漏洞等级"),
    "description": ("description", "summary", "描述", "漏洞描述", "详情"),
    "solution": ("solution", "fix", "remediation", "解决方案", "修复建议", "整改建议"),
    "seen_at": ("date", "seen", "scan time", "发现时间", "扫描时间"),
}
REQUIRED_FIELDS = ("host", "name")


def _column_names() -> dict[str, str]:
    """Every accepted header (English in lower, upper and title case) -> field."""
    names: dict[str, str] = {}
    for key, aliases in COLUMNS.items():
        for alias in aliases:
            variants = {alias} if not alias.isascii() else {alias, alias.lower(), alias.upper(), alias.title()}
            for variant in variants:
                names[variant] = key
    return names


def _mapping(header: Iterable[str], problems: _Problems) -> dict[str, str]:
    """field -> the column holding it; two columns for one field are a problem."""
    names = _column_names()
    mapping: dict[str, str] = {}
    for column in header:
        key = names.get(column) or names.get(column.strip().lower())
        if key is None:
            continue
        if key in mapping:
            problems.add(1, column, f"与「{mapping[key]}」列含义相同，只能保留一列")
        else:
            mapping[key] = column
    for key in REQUIRED_FIELDS:
        if key not in mapping:
            problems.add(
                1, COLUMNS[key][-1] if key == "name" else "主机", f"缺少必需的列（可用列名：{'、'.join(COLUMNS[key])}）"
            )
    if "cvss" not in mapping and "severity" not in mapping:
        problems.add(1, "CVSS评分", "缺少「CVSS评分」或「危险等级」列（至少需要一列）")
    return mapping


def parse_table(data: bytes, *, filename: str, now: dt.datetime | None = None) -> ParsedReport:
    """A generic CSV/XLSX of findings: host, port, name, CVE, CVSS, description, solution (Chinese headers too)."""
    now = now or dt.datetime.now(dt.UTC)
    accepted = sorted(_column_names())
    table = read_table(data, filename=filename, required=(), optional=accepted)
    problems = _Problems()
    header = list(table.rows[0][1]) if table.rows else []
    mapping = _mapping(header, problems)
    problems.raise_if_any()
    results: list[ScanResult] = []
    latest: dt.datetime | None = None

    def cell(row: dict[str, str], key: str) -> str:
        column = mapping.get(key)
        return row.get(column, "").strip() if column else ""

    for number, row in table.rows:
        host_text = cell(row, "host") or cell(row, "hostname")
        if not host_text:
            problems.add(number, mapping["host"], "主机地址为空")
            continue
        host = normalise_host(host_text)
        if host is None:
            problems.add(number, mapping["host"], f"「{host_text}」不是有效的 IP 地址或域名")
            continue
        hostname = ""
        if cell(row, "hostname"):
            hostname = normalise_host(cell(row, "hostname")) or ""
            if not hostname:
                problems.add(number, mapping["hostname"], f"「{cell(row, 'hostname')}」不是有效的域名")
                continue
        name = cell(row, "name")
        if not name:
            problems.add(number, mapping["name"], "漏洞名称为空")
            continue
        if len(name) > 500:
            problems.add(number, mapping["name"], "漏洞名称超过 500 个字符")
            continue
        try:
            port = _port(cell(row, "port"))
        except ValueError as exc:
            problems.add(number, mapping["port"], str(exc))
            continue
        score: Decimal | None = None
        if cell(row, "cvss"):
            try:
                score = _score(cell(row, "cvss"))
            except ValueError as exc:
                problems.add(number, mapping["cvss"], str(exc))
                continue
        threat = cell(row, "severity")
        if score is None:
            if not threat:
                problems.add(number, mapping.get("cvss") or mapping["severity"], "CVSS 评分与危险等级均为空")
                continue
            if threat.lower() not in _THREAT_SEVERITY:
                problems.add(
                    number, mapping["severity"], f"无法识别的危险等级「{threat}」（应为 严重/高危/中危/低危/信息）"
                )
                continue
        cves, bad = _cves(cell(row, "cve"))
        if bad:
            problems.add(number, mapping["cve"], f"CVE 编号无效：{'、'.join(bad[:5])}（应形如 CVE-2024-12345）")
            continue
        seen_at = None
        if cell(row, "seen_at"):
            try:
                seen_at = _when(cell(row, "seen_at"), now=now)
            except ValueError as exc:
                problems.add(number, mapping["seen_at"], str(exc))
                continue
            latest = seen_at if latest is None or seen_at > latest else latest
        signature = cell(row, "signature")
        if len(signature) > 200:
            problems.add(number, mapping["signature"], "检测项标识超过 200 个字符")
            continue
        results.append(
            ScanResult(
                place=f"第 {number} 行",
                host=host,
                hostname=hostname,
                port=port,
                name=name,
                signature=signature,
                cves=tuple(cves),
                cvss=score,
                severity=severity_for(score, fallback=threat),
                description=cell(row, "description"),
                solution=cell(row, "solution"),
                seen_at=seen_at,
            )
        )
    problems.raise_if_any()
    fmt = "xlsx" if filename.lower().endswith(".xlsx") else "csv"
    return ParsedReport(format=fmt, results=results, scanned_at=latest, encoding=table.encoding)


def parse_report(data: bytes, *, filename: str, now: dt.datetime | None = None) -> ParsedReport:
    """Dispatch on the file: ``.xml`` (or content starting with ``<``) → OpenVAS; ``.csv``/``.xlsx`` → table."""
    lower = filename.lower()
    if lower.endswith(".xml") or (not lower.endswith((".csv", ".xlsx")) and data.lstrip()[:1] == b"<"):
        return parse_openvas(data, now=now)
    if lower.endswith((".csv", ".xlsx")):
        return parse_table(data, filename=filename, now=now)
    raise ImportRejected([Problem(0, "", "仅支持 Greenbone/OpenVAS XML 报告（.xml）或 .csv/.xlsx 表格")])


# --- test and benchmark data -------------------------------------------------------------------


def synthetic_csv(rows: int, *, hosts: int = 2_000, seed: int = 7, prefix: str = "10.20") -> bytes:
    """A generic findings CSV of ``rows`` rows over ``hosts`` hosts (benchmarks and tests)."""
    import random

    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    lines = ["主机,端口,漏洞名称,检测项,CVE编号,CVSS评分,描述,解决方案"]
    per_host = max(1, -(-rows // hosts))
    for index in range(rows):
        host_index, slot = divmod(index, per_host)
        host = f"{prefix}.{host_index // 250 % 256}.{host_index % 250 + 1}"
        port = rng.choice(("22/tcp", "80/tcp", "443/tcp", "3306/tcp", "8080/tcp", "general/tcp"))
        score = Decimal(rng.randint(0, 100)) / 10
        oid = f"1.3.6.1.4.1.25623.1.0.{100000 + slot}"
        cve = f"CVE-20{rng.randint(10, 24)}-{rng.randint(1000, 99999)}"
        lines.append(f"{host},{port},示例漏洞 {slot},{oid},{cve},{score},组件版本过旧，存在已知漏洞,升级到最新版本")
    return ("\n".join(lines) + "\n").encode()
