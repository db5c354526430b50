"""Helpers for the orgs tests: spreadsheets in the officials' format, and row counts."""

from __future__ import annotations

import csv
import io

import pytest

from edubase.core.models import AuditEvent
from edubase.core.tabular import write_xlsx
from edubase.orgs.models import Org, OrgHistory, SchoolCode

HEADER = ["学校标识码", "学校名称", "学校类别", "所在县区代码", "地址"]


def xlsx(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    return write_xlsx(header, rows)


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def row_counts() -> tuple[int, int, int, int]:
    """Everything an import could write."""
    return (Org.objects.count(), SchoolCode.objects.count(), OrgHistory.objects.count(), AuditEvent.objects.count())


@pytest.fixture
def superuser(world):  # type: ignore[no-untyped-def]
    from tests.factories import make_user

    return make_user("root", superuser=True)
