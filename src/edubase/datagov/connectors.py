"""Connectors (连接器) to data sources: files (XLSX, CSV, Parquet), PostgreSQL, MySQL/MariaDB, SQLite.

``open_connector(source)`` returns a ``Connector`` with one small read-only interface:
``tables()``, ``columns(table)``, ``row_count(table)``, ``sample(table, n)`` and
``rows(table, columns, limit=None)``. Every failure of the outside system (unreachable host,
wrong credentials, corrupt or oversized file, missing table) becomes a ``SourceError`` with a
Chinese message; driver messages are passed through ``_scrub`` so the source's password never
appears in an error, a page or an audit event.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edubase.core.errors import DomainError

if TYPE_CHECKING:
    from edubase.datagov.models import DataSource

#: seconds to wait for a database to answer the connection, and for one statement
CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_S = 60
#: files above these sizes are refused before any parsing (XLSX is parsed whole by openpyxl)
MAX_FILE_BYTES = 2 * 1024**3
MAX_XLSX_BYTES = 64 * 1024**2
FILE_SUFFIXES = (".xlsx", ".csv", ".txt", ".parquet")
#: leading rows inspected to find the header of a spreadsheet (title rows come first)
HEADER_SEARCH_ROWS = 15


class SourceError(DomainError):
    """The data source could not be read; the message says why, without its credentials."""

    code = "datagov_source_error"
    message = "数据源读取失败"
    status = 422


class SourceUnreachable(SourceError):
    code = "datagov_source_unreachable"
    message = "无法连接数据源，请检查主机、端口和网络"


class SourceAuthFailed(SourceError):
    code = "datagov_source_auth_failed"
    message = "数据源认证失败，请检查用户名和密码"


class SourceFileInvalid(SourceError):
    code = "datagov_source_file_invalid"
    message = "文件无法读取：格式错误或已损坏"


class SourceTooLarge(SourceError):
    code = "datagov_source_too_large"
    message = "文件过大，超出允许的扫描大小"


class SourceTableMissing(SourceError):
    code = "datagov_source_table_missing"
    message = "数据源中不存在该表"
    status = 404


@dataclass(frozen=True)
class ColumnInfo:
    """One column as the source describes it."""

    name: str
    data_type: str = ""
    comment: str = ""
    nullable: bool = True


def _scrub(text: str, secrets: Sequence[str]) -> str:
    """Remove every secret from a driver message (drivers sometimes echo connection strings)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:300]


class Connector(ABC):
    """A read-only view of one source; use as a context manager so connections close."""

    #: the text encoding used (CSV files), for the scan report
    encoding: str | None = None

    @abstractmethod
    def tables(self) -> list[str]:
        """Implemented by each kind of source."""

    def table_comment(self, table: str) -> str:
        return ""

    @abstractmethod
    def columns(self, table: str) -> list[ColumnInfo]:
        """Implemented by each kind of source."""

    @abstractmethod
    def row_count(self, table: str) -> int:
        """Implemented by each kind of source."""

    @abstractmethod
    def rows(
        self, table: str, columns: Sequence[str] | None = None, limit: int | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """Rows of ``table`` with ``columns`` (all when None) in order, at most ``limit``."""

    def sample(self, table: str, n: int) -> list[tuple[Any, ...]]:
        """The first ``n`` rows, every column."""
        return list(self.rows(table, None, limit=n))

    def encoding_of(self, table: str) -> str | None:
        """The text encoding used for ``table`` (CSV), None where not applicable."""
        return None

    def close(self) -> None:
        return None

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _require_table(self, table: str) -> None:
        if table not in self.tables():
            raise SourceTableMissing(f"数据源中不存在表「{table}」")


# --------------------------------------------------------------------------- files


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _find_header(rows: Sequence[Sequence[Any]]) -> int:
    """Index of the header row among the first rows: the first wide row of text after any title rows.

    A title row (「某某学校学生花名册」) holds one text, often merged across the sheet (so repeated in
    every cell once merged cells are filled); the header is the first row with several distinct
    texts filling at least half of the widest row, none of them a number.
    """
    texts = [[_text(v) for v in row] for row in rows]
    widest = max((sum(1 for t in row if t) for row in texts), default=0)
    for index, row in enumerate(texts):
        filled = [t for t in row if t]
        if not filled or (widest > 1 and len(set(filled)) == 1):
            continue
        if len(filled) * 2 >= widest and not any(_looks_numeric(t) for t in filled):
            return index
    return 0


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _unique_names(names: Sequence[str]) -> list[str]:
    """Blank headers become 列N and repeated ones get a suffix, so every column has a name."""
    seen: dict[str, int] = {}
    result: list[str] = []
    for index, raw in enumerate(names, start=1):
        name = raw or f"列{index}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        result.append(name)
    return result


@dataclass
class _Sheet:
    header: list[str]
    data: list[list[Any]]


@dataclass
class _CsvInfo:
    encoding: str
    dialect: type[csv.Dialect] | csv.Dialect
    header: list[str]
    skip: int  # physical records before the first data row


@dataclass
class FileConnector(Connector):
    """A spreadsheet file or a directory of them; a table is a file name (XLSX: ``file.xlsx#sheet``)."""

    location: str
    _sheets: dict[str, _Sheet] = field(default_factory=dict)
    _csv: dict[str, _CsvInfo] = field(default_factory=dict)
    _tables: list[str] | None = None

    def _root(self) -> Path:
        path = Path(self.location)
        if not path.exists():
            raise SourceFileInvalid(f"文件或目录不存在：{path.name}")
        return path

    def _files(self) -> list[Path]:
        root = self._root()
        if root.is_file():
            return [root]
        return sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in FILE_SUFFIXES)

    def _path_of(self, table: str) -> Path:
        name = table.split("#", 1)[0]
        root = self._root()
        path = root if root.is_file() else root / name
        if path.name != name or not path.is_file():
            raise SourceTableMissing(f"数据源中不存在表「{table}」")
        size = path.stat().st_size
        limit = MAX_XLSX_BYTES if path.suffix.lower() == ".xlsx" else MAX_FILE_BYTES
        if size > limit:
            raise SourceTooLarge(f"文件「{path.name}」大小 {size // 1024**2} MB，超过上限 {limit // 1024**2} MB")
        return path

    def tables(self) -> list[str]:
        if self._tables is None:
            names: list[str] = []
            for path in self._files():
                if path.suffix.lower() == ".xlsx":
                    self._path_of(path.name)
                    names.extend(f"{path.name}#{sheet}" for sheet in self._workbook_sheets(path))
                else:
                    names.append(path.name)
            self._tables = names
        return self._tables

    # -- XLSX --
    def _workbook_sheets(self, path: Path) -> list[str]:
        workbook = self._load(path, read_only=True)  # sheet names only: no need to parse the cells
        try:
            return list(workbook.sheetnames)
        finally:
            workbook.close()

    def _load(self, path: Path, *, read_only: bool = False) -> Any:
        from openpyxl import load_workbook

        try:
            # for the cells, not read-only: merged-cell ranges are only known to a fully loaded workbook
            return load_workbook(path, data_only=True, read_only=read_only)
        except Exception as exc:
            raise SourceFileInvalid(f"文件「{path.name}」不是有效的 XLSX 文件或已损坏") from exc

    def _sheet(self, table: str) -> _Sheet:
        if table in self._sheets:
            return self._sheets[table]
        path = self._path_of(table)
        sheet_name = table.split("#", 1)[1] if "#" in table else None
        workbook = self._load(path)
        try:
            if sheet_name is not None and sheet_name not in workbook.sheetnames:
                raise SourceTableMissing(f"数据源中不存在表「{table}」")
            ws = workbook[sheet_name] if sheet_name else workbook.worksheets[0]
            grid: list[list[Any]] = [list(row) for row in ws.iter_rows(values_only=True)]
            header_spans: list[tuple[int, int, int, int]] = []
            for merged in ws.merged_cells.ranges:
                r0, c0, r1, c1 = merged.min_row - 1, merged.min_col - 1, merged.max_row - 1, merged.max_col - 1
                value = grid[r0][c0] if r0 < len(grid) and c0 < len(grid[r0]) else None
                header_spans.append((r0, c0, r1, c1))
                for r in range(r0, min(r1, len(grid) - 1) + 1):
                    row = grid[r]
                    if len(row) <= c1:
                        row.extend([None] * (c1 + 1 - len(row)))
                    for c in range(c0, c1 + 1):
                        row[c] = value  # a merged cell's value belongs to every cell it covers
        finally:
            workbook.close()
        sheet = self._split_header(grid, header_spans)
        self._sheets[table] = sheet
        return sheet

    def _split_header(self, grid: list[list[Any]], spans: list[tuple[int, int, int, int]]) -> _Sheet:
        head = _find_header(grid[:HEADER_SEARCH_ROWS])
        names = [_text(v) for v in grid[head]] if grid else []
        first_data = head + 1
        # a two-row header: a group label merged across columns (联系方式) above its parts (手机, 邮箱)
        grouped = any(r0 == head and c1 > c0 and r1 == head for (r0, c0, r1, c1) in spans)
        if grouped and first_data < len(grid):
            below = [_text(v) for v in grid[first_data]]
            if all(not _looks_numeric(v) for v in below if v):
                names = [
                    (f"{top}/{sub}" if sub and sub != top else top)
                    for top, sub in zip(names, below + [""] * (len(names) - len(below)), strict=False)
                ]
                first_data += 1
        width = len(names)
        data = [(row + [None] * (width - len(row)))[:width] for row in grid[first_data:] if any(_text(v) for v in row)]
        return _Sheet(header=_unique_names(names), data=data)

    # -- CSV --
    def _csv_info(self, table: str) -> _CsvInfo:
        if table in self._csv:
            return self._csv[table]
        path = self._path_of(table)
        encoding = _detect_encoding(path)
        with path.open("r", encoding=encoding, newline="") as handle:
            head = handle.read(64 * 1024)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(head, delimiters=",\t;|")
        except csv.Error:
            dialect = csv.excel
        records = list(csv.reader(io.StringIO(head), dialect))[:HEADER_SEARCH_ROWS]
        index = _find_header(records)
        header = _unique_names([_text(v) for v in records[index]]) if records else []
        info = _CsvInfo(encoding=encoding, dialect=dialect, header=header, skip=index + 1)
        self._csv[table] = info
        return info

    def encoding_of(self, table: str) -> str | None:
        if self._kind(table) == "csv":
            return self._csv_info(table).encoding
        return None

    # -- Parquet --
    def _parquet(self, table: str) -> Any:
        import pyarrow.parquet as pq

        path = self._path_of(table)
        try:
            return pq.ParquetFile(path)
        except Exception as exc:
            raise SourceFileInvalid(f"文件「{path.name}」不是有效的 Parquet 文件或已损坏") from exc

    @staticmethod
    def _kind(table: str) -> str:
        suffix = Path(table.split("#", 1)[0]).suffix.lower()
        return {".xlsx": "xlsx", ".parquet": "parquet"}.get(suffix, "csv")

    # -- the interface --
    def columns(self, table: str) -> list[ColumnInfo]:
        kind = self._kind(table)
        if kind == "xlsx":
            return [ColumnInfo(name=n, data_type="xlsx") for n in self._sheet(table).header]
        if kind == "parquet":
            schema = self._parquet(table).schema_arrow
            return [ColumnInfo(name=f.name, data_type=str(f.type), nullable=f.nullable) for f in schema]
        return [ColumnInfo(name=n, data_type="text") for n in self._csv_info(table).header]

    def row_count(self, table: str) -> int:
        kind = self._kind(table)
        if kind == "xlsx":
            return len(self._sheet(table).data)
        if kind == "parquet":
            return int(self._parquet(table).metadata.num_rows)
        return self._csv_count(table)

    def _csv_count(self, table: str) -> int:
        """Data records of a CSV file (blank records skipped), without building rows."""
        info = self._csv_info(table)
        path = self._path_of(table)
        try:
            with path.open("r", encoding=info.encoding, newline="") as handle:
                reader = csv.reader(handle, info.dialect)
                return sum(1 for number, record in enumerate(reader) if number >= info.skip and any(record))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise SourceFileInvalid(f"文件「{table}」无法解析：内容已损坏或编码不一致") from exc

    def rows(
        self, table: str, columns: Sequence[str] | None = None, limit: int | None = None
    ) -> Iterator[tuple[Any, ...]]:
        names = [c.name for c in self.columns(table)]
        wanted = list(columns) if columns is not None else names
        missing = [c for c in wanted if c not in names]
        if missing:
            raise SourceError(f"表「{table}」中不存在字段：{'、'.join(missing)}")
        picks = [names.index(c) for c in wanted]
        kind = self._kind(table)
        if kind == "xlsx":
            data = self._sheet(table).data
            yield from (tuple(row[i] for i in picks) for row in (data if limit is None else data[:limit]))
            return
        if kind == "parquet":
            yield from self._parquet_rows(table, wanted, limit)
            return
        yield from self._csv_rows(table, picks, limit)

    def _parquet_rows(self, table: str, wanted: list[str], limit: int | None) -> Iterator[tuple[Any, ...]]:
        produced = 0
        try:
            for batch in self._parquet(table).iter_batches(batch_size=10_000, columns=wanted):
                columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                for row in zip(*columns, strict=True):
                    if limit is not None and produced >= limit:
                        return
                    produced += 1
                    yield tuple(row)
        except SourceError:
            raise
        except Exception as exc:
            raise SourceFileInvalid(f"文件「{table}」读取中断：内容已损坏") from exc

    def _csv_rows(self, table: str, picks: list[int], limit: int | None) -> Iterator[tuple[Any, ...]]:
        info = self._csv_info(table)
        path = self._path_of(table)
        produced = 0
        try:
            with path.open("r", encoding=info.encoding, newline="") as handle:
                reader = csv.reader(handle, info.dialect)
                for number, record in enumerate(reader):
                    if number < info.skip or not any(v.strip() for v in record):
                        continue
                    if limit is not None and produced >= limit:
                        return
                    produced += 1
                    yield tuple(record[i].strip() if i < len(record) else None for i in picks)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise SourceFileInvalid(f"文件「{table}」在第 {produced + info.skip + 1} 行附近无法解析") from exc


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as such, else GB18030 (a superset of GBK)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        first = handle.read(3)
        if first == codecs.BOM_UTF8:
            return "utf-8-sig"
        handle.seek(0)
        try:
            while chunk := handle.read(1024 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


# --------------------------------------------------------------------------- databases


class _SqlConnector(Connector, ABC):
    """Shared parts of the SQL connectors: quoting and the table list cache."""

    _table_cache: list[str] | None = None
    _comments: dict[str, str]
    _secrets: tuple[str, ...] = ()

    @abstractmethod
    def _quote(self, name: str) -> str:
        """Implemented by each kind of source."""

    def _qualified(self, table: str) -> str:
        return ".".join(self._quote(part) for part in table.split(".", 1))

    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Implemented by each kind of source."""

    def table_comment(self, table: str) -> str:
        self.tables()
        return self._comments.get(table, "")

    def row_count(self, table: str) -> int:
        self._require_table(table)
        # identifiers are quoted by the dialect and the table was checked against the catalogue
        cursor = self._execute(f"SELECT COUNT(*) FROM {self._qualified(table)}")  # noqa: S608
        return int(cursor.fetchone()[0])

    def rows(
        self, table: str, columns: Sequence[str] | None = None, limit: int | None = None
    ) -> Iterator[tuple[Any, ...]]:
        self._require_table(table)
        names = [c.name for c in self.columns(table)]
        wanted = list(columns) if columns is not None else names
        missing = [c for c in wanted if c not in names]
        if missing:
            raise SourceError(f"表「{table}」中不存在字段：{'、'.join(missing)}")
        select = ", ".join(self._quote(c) for c in wanted) or "*"
        sql = f"SELECT {select} FROM {self._qualified(table)}"  # noqa: S608 - quoted, checked identifiers
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        cursor = self._execute(sql)
        while batch := cursor.fetchmany(5000):
            yield from (tuple(row) for row in batch)


class SqliteConnector(_SqlConnector):
    """A SQLite database file, opened read-only."""

    def __init__(self, location: str) -> None:
        path = Path(location)
        if not path.is_file():
            raise SourceFileInvalid(f"数据库文件不存在：{path.name}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SourceTooLarge()
        self._comments = {}
        try:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=CONNECT_TIMEOUT_S)
            self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise SourceFileInvalid(f"文件「{path.name}」不是有效的 SQLite 数据库或已损坏") from exc

    def _quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def _qualified(self, table: str) -> str:
        return self._quote(table)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            return self._db.execute(sql, tuple(params))
        except sqlite3.DatabaseError as exc:
            raise SourceFileInvalid(f"SQLite 查询失败：{_scrub(str(exc), ())}") from exc

    def tables(self) -> list[str]:
        if self._table_cache is None:
            cursor = self._execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
            self._table_cache = [r[0] for r in cursor.fetchall()]
        return self._table_cache

    def columns(self, table: str) -> list[ColumnInfo]:
        self._require_table(table)
        cursor = self._execute(f"PRAGMA table_info({self._quote(table)})")
        return [ColumnInfo(name=r[1], data_type=r[2] or "", nullable=not r[3]) for r in cursor.fetchall()]

    def close(self) -> None:
        self._db.close()


class PostgresConnector(_SqlConnector):
    """A PostgreSQL database, read-only transactions with a statement timeout."""

    def __init__(self, *, host: str, port: int | None, database: str, user: str, password: str) -> None:
        import psycopg

        self._secrets = (password,)
        self._comments = {}
        try:
            self._db = psycopg.connect(
                host=host,
                port=port or 5432,
                dbname=database,
                user=user,
                password=password or None,
                connect_timeout=CONNECT_TIMEOUT_S,
                options=f"-c statement_timeout={STATEMENT_TIMEOUT_S * 1000} -c default_transaction_read_only=on",
                autocommit=True,
            )
        except psycopg.OperationalError as exc:
            raise _pg_error(exc, self._secrets) from None

    def _quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        import psycopg

        try:
            return self._db.execute(sql.encode() if not params else sql, tuple(params) or None)
        except psycopg.Error as exc:
            raise SourceError(f"PostgreSQL 查询失败：{_scrub(str(exc).strip(), self._secrets)}") from None

    def tables(self) -> list[str]:
        if self._table_cache is None:
            cursor = self._execute(
                "SELECT n.nspname || '.' || c.relname, coalesce(obj_description(c.oid, 'pg_class'), '') "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'v', 'm', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1"
            )
            rows = cursor.fetchall()
            self._table_cache = [r[0] for r in rows]
            self._comments = {r[0]: r[1] for r in rows}
        return self._table_cache

    def columns(self, table: str) -> list[ColumnInfo]:
        self._require_table(table)
        schema, name = table.split(".", 1)
        cursor = self._execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), coalesce(col_description(c.oid, a.attnum), ''), "
            "NOT a.attnotnull FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            (schema, name),
        )
        return [ColumnInfo(name=r[0], data_type=r[1], comment=r[2], nullable=bool(r[3])) for r in cursor.fetchall()]

    def close(self) -> None:
        self._db.close()


def _pg_error(exc: Exception, secrets: Sequence[str]) -> SourceError:
    text = str(exc)
    if (
        "password authentication failed" in text
        or "no password supplied" in text
        or ("role" in text and "does not exist" in text)
    ):
        return SourceAuthFailed()
    if "database" in text and "does not exist" in text:
        return SourceError("数据库不存在，请检查数据库名")
    return SourceUnreachable(
        f"无法连接 PostgreSQL 数据源：{_scrub(text.strip().splitlines()[0] if text.strip() else '', secrets)}"
    )


class MysqlConnector(_SqlConnector):
    """A MySQL or MariaDB database (PyMySQL), with connect and read timeouts."""

    def __init__(self, *, host: str, port: int | None, database: str, user: str, password: str) -> None:
        import pymysql

        self._secrets = (password,)
        self._comments = {}
        self._database = database
        try:
            self._db = pymysql.connect(
                host=host,
                port=port or 3306,
                user=user,
                password=password,
                database=database,
                connect_timeout=CONNECT_TIMEOUT_S,
                read_timeout=STATEMENT_TIMEOUT_S,
                charset="utf8mb4",
            )
        except pymysql.err.OperationalError as exc:
            errno = exc.args[0] if exc.args else 0
            if errno in (1045, 1044, 1698):
                raise SourceAuthFailed() from None
            if errno == 1049:
                raise SourceError("数据库不存在，请检查数据库名") from None
            raise SourceUnreachable() from None
        except pymysql.err.MySQLError:
            raise SourceUnreachable() from None

    def _quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def _qualified(self, table: str) -> str:
        return self._quote(table)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        import pymysql

        try:
            cursor = self._db.cursor()
            cursor.execute(sql, tuple(params) if params else None)
            return cursor
        except pymysql.err.MySQLError as exc:
            message = exc.args[1] if len(exc.args) > 1 else str(exc)
            raise SourceError(f"MySQL 查询失败：{_scrub(str(message), self._secrets)}") from None

    def tables(self) -> list[str]:
        if self._table_cache is None:
            cursor = self._execute(
                "SELECT TABLE_NAME, TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s ORDER BY 1",
                (self._database,),
            )
            rows = cursor.fetchall()
            self._table_cache = [r[0] for r in rows]
            self._comments = {r[0]: r[1] or "" for r in rows}
        return self._table_cache

    def columns(self, table: str) -> list[ColumnInfo]:
        self._require_table(table)
        cursor = self._execute(
            "SELECT COLUMN_NAME, COLUMN_TYPE, COLUMN_COMMENT, IS_NULLABLE FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
            (self._database, table),
        )
        return [
            ColumnInfo(name=r[0], data_type=r[1], comment=r[2] or "", nullable=r[3] == "YES") for r in cursor.fetchall()
        ]

    def close(self) -> None:
        # closing a connection the server already dropped is not an error worth raising
        with contextlib.suppress(Exception):
            self._db.close()


def open_connector(source: DataSource) -> Connector:
    """The connector for ``source`` (raises ``SourceError`` when it cannot be opened)."""
    from edubase.datagov.models import SourceKind

    if source.kind == SourceKind.FILE:
        return FileConnector(location=source.location)
    if source.kind == SourceKind.SQLITE:
        return SqliteConnector(source.location)
    password = source.secret or ""
    if not source.host:
        raise SourceError("数据源未配置主机地址")
    if source.kind == SourceKind.POSTGRESQL:
        return PostgresConnector(
            host=source.host, port=source.port, database=source.database, user=source.username, password=password
        )
    if source.kind == SourceKind.MYSQL:
        return MysqlConnector(
            host=source.host, port=source.port, database=source.database, user=source.username, password=password
        )
    raise SourceError(f"不支持的数据源类型：{source.kind}")


__all__ = [
    "ColumnInfo",
    "Connector",
    "FileConnector",
    "MysqlConnector",
    "PostgresConnector",
    "SourceAuthFailed",
    "SourceError",
    "SourceFileInvalid",
    "SourceTableMissing",
    "SourceTooLarge",
    "SourceUnreachable",
    "SqliteConnector",
    "open_connector",
]
