"""Connectors read files (XLSX with title rows and merged cells, CSV in UTF-8 and GBK, Parquet),
SQLite, and the real local PostgreSQL and MariaDB; failures are Chinese errors without the password."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from edubase.datagov.connectors import (
    FileConnector,
    MysqlConnector,
    PostgresConnector,
    SourceAuthFailed,
    SourceError,
    SourceFileInvalid,
    SourceTableMissing,
    SourceTooLarge,
    SourceUnreachable,
    SqliteConnector,
)

ROSTER = [
    ("张三", "410102201003070017", "13812345678"),
    ("欧阳娜娜", "41010220110512002X", "13912345678"),
]


def _roster_xlsx(path: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    sheet.append(["郑州市第一中学学生花名册"])
    sheet.merge_cells("A1:D1")
    sheet.append(["姓名", "身份证件号", "联系方式", None])
    sheet.merge_cells("C2:D2")
    sheet.append([None, None, "手机", "邮箱"])
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("B2:B3")
    for name, id_number, phone in ROSTER:
        sheet.append([name, id_number, phone, "a@example.cn"])
    sheet.append([None, None, None, None])
    workbook.save(path)
    return path


def test_xlsx_title_row_and_two_row_merged_header(tmp_path: Path) -> None:
    path = _roster_xlsx(tmp_path / "roster.xlsx")
    with FileConnector(location=str(path)) as connector:
        assert connector.tables() == ["roster.xlsx#花名册"]
        names = [c.name for c in connector.columns("roster.xlsx#花名册")]
        assert names == ["姓名", "身份证件号", "联系方式/手机", "联系方式/邮箱"]
        assert connector.row_count("roster.xlsx#花名册") == 2
        assert list(connector.rows("roster.xlsx#花名册", ["姓名", "联系方式/手机"])) == [
            ("张三", "13812345678"),
            ("欧阳娜娜", "13912345678"),
        ]


def test_csv_in_gbk_is_detected_and_decoded(tmp_path: Path) -> None:
    path = tmp_path / "学生.csv"
    text = "学生名册（2026 秋季）\n姓名,身份证件号,联系电话\n" + "".join(f"{n},{i},{p}\n" for n, i, p in ROSTER)
    path.write_bytes(text.encode("gbk"))
    with FileConnector(location=str(tmp_path)) as connector:
        assert connector.tables() == ["学生.csv"]
        assert connector.encoding_of("学生.csv") == "gb18030"
        assert [c.name for c in connector.columns("学生.csv")] == ["姓名", "身份证件号", "联系电话"]
        assert connector.sample("学生.csv", 1) == [ROSTER[0]]
        assert connector.row_count("学生.csv") == 2


def test_csv_in_utf8_says_utf8(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("姓名;电话\n张三;13812345678\n", encoding="utf-8")
    with FileConnector(location=str(path)) as connector:
        assert connector.encoding_of("t.csv") == "utf-8"
        assert list(connector.rows("t.csv")) == [("张三", "13812345678")]


def test_parquet_columns_types_and_limited_rows(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"xm": [r[0] for r in ROSTER], "age": [15, 14]})
    pq.write_table(table, tmp_path / "p.parquet")
    with FileConnector(location=str(tmp_path)) as connector:
        columns = connector.columns("p.parquet")
        assert [(c.name, c.data_type) for c in columns] == [("xm", "string"), ("age", "int64")]
        assert connector.row_count("p.parquet") == 2
        assert list(connector.rows("p.parquet", ["age"], limit=1)) == [(15,)]


def test_corrupt_xlsx_is_a_chinese_error(tmp_path: Path) -> None:
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(SourceFileInvalid, match="不是有效的 XLSX"):
        FileConnector(location=str(tmp_path)).tables()


def test_corrupt_parquet_is_a_chinese_error(tmp_path: Path) -> None:
    (tmp_path / "bad.parquet").write_bytes(b"garbage" * 10)
    with pytest.raises(SourceFileInvalid, match="Parquet"):
        FileConnector(location=str(tmp_path)).columns("bad.parquet")


def test_oversized_file_is_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import edubase.datagov.connectors as connectors

    (tmp_path / "big.csv").write_text("a,b\n" + "1,2\n" * 100, encoding="utf-8")
    monkeypatch.setattr(connectors, "MAX_FILE_BYTES", 100)
    with pytest.raises(SourceTooLarge, match="超过上限"):
        FileConnector(location=str(tmp_path)).columns("big.csv")


def test_missing_table_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n", encoding="utf-8")
    with pytest.raises(SourceTableMissing):
        FileConnector(location=str(tmp_path)).columns("nope.csv")
    with pytest.raises(SourceFileInvalid, match="不存在"):
        FileConnector(location=str(tmp_path / "gone")).tables()


def test_sqlite_tables_columns_and_rows(tmp_path: Path) -> None:
    path = tmp_path / "school.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE xs (XM TEXT NOT NULL, SFZJH TEXT, LXDH TEXT)")
    db.executemany("INSERT INTO xs VALUES (?, ?, ?)", ROSTER)
    db.commit()
    db.close()
    with SqliteConnector(str(path)) as connector:
        assert connector.tables() == ["xs"]
        columns = connector.columns("xs")
        assert [(c.name, c.nullable) for c in columns] == [("XM", False), ("SFZJH", True), ("LXDH", True)]
        assert connector.row_count("xs") == 2
        assert list(connector.rows("xs", ["LXDH"], limit=5)) == [("13812345678",), ("13912345678",)]
        with pytest.raises(SourceTableMissing):
            connector.row_count("xs; DROP TABLE xs")


def test_sqlite_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(SourceFileInvalid, match="SQLite"):
        SqliteConnector(str(path))


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_database() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"dg_test_{uuid.uuid4().hex[:10]}"
    role = f"{name}_reader"
    try:
        admin = psycopg.connect(
            host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True, connect_timeout=3
        )
    except psycopg.OperationalError:
        pytest.fail("PostgreSQL must run on 127.0.0.1:5432 for the connector tests (see shared/SERVICES.md)")
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(host="127.0.0.1", user="postgres", dbname=name, autocommit=True) as db:
            db.execute("CREATE SCHEMA xj")
            db.execute("CREATE TABLE xj.student (xm text NOT NULL, sfzjh varchar(18), lxdh text)")
            db.execute("COMMENT ON TABLE xj.student IS '学生基本信息'")
            db.execute("COMMENT ON COLUMN xj.student.sfzjh IS '身份证件号'")
            for row in ROSTER:
                db.execute("INSERT INTO xj.student VALUES (%s, %s, %s)", row)
        yield name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()


def test_postgres_tables_comments_and_rows(pg_database: str) -> None:
    with PostgresConnector(
        host="127.0.0.1", port=5432, database=pg_database, user="postgres", password=""
    ) as connector:
        assert connector.tables() == ["xj.student"]
        assert connector.table_comment("xj.student") == "学生基本信息"
        columns = connector.columns("xj.student")
        assert [(c.name, c.data_type, c.comment, c.nullable) for c in columns] == [
            ("xm", "text", "", False),
            ("sfzjh", "character varying(18)", "身份证件号", True),
            ("lxdh", "text", "", True),
        ]
        assert connector.row_count("xj.student") == 2
        assert list(connector.rows("xj.student", ["xm"], limit=1)) == [("张三",)]


def test_postgres_wrong_password_is_refused_without_echo(pg_database: str) -> None:
    import psycopg

    role = f"{pg_database}_reader"
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as admin:
        admin.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD 'right-Secret-1'")
    # the local server trusts every local login, so a wrong password still connects there;
    # what must hold is that no error or object ever carries the password back
    error: SourceError | None = None
    try:
        with PostgresConnector(
            host="127.0.0.1", port=5432, database=pg_database, user=role, password="Wr0ng-S3cret!"
        ) as connector:
            connector.row_count("xj.student")  # no SELECT grant for this role
    except SourceError as caught:
        error = caught
    assert error is not None
    assert "Wr0ng-S3cret!" not in str(error.as_dict())
    assert isinstance(error, SourceAuthFailed) or "PostgreSQL 查询失败" in error.message


def test_postgres_unknown_database_and_unreachable_port() -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(SourceError, match=r"数据库不存在|无法连接"):
        PostgresConnector(host="127.0.0.1", port=5432, database="no_such_db_x", user="postgres", password="pw-Secret-9")
    with pytest.raises(SourceUnreachable) as caught:
        PostgresConnector(host="127.0.0.1", port=1, database="x", user="postgres", password="pw-Secret-9")
    assert "pw-Secret-9" not in caught.value.message


# --------------------------------------------------------------------------- MariaDB


@pytest.fixture
def mysql_database() -> Iterator[str]:
    pymysql = pytest.importorskip("pymysql")
    name = f"dg_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = pymysql.connect(host="127.0.0.1", user="root", password="", connect_timeout=3, autocommit=True)
    except pymysql.err.MySQLError:
        pytest.fail("MariaDB must run on 127.0.0.1:3306 for the connector tests (see shared/SERVICES.md)")
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        cursor.execute(
            f"CREATE TABLE `{name}`.xsjbxx (XM varchar(36) NOT NULL COMMENT '姓名', SFZJH varchar(18) "
            "COMMENT '身份证件号', LXDH varchar(30)) COMMENT '学生基本信息'"
        )
        cursor.executemany(f"INSERT INTO `{name}`.xsjbxx VALUES (%s, %s, %s)", ROSTER)  # noqa: S608
        cursor.execute(f"CREATE USER '{name}'@'%' IDENTIFIED BY 'Right-Pass-77'")
        cursor.execute(f"CREATE USER '{name}'@'localhost' IDENTIFIED BY 'Right-Pass-77'")
        cursor.execute(f"GRANT SELECT ON `{name}`.* TO '{name}'@'%'")
        cursor.execute(f"GRANT SELECT ON `{name}`.* TO '{name}'@'localhost'")
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"DROP USER IF EXISTS '{name}'@'%'")
            cursor.execute(f"DROP USER IF EXISTS '{name}'@'localhost'")
        admin.close()


def test_mysql_tables_comments_and_rows(mysql_database: str) -> None:
    with MysqlConnector(
        host="127.0.0.1", port=3306, database=mysql_database, user=mysql_database, password="Right-Pass-77"
    ) as connector:
        assert connector.tables() == ["xsjbxx"]
        assert connector.table_comment("xsjbxx") == "学生基本信息"
        columns = connector.columns("xsjbxx")
        assert [(c.name, c.comment, c.nullable) for c in columns] == [
            ("XM", "姓名", False),
            ("SFZJH", "身份证件号", True),
            ("LXDH", "", True),
        ]
        assert connector.row_count("xsjbxx") == 2
        assert connector.sample("xsjbxx", 1) == [ROSTER[0]]


def test_mysql_wrong_password_is_an_auth_error_without_echo(mysql_database: str) -> None:
    with pytest.raises(SourceAuthFailed) as caught:
        MysqlConnector(
            host="127.0.0.1", port=3306, database=mysql_database, user=mysql_database, password="Bad-Pass-13"
        )
    assert "Bad-Pass-13" not in str(caught.value.as_dict())
    assert caught.value.message == "数据源认证失败，请检查用户名和密码"


def test_mysql_unreachable_host_is_a_chinese_error() -> None:
    with pytest.raises(SourceUnreachable, match="无法连接数据源"):
        MysqlConnector(host="127.0.0.1", port=1, database="x", user="u", password="Never-Shown-5")
