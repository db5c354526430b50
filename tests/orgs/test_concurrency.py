"""Two officials issuing codes at the same moment never get the same code.

On PostgreSQL the writers really race (threads, separate connections and transactions);
SQLite serialises writers anyway, so there the same writers run one after the other.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from edubase.orgs import services
from edubase.orgs.models import Org, SchoolCode

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PER_WRITER = 5


def test_concurrent_writers_never_share_a_code(world):
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(parent: Org, label: str, wait: bool) -> None:
        try:
            if wait:
                barrier.wait(timeout=10)
            for i in range(PER_WRITER):
                with transaction.atomic():
                    services.create_school(
                        actor=world.province_admin,
                        parent=Org.objects.get(pk=parent.pk),
                        name=f"{label}{i}",
                        category="11",
                    )
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            if wait:
                connections.close_all()

    jobs = [(world.zhongyuan, "中原区并发幼儿园"), (world.jinshui, "金水区并发幼儿园")]
    if connection.vendor == "postgresql":
        threads = [threading.Thread(target=writer, args=(parent, label, True)) for parent, label in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    else:
        for parent, label in jobs:
            writer(parent, label, False)
    assert errors == []
    codes = sorted(SchoolCode.objects.filter(code__startswith="1141").values_list("code", flat=True))
    assert codes == [f"1141{n:06d}" for n in range(1, 2 * PER_WRITER + 1)]
    assert Org.objects.filter(code__startswith="1141").count() == 2 * PER_WRITER
