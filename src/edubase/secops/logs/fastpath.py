"""The columnar fast path of the parser: the common line shapes of a batch parsed at once, vectorised.

``parsers.parse`` handles every format one line at a time in Python (about 16 µs a line). At the
ingest target (30,000 events/s on two cores) that alone would take most of a core, so the ingest
worker first offers each batch to :func:`parse_batch`: the lines that have one of the shapes below
are parsed with ``pyarrow.compute`` (RE2 regular expressions and vector kernels over the whole
batch, which release the GIL). Every other line — and every line of a known shape with anything
unusual in it — goes to ``parsers.parse`` unchanged. See ADR 0011.

The contract is *identity*: for every line it claims, the fast path produces exactly the row that
``parsers.parse`` would (``tests/secops/logs/test_fastpath.py`` checks this differentially over the
benchmark mix, the parser's sample files, edge cases and random mutations). It therefore claims
only lines it can reproduce without judgement:

- printable ASCII only (no control characters, no backslash): Python's Unicode-aware ``\\w``,
  ``\\d``, ``\\s`` and ``str.strip`` then mean exactly what RE2's ASCII classes mean;
- RFC 3164 syslog with ``<PRI>`` (≤ 191), a valid ``Mmm dd hh:mm:ss`` time, a host name and a tag,
  without the optional year, whose body is an nginx/Apache access line with an IPv4 client and a
  plain ``METHOD target [HTTP/x]`` request, or a plain message no other parser would claim
  (dataset ``syslog``); sshd, PAM and firewall bodies (and any other body that cannot reach the
  access-log branch) are parsed by ``parsers._body`` itself, the header vectorised;
- a bare access line (the same access shape without a syslog header);
- either of these as the ``message`` of a shipper envelope (Filebeat, Vector …) sent as JSON:
  the JSON is decoded here (the envelope's host name fills ``host.name`` as ``parsers`` does).

Enrichment is columnar too (``Enricher.apply_table``); ``pipeline`` merges the declined lines back
in the batch's order.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from edubase.secops.logs import parsers
from edubase.secops.logs.ingest.spool import KIND_JSON, Block, Record
from edubase.secops.logs.store.base import ARROW_SCHEMA

__all__ = ["FastBatch", "parse_batch", "parse_block"]

UTC = dt.UTC
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=UTC)
_US: Final = dt.timedelta(microseconds=1)

_IP4: Final = r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"
#: ``<PRI>Mmm dd hh:mm:ss[.frac] host tag[pid]: msg`` (no year: a line with one goes the slow way)
_HEADER: Final = (
    r"^<(?P<pri>[0-9]{1,3})>(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>[0-9]{1,2})"
    r" (?P<hh>[01][0-9]|2[0-3]):(?P<mi>[0-5][0-9]):(?P<ss>[0-5][0-9])(?:\.[0-9]+)?"
    r" (?P<host>[^ \[]*[^ \[:]) (?P<app>[0-9A-Za-z_./@-]{1,64}?)(?:\[(?P<pid>[0-9]{1,9})\])?: ?(?P<msg>.*)$"
)
#: a character outside printable ASCII, or a backslash (escapes are the slow path's business)
_UNSAFE: Final = r"[^\x20-\x5b\x5d-\x7e]"
_ACCESS: Final = (
    r"^(?P<client>" + _IP4 + r')(?: \S+) (?P<user>\S+) \[(?P<stamp>[^\]]{20,40})\] "(?P<request>[^"]*)"'
    r' (?P<status>[0-9]{3}|-) (?P<size>[0-9]{1,18}|-)(?P<combined> "(?P<referrer>[^"]*)" "(?P<ua>[^"]*)")?'
)
_CLF: Final = (
    r"^(?P<d>[0-9]{2})/(?P<mon>[A-Z][a-z]{2})/(?P<y>[0-9]{4}):(?P<hh>[01][0-9]|2[0-3]):(?P<mi>[0-5][0-9]):(?P<ss>[0-5][0-9])"
    r" (?P<sign>[+-])(?P<oh>[01][0-9]|2[0-3])(?P<om>[0-5][0-9])$"
)
_REQUEST: Final = r"^(?P<method>[A-Z]+) (?P<target>[^ ]+)(?: HTTP/[^ ]*)?$"
#: every message ``parsers._sshd`` understands, as its first-character dispatch reaches them
_ANY_SSHD: Final = (
    r"^(?:(?:Failed|Accepted) \S+ for (?:invalid user )?.*? from \S+ port [0-9]+"
    r"|Invalid user .*? from \S+"
    r"|(?:Connection closed by|Disconnected from|Connection reset by)"
    r" (?:(?:authenticating|invalid) user .*? |user .*? )?\S+ port [0-9]+"
    r"|Disconnecting (?:(?:authenticating|invalid) user .*? )?\S+ port [0-9]+: "
    r"|Did not receive identification string from \S+"
    r"|Received disconnect from \S+ port [0-9]+"
    r"|(?:error: )?maximum authentication attempts exceeded for (?:invalid user )?.*? from \S+ port [0-9]+"
    r"|error: (?:kex_exchange_identification|Bad protocol version).*? from \S+"
    r"|Bad protocol version.*? from \S+"
    r"|Unable to negotiate with \S+ port [0-9]+)"
)
_ANY_PAM: Final = r"^(?:pam_\w+\([^:)]+:\w+\): |PAM [0-9]+ more authentication failures?; )"
_MONTHS: Final = {
    m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)
}


def _envelope_host(doc: dict[str, Any]) -> str | None:
    """``parsers._merge_envelope``'s host name of an envelope-only document (first non-empty string of
    ``host.name``, ``host.hostname``, ``host``, ``hostname``, ``_HOSTNAME`` once flattened)."""
    host = doc.get("host")
    candidates = (host.get("name"), host.get("hostname"), None) if isinstance(host, dict) else (None, None, host)
    for value in (*candidates, doc.get("hostname"), doc.get("_HOSTNAME")):
        if isinstance(value, str) and value:
            return value
    return None


def _envelope(text: str, hint: str) -> tuple[str, str, str | None] | None:
    """(line, hint, envelope host) of a shipper envelope around a line, as ``parsers._document``
    would take it; None for any other JSON (it goes the slow way)."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    line = doc.get("message")
    if not isinstance(line, str) or not line or not parsers._envelope_only(doc):
        return None
    return line, parsers._envelope_hint(doc) or hint, _envelope_host(doc)


class FastBatch:
    """A batch split into the rows the fast path parsed (an Arrow table with the store schema plus
    ``_pos``, the row's place in the batch; not yet enriched) and the ``(position, event id,
    record)`` items left for ``parsers.parse``."""

    __slots__ = ("slow", "table")

    def __init__(self, table: pa.Table | None, slow: list[tuple[int, str, Record]]) -> None:
        self.table, self.slow = table, slow


def _np(array: Any) -> np.ndarray:
    """A boolean Arrow array as numpy (null → False)."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _ints(array: Any, default: int = 0) -> np.ndarray:
    """Decimal strings as int64 (null or empty → ``default``)."""
    array = pc.if_else(pc.equal(array, ""), pa.nulls(len(array), pa.string()), array)
    return np.asarray(pc.fill_null(pc.cast(array, pa.int64()), default).to_numpy(zero_copy_only=False))


def _months(array: Any) -> np.ndarray:
    """Month abbreviations → 1–12 (0 for anything else)."""
    codes = (
        pc.dictionary_encode(array).combine_chunks()
        if isinstance(array, pa.ChunkedArray)
        else pc.dictionary_encode(array)
    )
    table = np.array([_MONTHS.get(v, 0) if v is not None else 0 for v in codes.dictionary.to_pylist()] or [0])
    return table[np.asarray(pc.fill_null(codes.indices, 0).to_numpy(zero_copy_only=False))]


_DAYS_IN_MONTH: Final = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _civil_us(
    y: np.ndarray, m: np.ndarray, d: np.ndarray, hh: np.ndarray, mi: np.ndarray, ss: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds since the epoch of naive date-times given by parts, and whether each exists
    (``datetime`` would accept it: month 1–12, a day the month has, year 1900–9998)."""
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    dim = _DAYS_IN_MONTH[np.clip(m, 0, 12)] + ((m == 2) & leap)
    valid = (m >= 1) & (m <= 12) & (d >= 1) & (d <= dim) & (y >= 1900) & (y <= 9998)
    yy = y - (m <= 2)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return (((days * 24 + hh) * 60 + mi) * 60 + ss) * 1_000_000, valid


_HOUR_US: Final = 3_600_000_000
_DAY_US: Final = 24 * _HOUR_US
_WEB_APP: Final = parsers._WEB_APPS
_HINT_WEB: Final = parsers._HINT_DATASETS
#: fields ``parsers._body`` may set for a message of the families the fast path hands it
_BODY_FIELDS: Final = (
    "event.dataset", "event.category", "event.action", "event.outcome", "message", "source.ip", "source.port",
    "destination.ip", "destination.port", "network.transport", "user.name", "process.name",
)  # fmt: skip


def parse_batch(items: Sequence[tuple[str, Record]], sources: dict[int, tuple[str, str]]) -> FastBatch:
    """Parse what the fast path can of ``(event id, record)`` items; see the module docstring."""
    return parse_block(Block.from_items(items), sources)


def parse_block(block: Block, sources: dict[int, tuple[str, str]]) -> FastBatch:
    """:func:`parse_batch` of records read from the spool as columns (``SpoolReader.read_block``):
    syslog lines never become Python objects; JSON documents are decoded one at a time."""
    n = len(block)
    if not n:
        return FastBatch(None, [])
    hint_of = {sid: entry[0] for sid, entry in sources.items()}
    sids, sid_at = np.unique(block.source_id, return_inverse=True)
    hints = np.array([hint_of.get(int(sid), "auto") for sid in sids.tolist()], dtype=object)[sid_at]
    # the receipt time in microseconds, as ``datetime.fromtimestamp`` rounds it, once per distinct value
    times, time_at = np.unique(block.received_at, return_inverse=True)
    rcv = np.array([(dt.datetime.fromtimestamp(t, UTC) - _EPOCH) // _US for t in times.tolist()], dtype=np.int64)[
        time_at
    ]
    is_json = block.kind == KIND_JSON
    # syslog records: printable-or-not ASCII (so valid UTF-8), right-trimmed as ``str.rstrip`` would
    text_rows = np.nonzero(~is_json & _np(pc.string_is_ascii(block.data.view(pa.string()))))[0]
    text = pc.ascii_rtrim(block.data.take(pa.array(text_rows)).view(pa.string()), characters="\r\n\x00")
    kept = _np(pc.greater(pc.binary_length(text), 0))
    text_rows, text = text_rows[kept], text.filter(pa.array(kept))
    # JSON records: a shipper envelope around a line, decoded here
    json_rows: list[int] = []
    json_lines: list[str] = []
    json_originals: list[str] = []
    env_hosts = np.full(n, None, dtype=object)
    candidates = np.nonzero(is_json)[0]
    for pos, raw in zip(candidates.tolist(), block.data.take(pa.array(candidates)).to_pylist(), strict=True):
        try:
            original = raw.decode().rstrip("\r\n\x00")
        except UnicodeDecodeError:
            continue
        found = _envelope(original, hints[pos]) if original[:1] == "{" else None
        if found is None:
            continue
        line, hint, env_host = found
        if not line or not line.isascii():
            continue
        json_rows.append(pos)
        json_lines.append(line)
        json_originals.append(original)
        hints[pos], env_hosts[pos] = hint, env_host
    rows = np.concatenate([text_rows, np.asarray(json_rows, dtype=np.int64)])
    order = pa.array(np.argsort(rows, kind="stable"))
    idx = rows[order.to_numpy()]
    lines = pa.concat_arrays([text, pa.array(json_lines, pa.string())]).take(order)
    originals = pa.concat_arrays([text, pa.array(json_originals, pa.string())]).take(order)
    claimed = np.zeros(0, dtype=np.int64)
    table = None
    if len(idx):
        table = _parse_lines(lines, hints[idx], env_hosts[idx], rcv[idx])
        claimed = table.column("_row").to_numpy()
    left = np.ones(n, dtype=bool)
    left[idx[claimed]] = False
    slow = [(pos, *block.item(pos)) for pos in np.nonzero(left)[0].tolist()]
    if table is None or not len(claimed):
        return FastBatch(None, slow)
    take = pa.array(claimed)
    sel = pa.array(idx[claimed])
    m = len(claimed)
    columns: dict[str, Any] = {name: table.column(name) for name in table.column_names}
    columns["event.id"] = block.event_id.take(sel)
    columns["event.ingested"] = pa.array(rcv[idx[claimed]], pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    columns["event.kind"] = pa.array(["event"] * m, pa.string())
    columns["log.original"] = originals.take(take)
    columns["host.ip"] = block.peer.take(sel)
    columns["edubase.source_id"] = pa.array(block.source_id[idx[claimed]], pa.int64())
    columns["edubase.parsed"] = pa.array([True] * m, pa.bool_())
    arrays = []
    for field in ARROW_SCHEMA:
        column = columns.get(field.name)
        arrays.append(pa.nulls(m, field.type) if column is None else column.cast(field.type))
    out = pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)
    return FastBatch(out.append_column("_pos", sel.cast(pa.int32())), slow)


def _parse_lines(lines: Any, hints: Any, env_hosts: Any, rcv: np.ndarray) -> pa.Table:
    """The parsed columns of the lines the fast path claims, with ``_row`` (index into ``lines``)."""
    line = lines if isinstance(lines, pa.Array) else pa.array(lines, pa.string())
    h = pc.extract_regex(line, _HEADER)
    host = pc.struct_field(h, "host")
    year_like = pc.and_(pc.equal(pc.utf8_length(host), 4), pc.match_substring_regex(host, r"^[0-9]{4}$"))
    is_s = _np(h.is_valid()) & ~_np(year_like)
    safe = ~_np(pc.match_substring_regex(line, _UNSAFE))
    msg = pc.if_else(pa.array(is_s), pc.struct_field(h, "msg"), line)
    app = pc.struct_field(h, "app")
    app_l = pc.ascii_lower(app)
    pri = _ints(pc.struct_field(h, "pri"), 999)
    # RFC 3164 time: the receipt year (China time), last year when that is more than a day ahead
    hh, mi, ss = _ints(pc.struct_field(h, "hh")), _ints(pc.struct_field(h, "mi")), _ints(pc.struct_field(h, "ss"))
    mon, day = _months(pc.struct_field(h, "mon")), _ints(pc.struct_field(h, "day"))
    year = (rcv + 8 * _HOUR_US).astype("datetime64[us]").astype("datetime64[Y]").astype(np.int64) + 1970
    this_us, this_ok = _civil_us(year, mon, day, hh, mi, ss)
    last_us, last_ok = _civil_us(year - 1, mon, day, hh, mi, ss)
    this_us -= 8 * _HOUR_US
    last_us -= 8 * _HOUR_US
    use_last = ~this_ok | (this_us > rcv + _DAY_US)
    bsd_us = np.where(use_last, last_us, this_us)
    bsd_ok = np.where(use_last, last_ok, True)

    sshd_app = is_s & _np(pc.starts_with(app_l, "sshd"))
    any_pam = _np(pc.match_substring_regex(msg, _ANY_PAM))
    any_sshd = _np(pc.match_substring_regex(msg, _ANY_SSHD))
    fw_like = _np(pc.match_substring(msg, "IN=")) & _np(pc.match_substring(msg, "SRC="))
    web_app = pc.is_in(_first_part(app_l), pa.array(sorted(_WEB_APP)))
    webish = _np(web_app) | _np(pc.match_substring(msg, '] "'))
    brace = _np(pc.starts_with(msg, "{"))
    access = _np(pc.match_substring_regex(msg, _ACCESS))
    digit = _np(pc.match_substring_regex(line, r"^[0-9]"))

    header_ok = safe & is_s & (pri <= 191) & bsd_ok
    web = (safe & ~is_s & digit & access) | (header_ok & ~sshd_app & ~any_pam & ~fw_like & webish & access)
    plain = header_ok & ~sshd_app & ~any_pam & ~fw_like & ~webish & ~brace & ~any_sshd
    # ``_body`` may reach its access-log branch (which sets more fields) only where ``webish`` holds
    body = header_ok & ~web & ~plain & ~brace & (~webish | sshd_app)

    # access lines: the columns only they have
    web_rows = np.nonzero(web)[0]
    a = pc.extract_regex(pc.take(msg, pa.array(web_rows)), _ACCESS)
    clf = pc.extract_regex(pc.struct_field(a, "stamp"), _CLF)
    request = pc.struct_field(a, "request")
    rq = pc.extract_regex(request, _REQUEST)
    no_request = _np(pc.is_in(request, pa.array(["", "-"])))
    csign = np.where(_np(pc.equal(pc.struct_field(clf, "sign"), "-")), -1, 1)
    clf_us, clf_ok = _civil_us(
        _ints(pc.struct_field(clf, "y")), _months(pc.struct_field(clf, "mon")), _ints(pc.struct_field(clf, "d")),
        _ints(pc.struct_field(clf, "hh")), _ints(pc.struct_field(clf, "mi")), _ints(pc.struct_field(clf, "ss")),
    )  # fmt: skip
    clf_us -= csign * (_ints(pc.struct_field(clf, "oh")) * 60 + _ints(pc.struct_field(clf, "om"))) * 60_000_000
    web_ok = _np(clf.is_valid()) & clf_ok & (no_request | _np(rq.is_valid()))
    web_rows, a, rq, clf_us, no_request = (
        web_rows[web_ok],
        a.filter(pa.array(web_ok)),
        rq.filter(pa.array(web_ok)),
        clf_us[web_ok],
        no_request[web_ok],
    )
    wmask = pa.array(no_request)
    target = pc.if_else(wmask, pa.nulls(len(web_rows), pa.string()), pc.struct_field(rq, "target"))
    has_q = _np(pc.match_substring(target, "?"))
    parts = pc.extract_regex(target, r"^(?P<path>[^?]*)(?:\?(?P<query>.*))?$")
    path = pc.struct_field(parts, "path")
    query = pc.if_else(pa.array(has_q), pc.struct_field(parts, "query"), pa.nulls(len(web_rows), pa.string()))
    status = pc.struct_field(a, "status")
    code = pc.cast(pc.if_else(pc.equal(status, "-"), pa.nulls(len(web_rows), pa.string()), status), pa.int64())
    combined = _np(pc.struct_field(a, "combined").is_valid()) & _np(pc.not_equal(pc.struct_field(a, "combined"), ""))
    referrer, ua = pc.struct_field(a, "referrer"), pc.struct_field(a, "ua")
    size = pc.struct_field(a, "size")
    hints_a = np.asarray(hints, dtype=object)
    env_a = np.asarray(env_hosts, dtype=object)
    is_s_web = is_s[web_rows]
    app_web = app_l.take(pa.array(web_rows)).to_pylist()
    web_dataset = [
        (_WEB_APP.get(app.partition("_")[0]) or ("apache.access" if hint.startswith("apache") else "nginx.access"))
        if s_
        else (_HINT_WEB.get(hint) or "nginx.access")
        for s_, app, hint in zip(is_s_web.tolist(), app_web, hints_a[web_rows].tolist(), strict=True)
    ]
    web_cols = {
        "@timestamp": pa.array(clf_us, pa.int64()),
        "event.dataset": pa.array(web_dataset, pa.string()),
        "event.category": pa.array(["web"] * len(web_rows), pa.string()),
        "event.action": pa.array(["http_request"] * len(web_rows), pa.string()),
        "event.outcome": pc.if_else(
            pc.equal(status, "-"),
            "unknown",
            pc.if_else(pc.greater_equal(pc.fill_null(code, 0), 400), "failure", "success"),
        ),
        "source.ip": pc.struct_field(a, "client"),
        "user.name": pc.if_else(
            pc.equal(pc.struct_field(a, "user"), "-"), pa.nulls(len(web_rows), pa.string()), pc.struct_field(a, "user")
        ),
        "url.original": target,
        "url.path": path,
        "url.query": query,
        "http.request.method": pc.if_else(wmask, pa.nulls(len(web_rows), pa.string()), pc.struct_field(rq, "method")),
        "http.request.referrer": pc.if_else(
            pa.array(combined & ~_np(pc.equal(referrer, "-"))), referrer, pa.nulls(len(web_rows), pa.string())
        ),
        "http.response.status_code": code,
        "http.response.body.bytes": pc.cast(pc.if_else(pc.equal(size, "-"), "0", size), pa.int64()),
        "user_agent.original": pc.if_else(
            pa.array(combined & ~_np(pc.equal(ua, "-"))), ua, pa.nulls(len(web_rows), pa.string())
        ),
    }

    # syslog messages of other kinds: ``parsers._body`` itself, one message at a time
    body_rows = np.nonzero(body)[0]
    body_msgs = pc.take(msg, pa.array(body_rows)).to_pylist()
    body_apps = pc.take(app, pa.array(body_rows)).to_pylist()
    body_values: dict[str, list[Any]] = {name: [] for name in _BODY_FIELDS}
    for text, name, hint in zip(body_msgs, body_apps, hints_a[body_rows].tolist(), strict=True):
        ev: dict[str, Any] = dict.fromkeys(_BODY_FIELDS)
        ev["process.name"] = name
        parsers._body(ev, text, name, hint, _EPOCH)
        for key in _BODY_FIELDS:
            body_values[key].append(ev[key])
    body_cols = {key: pa.array(values, ARROW_SCHEMA.field(key).type) for key, values in body_values.items()}

    plain_rows = np.nonzero(plain)[0]
    plain_cols = {
        "event.dataset": pa.array(["syslog"] * len(plain_rows), pa.string()),
        "event.category": pa.array(["host"] * len(plain_rows), pa.string()),
    }

    rows = np.concatenate([web_rows, body_rows, plain_rows]).astype(np.int64)
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    take = pa.array(rows)
    s_rows = is_s[rows]
    s_mask = pa.array(s_rows)
    none_str = pa.nulls(len(rows), pa.string())
    none_int = pa.nulls(len(rows), pa.int64())
    host_rows = host.take(take)
    app_rows = app.take(take)
    pid_rows = pc.struct_field(h, "pid").take(take)
    header_ts = np.where(s_rows, bsd_us[rows], 0)
    out: dict[str, Any] = {
        "_row": take,
        "message": msg.take(take),
        "event.severity": pc.if_else(s_mask, pa.array(pri[rows] & 7), none_int),
        "log.syslog.facility": pc.if_else(s_mask, pa.array(pri[rows] >> 3), none_int),
        "log.syslog.appname": pc.if_else(s_mask, app_rows, none_str),
        "process.name": pc.if_else(s_mask, app_rows, none_str),
        "process.pid": pc.if_else(
            pa.array(s_rows & _np(pc.not_equal(pc.fill_null(pid_rows, ""), ""))),
            pc.cast(pc.if_else(pc.equal(pid_rows, ""), "0", pid_rows), pa.int64()),
            none_int,
        ),
        "host.name": pc.coalesce(
            pc.if_else(pa.array(s_rows & ~_np(pc.equal(host_rows, "-"))), host_rows, none_str),
            pa.array(env_a[rows].tolist(), pa.string()),
        ),
    }
    groups = [(web_rows, web_cols), (body_rows, body_cols), (plain_rows, plain_cols)]
    names = {name for _rows, cols in groups for name in cols}
    for name in names:
        typ = pa.int64() if name == "@timestamp" else ARROW_SCHEMA.field(name).type
        pieces = [cols[name].cast(typ) if name in cols else pa.nulls(len(r), typ) for r, cols in groups]
        merged = pa.concat_arrays([p.combine_chunks() if isinstance(p, pa.ChunkedArray) else p for p in pieces]).take(
            pa.array(order)
        )
        if name in out and name in ("message", "process.name"):
            merged = pc.coalesce(merged, out[name])
        out[name] = merged
    ts = pc.coalesce(out["@timestamp"], pa.array(header_ts)) if "@timestamp" in out else pa.array(header_ts)
    out["@timestamp"] = ts.cast(pa.timestamp("us", tz="UTC"))
    return pa.table(out)


def _first_part(app_l: Any) -> Any:
    """``app.lower().partition("_")[0]`` over a column."""
    return pc.replace_substring_regex(app_l, r"_.*$", "")
