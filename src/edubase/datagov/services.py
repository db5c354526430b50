"""Every write of the data catalogue: sources, scans, review, datasets, publishing, rules, reference data.

Each function checks the actor's permission on the org concerned, writes, and records an audit
event. Source passwords never reach an audit event: events say only whether one is set.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from edubase.core import audit
from edubase.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from edubase.core.scope import require, scope_for
from edubase.datagov import masking
from edubase.datagov.classify import ENTITIES, classify_column, normalise_column_name, scan_text
from edubase.datagov.connectors import SourceError, open_connector
from edubase.datagov.grading import DEFAULT_RULES, FieldGrade, grade_dataset, grade_field, validate_rules
from edubase.datagov.models import (
    ClassificationCorrection,
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
    SourceKind,
    UpdateFrequency,
)
from edubase.datagov.search import dataset_search_text
from edubase.datagov.selectors import CHANGE, MANAGE, VIEW

#: rows sampled per table for classification
SAMPLE_SIZE = 200
#: masked samples kept per field for the pages
KEPT_SAMPLES = 5
SAMPLE_CHARS = 60
_SOURCE_FIELDS = ("name", "kind", "system_name", "description", "location", "host", "port", "database", "username")


class ScanRefused(DomainError):
    code = "datagov_scan_refused"
    message = "无法扫描该数据源"


class PublishRefused(DomainError):
    code = "datagov_publish_refused"
    message = "数据集暂不能发布"
    status = 409


# --------------------------------------------------------------------------- helpers


def _require_province(actor: Any, permission: str) -> None:
    """National reference data and rules are changed only by holders of ``permission`` on a whole province."""
    scope = scope_for(actor, permission)
    if not (scope.everything or any(len(p) <= 4 for p in scope.paths)):
        raise PermissionDenied("仅省级数据管理人员可以执行此操作")


def _source_view(source: DataSource) -> dict[str, Any]:
    """What an audit event or an answer may say about a source (never the password)."""
    data = {name: getattr(source, name) for name in _SOURCE_FIELDS}
    data["has_secret"] = bool(source.secret)
    return data


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.hex()[:64]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _masked_samples(entity: str | None, values: Sequence[str | None]) -> list[str]:
    """A few distinct samples, masked: by the column's entity, or span by span where a value scan finds one."""
    kept: list[str] = []
    for value in values:
        if not value or value in kept:
            continue
        text = value[:SAMPLE_CHARS]
        if entity:
            masked = masking.mask(entity, text)
        else:
            masked = text
            for match in sorted(scan_text(text), key=lambda m: m.start, reverse=True):
                masked = (
                    masked[: match.start]
                    + masking.mask(match.entity, masked[match.start : match.end])
                    + masked[match.end :]
                )
        if masked not in kept:
            kept.append(masked)
        if len(kept) >= KEPT_SAMPLES:
            break
    return kept


def _element_for(entity: str | None, column: str, elements: dict[str, DataElement]) -> DataElement | None:
    """The JY/T data element of a column: by its entity, else by a name equal to an element's code or name."""
    if entity and entity in ENTITIES and ENTITIES[entity].jyt_element:
        found = elements.get(ENTITIES[entity].jyt_element or "")
        if found is not None:
            return found
    key = column.strip()
    upper = re.sub(r"[^A-Za-z]", "", key).upper()
    if upper in elements:
        return elements[upper]
    for element in elements.values():
        if element.name == key:
            return element
    return None


def active_rule_set() -> tuple[int, dict[str, Any]]:
    """(version, rules) in force; the built-in GB/T 43697 defaults (version 0) until a version is saved."""
    current = GradingRuleSet.objects.filter(active=True).first()
    if current is None:
        return 0, DEFAULT_RULES
    return current.version, current.rules


def _apply_grade(target: DataField | Dataset, grade: FieldGrade) -> None:
    target.grade_category = grade.category
    target.grade_level = grade.level
    target.grade_reason = grade.reason[:500]
    target.personal = grade.personal
    target.sensitive = grade.sensitive


def _grade_of_field(f: DataField, rules: dict[str, Any], minors: bool) -> FieldGrade:
    return grade_field(f.entity or None, rules=rules, minors_under_14=minors)


def _regrade_dataset(dataset: Dataset, *, rules: dict[str, Any] | None = None, version: int | None = None) -> None:
    """Grade every field of ``dataset`` and the dataset (the highest of its fields), and refresh its search text."""
    if rules is None:
        version, rules = active_rule_set()
    fields = list(dataset.fields.select_related("data_element"))
    grades = []
    for f in fields:
        grade = _grade_of_field(f, rules, dataset.minors_under_14)
        _apply_grade(f, grade)
        grades.append(grade)
    DataField.objects.bulk_update(
        fields, ["grade_category", "grade_level", "grade_reason", "personal", "sensitive"], batch_size=500
    )
    _apply_grade(dataset, grade_dataset(grades, rows=dataset.row_count, rules=rules))
    dataset.rule_set_version = version
    dataset.search_text = dataset_search_text(dataset, fields)
    dataset.save()


def _org(org_id: Any) -> Any:
    from edubase.orgs.models import Org

    try:
        return Org.objects.get(pk=int(org_id))
    except (Org.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound("机构不存在") from exc


# --------------------------------------------------------------------------- sources


def create_source(
    *,
    actor: Any,
    org: Any,
    name: str,
    kind: str,
    location: str = "",
    host: str = "",
    port: int | None = None,
    database: str = "",
    username: str = "",
    password: str | None = None,
    system_name: str = "",
    description: str = "",
) -> DataSource:
    """Register a data source of ``org`` (the password is sealed at rest and never shown again)."""
    require(actor, CHANGE, path=org.path)
    source = DataSource(org=org, org_path=org.path, created_by=actor if getattr(actor, "pk", None) else None)
    _fill_source(
        source,
        name=name,
        kind=kind,
        location=location,
        host=host,
        port=port,
        database=database,
        username=username,
        system_name=system_name,
        description=description,
    )
    if password:
        source.secret = password
    if DataSource.objects.filter(org=org, name=source.name).exists():
        raise ValidationFailed(f"本单位已有名为「{source.name}」的数据源")
    source.save()
    audit.record(actor=actor, action="datagov.source.created", obj=source, org=org, after=_source_view(source))
    return source


def _fill_source(source: DataSource, **values: Any) -> None:
    problems: list[str] = []
    name = (values.get("name") or "").strip()
    kind = values.get("kind") or ""
    if not name:
        problems.append("请填写数据源名称")
    if kind not in SourceKind.values:
        problems.append("数据源类型应为 file、postgresql、mysql 或 sqlite")
    if kind in (SourceKind.FILE, SourceKind.SQLITE) and not (values.get("location") or "").strip():
        problems.append("文件类数据源须填写文件路径")
    if kind in (SourceKind.POSTGRESQL, SourceKind.MYSQL):
        if not (values.get("host") or "").strip():
            problems.append("数据库类数据源须填写主机")
        if not (values.get("database") or "").strip():
            problems.append("数据库类数据源须填写数据库名")
        port = values.get("port")
        if port is not None and not 0 < int(port) < 65536:
            problems.append("端口应在 1–65535 之间")
    if problems:
        raise ValidationFailed("；".join(problems), details=problems)
    for key, value in values.items():
        setattr(source, key, value.strip() if isinstance(value, str) else value)


def update_source(
    *, actor: Any, source: DataSource, password: str | None = None, clear_password: bool = False, **values: Any
) -> DataSource:
    """Change a source's settings; ``password=None`` keeps the stored one."""
    require(actor, CHANGE, path=source.org_path)
    before = _source_view(source)
    merged = {name: getattr(source, name) for name in _SOURCE_FIELDS} | {
        k: v for k, v in values.items() if k in _SOURCE_FIELDS
    }
    _fill_source(source, **merged)
    if clear_password:
        source.secret = None
    elif password:
        source.secret = password
    source.save()
    audit.record(
        actor=actor,
        action="datagov.source.updated",
        obj=source,
        org=source.org,
        before=before,
        after=_source_view(source),
    )
    return source


def delete_source(*, actor: Any, source: DataSource) -> None:
    """Remove a source; its datasets stay in the catalogue, detached from it."""
    require(actor, CHANGE, path=source.org_path)
    before = _source_view(source)
    audit.record(actor=actor, action="datagov.source.deleted", obj=source, org=source.org, before=before)
    source.delete()


def check_source(*, actor: Any, source: DataSource) -> dict[str, Any]:
    """Connect to a source and list its tables (nothing is written but the audit event)."""
    require(actor, CHANGE, path=source.org_path)
    with open_connector(source) as connector:
        tables = connector.tables()
    audit.record(actor=actor, action="datagov.source.tested", obj=source, org=source.org, after={"tables": len(tables)})
    return {"ok": True, "tables": tables}


# --------------------------------------------------------------------------- scanning


@dataclass
class TableReport:
    """What one table's scan found."""

    table: str
    dataset_id: int
    rows: int
    fields: int
    personal: int
    sensitive: int
    needs_review: int
    grade: str
    encoding: str | None = None


@dataclass
class ScanReport:
    """What a scan of a source found, table by table."""

    source: str
    tables: list[TableReport] = field(default_factory=list)
    rule_set_version: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rule_set_version": self.rule_set_version,
            "tables": [asdict(t) for t in self.tables],
            "fields": sum(t.fields for t in self.tables),
            "sensitive": sum(t.sensitive for t in self.tables),
            "needs_review": sum(t.needs_review for t in self.tables),
        }


def scan_source(
    *, actor: Any, source: DataSource, tables: Sequence[str] | None = None, sample_size: int = SAMPLE_SIZE
) -> ScanReport:
    """Scan a source's tables into datasets and fields, classified and graded; all or nothing.

    Reviewer corrections remembered for each dataset are fed back into the classification.
    """
    require(actor, CHANGE, path=source.org_path)
    version, rules = active_rule_set()
    elements = {e.code: e for e in DataElement.objects.all()}
    report = ScanReport(source=source.name, rule_set_version=version)
    with transaction.atomic():
        with open_connector(source) as connector:
            available = connector.tables()
            chosen = list(tables) if tables else available
            unknown = [t for t in chosen if t not in available]
            if unknown:
                raise ScanRefused(f"数据源中不存在表：{'、'.join(unknown)}")
            if not chosen:
                raise ScanRefused("数据源中没有可扫描的表或文件")
            for table in chosen:
                report.tables.append(
                    _scan_table(
                        connector,
                        source,
                        table,
                        sample_size=sample_size,
                        rules=rules,
                        version=version,
                        elements=elements,
                    )
                )
        source.last_scanned_at = timezone.now()
        source.last_scan_summary = report.as_dict()
        source.save(update_fields=["last_scanned_at", "last_scan_summary", "updated_at"])
        audit.record(actor=actor, action="datagov.source.scanned", obj=source, org=source.org, after=report.as_dict())
    return report


def _scan_table(
    connector: Any,
    source: DataSource,
    table: str,
    *,
    sample_size: int,
    rules: dict[str, Any],
    version: int,
    elements: dict[str, DataElement],
) -> TableReport:
    columns = connector.columns(table)
    if not columns:
        raise ScanRefused(f"表「{table}」没有字段")
    rows = connector.row_count(table)
    sample = connector.sample(table, sample_size)
    dataset = Dataset.objects.filter(source=source, source_table=table).first()
    if dataset is None:
        default_name = connector.table_comment(table) or table.split("#")[-1]
        dataset = Dataset.objects.create(
            org=source.org, org_path=source.org_path, source=source, source_table=table, name=default_name[:200]
        )
    corrections: dict[str, str | None] = {c.column_key: (c.entity or None) for c in dataset.corrections.all()}
    existing = {f.name: f for f in dataset.fields.all()}
    now = timezone.now()
    kept: list[DataField] = []
    for position, column in enumerate(columns):
        values = [_text(row[position]) if position < len(row) else None for row in sample]
        verdict = classify_column(name=column.name, comment=column.comment, values=values, corrections=corrections)
        f = existing.pop(column.name, None) or DataField(dataset=dataset, name=column.name)
        key = normalise_column_name(column.name)
        f.position = position
        f.comment = column.comment[:500]
        f.data_type = column.data_type[:100]
        f.nullable = column.nullable
        f.sampled = verdict.sampled
        f.hits = verdict.hits
        f.null_count = sum(1 for v in values if not v)
        f.detected_entity = verdict.entity or ""
        f.confidence = round(float(verdict.confidence), 4)
        f.evidence = [str(e)[:200] for e in verdict.evidence][:10]
        if key in corrections:
            f.entity = corrections[key] or ""
            if f.review_state not in (ReviewState.CONFIRMED, ReviewState.CORRECTED):
                f.review_state = ReviewState.CORRECTED
        else:
            f.entity = verdict.entity or ""
            f.review_state = ReviewState.NEEDS_REVIEW if verdict.needs_review else ReviewState.AUTO
            f.reviewed_by, f.reviewed_at = None, None
        f.samples_masked = _masked_samples(f.entity or None, values)
        f.data_element = _element_for(f.entity or None, column.name, elements)
        f.save()
        kept.append(f)
    for gone in existing.values():
        gone.delete()  # the column no longer exists at the source
    dataset.row_count = rows
    dataset.last_scanned_at = now
    _regrade_dataset(dataset, rules=rules, version=version)
    fields = list(dataset.fields.all())
    return TableReport(
        table=table,
        dataset_id=dataset.pk,
        rows=rows,
        fields=len(fields),
        personal=sum(1 for f in fields if f.personal),
        sensitive=sum(1 for f in fields if f.sensitive),
        needs_review=sum(1 for f in fields if f.review_state == ReviewState.NEEDS_REVIEW),
        grade=dataset.grade_category,
        encoding=connector.encoding_of(table),
    )


# --------------------------------------------------------------------------- review


def review_field(*, actor: Any, field: DataField, entity: str | None, note: str = "") -> DataField:
    """Confirm or correct a field's classification; the decision is remembered for the next scan of its dataset."""
    dataset = field.dataset
    require(actor, CHANGE, path=dataset.org_path)
    entity = entity or None
    if entity is not None and entity not in ENTITIES:
        raise ValidationFailed(f"未知的数据类别：{entity}")
    before = {"entity": field.entity, "review_state": field.review_state}
    changed = (entity or "") != field.entity
    field.review_state = ReviewState.CORRECTED if changed else ReviewState.CONFIRMED
    if changed:
        # earlier samples were masked for the old class: mask again for the new one
        field.samples_masked = (
            [masking.mask(entity, s) for s in field.samples_masked] if entity else field.samples_masked
        )
    field.entity = entity or ""
    field.reviewed_by = actor if getattr(actor, "pk", None) else None
    field.reviewed_at = timezone.now()
    field.data_element = _element_for(entity, field.name, {e.code: e for e in DataElement.objects.all()})
    field.save()
    ClassificationCorrection.objects.update_or_create(
        dataset=dataset,
        column_key=normalise_column_name(field.name),
        defaults={"entity": entity or "", "note": note[:500], "corrected_by": field.reviewed_by},
    )
    _regrade_dataset(dataset)
    audit.record(
        actor=actor,
        action="datagov.field.reviewed",
        obj=field,
        org=dataset.org,
        before=before,
        after={"entity": field.entity, "review_state": field.review_state, "note": note[:500]},
    )
    return field


# --------------------------------------------------------------------------- datasets


def create_dataset(
    *,
    actor: Any,
    org: Any,
    name: str,
    description: str = "",
    tags: Sequence[str] = (),
    update_frequency: str = UpdateFrequency.IRREGULAR,
    derived_from: Iterable[Dataset] = (),
) -> Dataset:
    """Add a dataset with no scanned source (e.g. one derived from others) to the catalogue."""
    require(actor, CHANGE, path=org.path)
    if not name.strip():
        raise ValidationFailed("请填写数据集名称")
    if update_frequency not in UpdateFrequency.values:
        raise ValidationFailed("更新频率取值无效")
    dataset = Dataset.objects.create(
        org=org,
        org_path=org.path,
        name=name.strip()[:200],
        description=description,
        tags=_clean_tags(tags),
        update_frequency=update_frequency,
    )
    _set_lineage(actor, dataset, list(derived_from))
    _regrade_dataset(dataset)
    audit.record(actor=actor, action="datagov.dataset.created", obj=dataset, org=org, after=_dataset_view(dataset))
    return dataset


def _clean_tags(tags: Iterable[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        tag = str(tag).strip()[:30]
        if tag and tag not in out:
            out.append(tag)
    return out[:20]


def _dataset_view(dataset: Dataset) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "description": dataset.description,
        "tags": dataset.tags,
        "update_frequency": dataset.update_frequency,
        "steward": dataset.steward_id,
        "minors_under_14": dataset.minors_under_14,
        "grade": [dataset.grade_category, dataset.grade_level],
        "derived_from": sorted(dataset.derived_from.values_list("pk", flat=True)) if dataset.pk else [],
    }


def _set_lineage(actor: Any, dataset: Dataset, upstream: list[Dataset]) -> None:
    visible = scope_for(actor, VIEW)
    for parent in upstream:
        if parent.pk == dataset.pk:
            raise ValidationFailed("数据集不能来源于自身")
        if not (visible.covers(parent.org_path) or parent.published):
            raise NotFound("来源数据集不存在或不在您的管辖范围内")
        if dataset.pk in _ancestors(parent.pk):
            raise ValidationFailed(f"血缘关系成环：「{parent.name}」已来源于本数据集")
    dataset.derived_from.set(upstream)


def _ancestors(dataset_id: int) -> set[int]:
    """Every dataset upstream of ``dataset_id`` (walks the lineage table breadth first)."""
    link = Dataset.derived_from.through
    seen: set[int] = set()
    frontier = {dataset_id}
    while frontier:
        parents = set(link.objects.filter(from_dataset_id__in=frontier).values_list("to_dataset_id", flat=True))
        frontier = parents - seen
        seen |= parents
    return seen


def update_dataset(
    *,
    actor: Any,
    dataset: Dataset,
    name: str | None = None,
    description: str | None = None,
    tags: Sequence[str] | None = None,
    update_frequency: str | None = None,
    steward: Any = None,
    minors_under_14: bool | None = None,
    derived_from: Iterable[Dataset] | None = None,
) -> Dataset:
    """Edit a dataset's catalogue entry; a change to ``minors_under_14`` re-grades it (PIPL art. 28)."""
    require(actor, CHANGE, path=dataset.org_path)
    before = _dataset_view(dataset)
    if name is not None:
        if not name.strip():
            raise ValidationFailed("请填写数据集名称")
        dataset.name = name.strip()[:200]
    if description is not None:
        dataset.description = description
    if tags is not None:
        dataset.tags = _clean_tags(tags)
    if update_frequency is not None:
        if update_frequency not in UpdateFrequency.values:
            raise ValidationFailed("更新频率取值无效")
        dataset.update_frequency = update_frequency
    if steward is not None:
        if not scope_for(steward, VIEW).covers(dataset.org_path):
            raise ValidationFailed("数据管理员须对本单位数据有查看权限")
        dataset.steward = steward
    if minors_under_14 is not None:
        dataset.minors_under_14 = minors_under_14
    if derived_from is not None:
        _set_lineage(actor, dataset, list(derived_from))
    _regrade_dataset(dataset)
    audit.record(
        actor=actor,
        action="datagov.dataset.updated",
        obj=dataset,
        org=dataset.org,
        before=before,
        after=_dataset_view(dataset),
    )
    return dataset


def catalogue_entry(dataset: Dataset) -> dict[str, Any]:
    """The catalogue entry of a dataset as published and exported (never samples)."""
    return {
        "id": dataset.pk,
        "name": dataset.name,
        "org": dataset.org.name,
        "org_code": dataset.org.code,
        "description": dataset.description,
        "tags": list(dataset.tags or []),
        "source_system": (dataset.source.system_name or dataset.source.name) if dataset.source else "",
        "source_table": dataset.source_table,
        "update_frequency": str(dataset.get_update_frequency_display()),
        "steward": dataset.steward.get_username() if dataset.steward else "",
        "rows": dataset.row_count,
        "grade_category": dataset.grade_category,
        "grade": str(dataset.get_grade_category_display()),
        "grade_level": dataset.grade_level,
        "grade_reason": dataset.grade_reason,
        "personal": dataset.personal,
        "sensitive": dataset.sensitive,
        "minors_under_14": dataset.minors_under_14,
        "derived_from": sorted(dataset.derived_from.values_list("name", flat=True)),
        "version": dataset.published_version,
        "fields": [
            {
                "name": f.name,
                "comment": f.comment,
                "data_type": f.data_type,
                "data_element": f.data_element.code if f.data_element else "",
                "entity": f.entity,
                "entity_label": ENTITIES[f.entity].label_zh if f.entity in ENTITIES else "",
                "grade_category": f.grade_category,
                "grade_level": f.grade_level,
                "personal": f.personal,
                "sensitive": f.sensitive,
            }
            for f in dataset.fields.select_related("data_element").order_by("position", "pk")
        ],
    }


def publish_dataset(*, actor: Any, dataset: Dataset) -> DatasetRelease:
    """Publish the dataset's entry to the catalogue as a new version (发布); refused while fields await review."""
    require(actor, CHANGE, path=dataset.org_path)
    waiting = dataset.fields.filter(review_state=ReviewState.NEEDS_REVIEW).count()
    if waiting:
        raise PublishRefused(f"尚有 {waiting} 个字段待复核，复核后才能发布")
    if not dataset.description.strip():
        raise PublishRefused("请先填写数据集描述再发布")
    dataset.published = True
    dataset.published_version += 1
    dataset.published_at = timezone.now()
    dataset.save(update_fields=["published", "published_version", "published_at", "updated_at"])
    release = DatasetRelease.objects.create(
        dataset=dataset,
        version=dataset.published_version,
        snapshot=json.loads(json.dumps(catalogue_entry(dataset), ensure_ascii=False, default=str)),
        published_by=actor if getattr(actor, "pk", None) else None,
        published_at=dataset.published_at,
    )
    audit.record(
        actor=actor,
        action="datagov.dataset.published",
        obj=dataset,
        org=dataset.org,
        after={"version": release.version},
    )
    return release


def unpublish_dataset(*, actor: Any, dataset: Dataset) -> Dataset:
    """Withdraw a dataset from the published catalogue (its releases stay as history)."""
    require(actor, CHANGE, path=dataset.org_path)
    if not dataset.published:
        raise PublishRefused("数据集尚未发布")
    dataset.published = False
    dataset.save(update_fields=["published", "updated_at"])
    audit.record(actor=actor, action="datagov.dataset.unpublished", obj=dataset, org=dataset.org)
    return dataset


# --------------------------------------------------------------------------- grading rules


def save_rule_set(*, actor: Any, rules: dict[str, Any], note: str = "") -> GradingRuleSet:
    """Save edited grading rules as a new active version and re-grade every dataset under them."""
    _require_province(actor, MANAGE)
    problems = validate_rules(rules)
    if problems:
        raise ValidationFailed("分级规则有误：" + "；".join(problems), details=problems)
    latest = GradingRuleSet.objects.order_by("-version").first()
    GradingRuleSet.objects.filter(active=True).update(active=False)
    rule_set = GradingRuleSet.objects.create(
        version=(latest.version + 1) if latest else 1,
        rules=rules,
        note=note[:500],
        active=True,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    for dataset in Dataset.objects.all():
        _regrade_dataset(dataset, rules=rules, version=rule_set.version)
    audit.record(
        actor=actor, action="datagov.rules.saved", obj=rule_set, after={"version": rule_set.version, "note": note[:500]}
    )
    return rule_set


# --------------------------------------------------------------------------- reference data


def load_reference(*, actor: Any) -> dict[str, Any]:
    """Load the national code tables and JY/T data elements; a table whose content is unchanged is kept.

    Also seeds the default grading rules as version 1 when none exist. ``actor=None`` is the
    command line (a system action)."""
    from edubase.datagov.reference import TABLES
    from edubase.datagov.reference.jyt import ELEMENTS
    from edubase.datagov.reference.jyt import STANDARD as JYT_STANDARD

    if actor is not None:
        _require_province(actor, MANAGE)
    summary: dict[str, Any] = {"tables": {}, "elements": 0, "rules_seeded": False}
    for ref in TABLES:
        items = ref.items()
        checksum = hashlib.sha256(json.dumps(items, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
        table, _ = CodeTable.objects.update_or_create(
            slug=ref.slug, defaults={"standard": ref.standard, "name": ref.name}
        )
        current = table.versions.filter(current=True).first()
        if current is not None and current.checksum == checksum:
            summary["tables"][ref.slug] = {"version": current.version, "items": len(items), "loaded": False}
            continue
        version = ref.version()
        if table.versions.filter(version=version).exists():
            version = f"{version}+{checksum[:8]}"
        table.versions.filter(current=True).update(current=False)
        loaded = CodeTableVersion.objects.create(table=table, version=version, source=ref.source, checksum=checksum)
        CodeItem.objects.bulk_create(
            [CodeItem(version=loaded, code=c, name=n, parent_code=p, extra=x) for c, n, p, x in items], batch_size=2000
        )
        summary["tables"][ref.slug] = {"version": version, "items": len(items), "loaded": True}
    tables = {t.slug: t for t in CodeTable.objects.all()}
    for element in ELEMENTS:
        DataElement.objects.update_or_create(
            code=element.code,
            defaults={
                "name": element.name,
                "standard": JYT_STANDARD,
                "data_type": element.data_type,
                "length": element.length,
                "description": element.description,
                "code_table": tables.get(element.code_table),
                "entity": element.entity,
            },
        )
    summary["elements"] = len(ELEMENTS)
    if not GradingRuleSet.objects.exists():
        GradingRuleSet.objects.create(version=1, rules=DEFAULT_RULES, note="GB/T 43697-2024 默认规则", active=True)
        summary["rules_seeded"] = True
    audit.record(actor=actor, action="datagov.reference.loaded", object_type="datagov.reference", after=summary)
    return summary


__all__ = [
    "KEPT_SAMPLES",
    "SAMPLE_SIZE",
    "PublishRefused",
    "ScanRefused",
    "ScanReport",
    "SourceError",
    "TableReport",
    "active_rule_set",
    "catalogue_entry",
    "check_source",
    "create_dataset",
    "create_source",
    "delete_source",
    "load_reference",
    "publish_dataset",
    "review_field",
    "save_rule_set",
    "scan_source",
    "unpublish_dataset",
    "update_dataset",
    "update_source",
]
