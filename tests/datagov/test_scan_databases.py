"""End to end against the real local servers: a school's MariaDB and PostgreSQL systems are
registered with a sealed password, scanned into the catalogue, and their identifiers found."""

from __future__ import annotations

import pytest

from edubase.datagov import services
from edubase.datagov.models import Dataset
from tests.datagov.test_connectors import mysql_database, pg_database  # noqa: F401 - fixtures
from tests.factories import make_user


@pytest.fixture
def officer(world):  # type: ignore[no-untyped-def]
    return make_user("dg_officer", role="data_officer", org=world.province)


def test_a_mariadb_school_system_is_scanned_with_its_sealed_password(world, officer, mysql_database) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    source = services.create_source(
        actor=officer,
        org=world.school_a,
        name="学校 MariaDB",
        kind="mysql",
        host="127.0.0.1",
        port=3306,
        database=mysql_database,
        username=mysql_database,
        password="Right-Pass-77",
        system_name="学籍管理系统",
    )
    report = services.scan_source(actor=officer, source=source)
    assert [t.table for t in report.tables] == ["xsjbxx"]
    dataset = Dataset.objects.get(source=source)
    assert dataset.name == "学生基本信息"  # the table comment
    fields = {f.name: f for f in dataset.fields.all()}
    assert fields["SFZJH"].comment == "身份证件号" and fields["SFZJH"].entity == "citizen_id"
    assert dataset.sensitive


def test_a_wrong_mariadb_password_writes_nothing(world, officer, mysql_database) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    source = services.create_source(
        actor=officer,
        org=world.school_a,
        name="学校 MariaDB",
        kind="mysql",
        host="127.0.0.1",
        database=mysql_database,
        username=mysql_database,
        password="Not-The-Pass-1",
    )
    with pytest.raises(services.SourceError, match="认证失败") as caught:
        services.scan_source(actor=officer, source=source)
    assert "Not-The-Pass-1" not in str(caught.value.as_dict())
    assert not Dataset.objects.exists()


def test_a_postgresql_system_is_scanned_with_schema_qualified_tables(world, officer, pg_database) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    source = services.create_source(
        actor=officer,
        org=world.school_c,
        name="洛阳学籍库",
        kind="postgresql",
        host="127.0.0.1",
        database=pg_database,
        username="postgres",
    )
    services.scan_source(actor=officer, source=source)
    dataset = Dataset.objects.get(source=source, source_table="xj.student")
    assert dataset.org == world.school_c and dataset.row_count == 2
    assert {f.name for f in dataset.fields.all()} == {"xm", "sfzjh", "lxdh"}
