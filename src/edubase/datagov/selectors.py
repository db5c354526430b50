"""Scoped reads of the data catalogue; every one starts from ``core.scope``.

Sources, datasets and fields are seen with ``datagov.view`` on their owner org's subtree. The
published catalogue (names, descriptions, fields and grades, never samples) is open to anyone
holding ``datagov.view`` somewhere: publishing is how a bureau tells others what it can share.
Code tables, data elements and grading rules are national reference data, open the same way.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from edubase.core.errors import NotFound, PermissionDenied
from edubase.core.scope import has_anywhere, scope_for
from edubase.datagov.models import (
    CodeItem,
    CodeTable,
    CodeTableVersion,
    DataElement,
    DataField,
    Dataset,
    DatasetRelease,
    DataSource,
    GradingRuleSet,
    ReviewState,
)

VIEW = "datagov.view"
CHANGE = "datagov.change"
MANAGE = "datagov.manage"


def sources_for(actor: Any, *, permission: str = VIEW) -> QuerySet[DataSource]:
    """Data sources of orgs in the actor's scope."""
    return DataSource.objects.filter(scope_for(actor, permission).q("org_path")).select_related("org")


def get_source(actor: Any, source_id: Any, *, permission: str = VIEW) -> DataSource:
    """One source in scope (NotFound otherwise: no leak of what exists elsewhere)."""
    try:
        pk = uuid.UUID(str(source_id))
    except ValueError as exc:
        raise NotFound() from exc
    found = sources_for(actor, permission=permission).filter(pk=pk).first()
    if found is None:
        if permission != VIEW and sources_for(actor).filter(pk=pk).exists():
            raise PermissionDenied()
        raise NotFound()
    return found


def datasets_for(actor: Any, *, permission: str = VIEW) -> QuerySet[Dataset]:
    """Datasets of orgs in the actor's scope, with the counts the lists show."""
    return (
        Dataset.objects.filter(scope_for(actor, permission).q("org_path"))
        .select_related("org", "source", "steward")
        .annotate(
            field_count=Count("fields", distinct=True),
            review_count=Count("fields", filter=Q(fields__review_state=ReviewState.NEEDS_REVIEW), distinct=True),
        )
    )


def get_dataset(actor: Any, dataset_id: Any, *, permission: str = VIEW) -> Dataset:
    """One dataset in scope, with its fields; PermissionDenied if seen but not changeable."""
    found = (
        Dataset.objects.filter(scope_for(actor, permission).q("org_path"), pk=_int(dataset_id))
        .select_related("org", "source", "steward")
        .prefetch_related(Prefetch("fields", queryset=DataField.objects.select_related("data_element")))
        .first()
    )
    if found is None:
        if (
            permission != VIEW
            and Dataset.objects.filter(scope_for(actor, VIEW).q("org_path"), pk=_int(dataset_id)).exists()
        ):
            raise PermissionDenied()
        raise NotFound()
    return found


def get_field(actor: Any, field_id: Any, *, permission: str = VIEW) -> DataField:
    """One field of a dataset in scope."""
    found = (
        DataField.objects.filter(scope_for(actor, permission).q("dataset__org_path"), pk=_int(field_id))
        .select_related("dataset", "dataset__org")
        .first()
    )
    if found is None:
        if (
            permission != VIEW
            and DataField.objects.filter(scope_for(actor, VIEW).q("dataset__org_path"), pk=_int(field_id)).exists()
        ):
            raise PermissionDenied()
        raise NotFound()
    return found


def review_queue_for(actor: Any) -> QuerySet[DataField]:
    """Fields awaiting human review (待复核) that the actor may decide on, least confident first."""
    return (
        DataField.objects.filter(scope_for(actor, CHANGE).q("dataset__org_path"), review_state=ReviewState.NEEDS_REVIEW)
        .select_related("dataset", "dataset__org")
        .order_by("confidence", "dataset__name", "position")
    )


def lineage_for(actor: Any, dataset: Dataset, *, depth: int = 3) -> tuple[list[Dataset], list[tuple[int, int]]]:
    """Datasets around ``dataset`` in the lineage graph (upstream and downstream), in scope only."""
    visible = Dataset.objects.filter(scope_for(actor, VIEW).q("org_path"))
    nodes: dict[int, Dataset] = {dataset.pk: dataset}
    edges: set[tuple[int, int]] = set()
    frontier = {dataset.pk}
    Link = Dataset.derived_from.through
    for _ in range(depth):
        links = Link.objects.filter(Q(from_dataset_id__in=frontier) | Q(to_dataset_id__in=frontier))
        found: set[int] = set()
        for link in links:
            edges.add((link.to_dataset_id, link.from_dataset_id))  # upstream → derived
            found.update({link.from_dataset_id, link.to_dataset_id})
        new = found - set(nodes)
        if not new:
            break
        for row in visible.filter(pk__in=new):
            nodes[row.pk] = row
        frontier = new
    edges = {(a, b) for (a, b) in edges if a in nodes and b in nodes}
    return list(nodes.values()), sorted(edges)


def catalogue_for(actor: Any) -> QuerySet[Dataset]:
    """The published catalogue (已发布目录), open to every holder of ``datagov.view``."""
    if not has_anywhere(actor, VIEW):
        return Dataset.objects.none()
    return Dataset.objects.filter(published=True).select_related("org", "steward").order_by("org_path", "name")


def releases_of(actor: Any, dataset: Dataset) -> QuerySet[DatasetRelease]:
    """Published versions of a dataset the actor can see."""
    if not (dataset.published or scope_for(actor, VIEW).covers(dataset.org_path)):
        raise NotFound()
    return DatasetRelease.objects.filter(dataset=dataset)


def get_published(actor: Any, dataset_id: Any) -> Dataset:
    """A published catalogue entry."""
    found = catalogue_for(actor).prefetch_related("fields").filter(pk=_int(dataset_id)).first()
    if found is None:
        raise NotFound()
    return found


def _reference_reader(actor: Any) -> None:
    if not has_anywhere(actor, VIEW):
        raise PermissionDenied()


def code_tables_for(actor: Any) -> QuerySet[CodeTable]:
    """Code tables (open reference data) for holders of ``datagov.view``."""
    _reference_reader(actor)
    return CodeTable.objects.annotate(version_count=Count("versions")).order_by("standard", "slug")


def code_table_version(actor: Any, slug: str, version: str | None = None) -> CodeTableVersion:
    """The current (or named) version of a code table."""
    _reference_reader(actor)
    query = CodeTableVersion.objects.select_related("table").filter(table__slug=slug)
    found = query.filter(version=version).first() if version else query.filter(current=True).first()
    if found is None:
        raise NotFound()
    return found


def code_items(version: CodeTableVersion, *, q: str = "") -> QuerySet[CodeItem]:
    """Items of a code table version, filtered by code prefix or name."""
    items = CodeItem.objects.filter(version=version)
    if q:
        items = items.filter(Q(code__startswith=q) | Q(name__contains=q))
    return items.order_by("code")


def data_elements_for(actor: Any) -> QuerySet[DataElement]:
    """JY/T data elements (open reference data)."""
    _reference_reader(actor)
    return DataElement.objects.select_related("code_table").order_by("code")


def rule_sets_for(actor: Any) -> QuerySet[GradingRuleSet]:
    """Versions of the grading rules (open reference data)."""
    _reference_reader(actor)
    return GradingRuleSet.objects.order_by("-version")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def org_for(actor: Any, org_id: Any, *, permission: str = CHANGE) -> Any:
    """An org the actor holds ``permission`` on (NotFound otherwise, whether it exists or not)."""
    from edubase.orgs.models import Org

    org = Org.objects.filter(pk=_int(org_id)).first()
    if org is None or not scope_for(actor, permission).covers(org.path):
        raise NotFound("机构不存在或不在您的管辖范围内")
    return org


def datasets_by_ids(actor: Any, ids: list[int]) -> list[Dataset]:
    """Datasets named as lineage parents: in the actor's scope or published (NotFound for any other)."""
    found = list(
        Dataset.objects.filter(Q(published=True) | scope_for(actor, VIEW).q("org_path"), pk__in=[_int(i) for i in ids])
    )
    if len(found) != len(set(ids)):
        raise NotFound("来源数据集不存在或不在您的管辖范围内")
    return found


def code_table(actor: Any, table_id: Any) -> CodeTable:
    """One code table by id."""
    _reference_reader(actor)
    found = CodeTable.objects.filter(pk=_int(table_id)).first()
    if found is None:
        raise NotFound()
    return found


def datasets_awaiting_review() -> QuerySet[DataField, Any]:
    """Ids of datasets with a field awaiting review (a subquery; scope comes from the outer query)."""
    return DataField.objects.filter(review_state=ReviewState.NEEDS_REVIEW).values("dataset_id")


def steward_candidate(user_id: Any) -> Any:
    """An active user named as a dataset's steward (the service checks that they can see its data)."""
    from edubase.accounts.models import User

    found = User.objects.filter(pk=_int(user_id), is_active=True).first()
    if found is None:
        raise NotFound("用户不存在")
    return found


def grade_counts(actor: Any) -> dict[str, int]:
    """Datasets in scope per grade category (core / important / general)."""
    rows = (
        Dataset.objects.filter(scope_for(actor, VIEW).q("org_path"))
        .order_by()
        .values("grade_category")
        .annotate(n=Count("pk"))
    )
    return {row["grade_category"]: row["n"] for row in rows}
