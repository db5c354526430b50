"""Sharing writes: policy versions, share requests and their approval, grants, tokens, reads, leak tracing.

A share request's status follows its workflow case (``follow_case``, the ``case_changed``
receiver), however the case moves: this module's ``handle``, the generic workflow inbox or the
workflow API. The approval chain is chosen by the dataset's grade: general data → the owner
org's data officer; important data → + the city; core data or sensitive personal information
→ + the province. An approved case creates the grant (共享授权). Every read of shared rows —
an extract download or a token read — is audited and counted on the grant.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from edubase.accounts.models import RoleAssignment
from edubase.core import audit
from edubase.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from edubase.core.scope import require, scope_for
from edubase.crypto.keyring import hierarchy, root_node_id
from edubase.crypto.sm3 import hmac_sm3, sm3_kdf
from edubase.datagov.models import DataField, Dataset
from edubase.datagov.sharing import policy, watermark
from edubase.datagov.sharing.models import (
    SHARE_FINAL,
    AccessPolicy,
    Delivery,
    Extract,
    LeakTrace,
    LifecycleState,
    RetentionRule,
    ShareGrant,
    ShareRequest,
    ShareStatus,
    ShareToken,
)
from edubase.orgs.models import Org
from edubase.workflow import engine
from edubase.workflow import services as workflow_services
from edubase.workflow.models import InstanceState, ProcessDefinition, ProcessInstance, TaskStatus, WorkTask

VIEW = "datagov.view"
CHANGE = "datagov.change"
MANAGE = "datagov.manage"

PROCESS_KEY = "datagov_share"
PROCESS_NAME = "数据共享审批"
PROCESS_FILE = Path(__file__).resolve().parent / "processes" / "datagov_share.bpmn"
DECISIONS = {"approve": "同意", "reject": "不同意"}
#: approval chain per reach (1: owner org; 2: + city; 3: + province)
LEVEL_LABELS = {"org": "数据提供单位", "city": "市级", "province": "省级"}
MAX_PERIOD_DAYS = 366
EXTRACT_MAX_ROWS = 1_000_000
FEED_MAX_LIMIT = 1000
TOKEN_PREFIX = "dgs_"  # noqa: S105 - a public marker of share tokens, not a secret
#: column names (upper-cased) that carry a school/org code, for row filters by scope
ROW_CODE_COLUMNS = ("XXDM", "XXBSM", "学校代码", "学校标识码", "SCHOOL_CODE", "ORG_CODE", "机构代码", "单位代码")
#: entities whose cells a marker row replaces (the columns that make a row someone's)
DISTINCTIVE = ("person_name", "citizen_id", "student_number", "mobile", "residence_permit", "passport")


class ShareStateError(DomainError):
    code = "datagov_share_state"
    message = "当前共享申请状态下不能执行此操作"
    status = 409


class PolicyDenied(DomainError):
    code = "datagov_policy_denied"
    message = "访问策略不允许共享所申请的字段"
    status = 403


class GrantInactive(DomainError):
    code = "datagov_grant_inactive"
    message = "共享授权已到期或已撤销"
    status = 410


# --- keys ----------------------------------------------------------------------------------


def _derived(context: bytes, length: int = 32) -> bytes:
    return sm3_kdf(hierarchy().mac_key(root_node_id()) + context, length)


def watermark_cipher_key() -> bytes:
    """The platform key that hides grant ids inside trace codes."""
    return _derived(b"|datagov-watermark-cipher|", 16)


def grant_key(grant: ShareGrant) -> bytes:
    """The grant's own watermark key (derived; nothing secret stored with the grant)."""
    return hmac_sm3(_derived(b"|datagov-watermark-grant|"), f"{grant.pk}:{grant.watermark_salt}".encode())


def pseudonym_key(recipient_org: Org) -> bytes:
    """Pseudonyms join within one recipient org's extracts, never across recipients."""
    return hmac_sm3(_derived(b"|datagov-pseudonym|"), recipient_org.code.encode())


def _token_digest(raw: str) -> str:
    return hmac_sm3(_derived(b"|datagov-share-token|"), raw.encode()).hex()


# --- policy --------------------------------------------------------------------------------


def active_policy() -> tuple[int, dict[str, Any]]:
    """(version, rules) in force; the shipped defaults (version 0) until one is published."""
    row = AccessPolicy.objects.filter(active=True).first()
    return (row.version, row.rules) if row is not None else (0, policy.DEFAULT_RULES)


def _at_root(actor: Any, permission: str) -> bool:
    scope = scope_for(actor, permission)
    return scope.everything or any(scope.covers(r.path) for r in Org.objects.get_root_nodes())


def may_publish_policy(actor: Any) -> bool:
    """Whether ``actor`` may publish access policy versions (``datagov.manage`` on the province)."""
    return _at_root(actor, MANAGE)


@transaction.atomic
def publish_policy(*, actor: Any, rules: dict[str, Any], note: str = "") -> AccessPolicy:
    """Publish a new version of the access policy (province data officers and admins only)."""
    if not _at_root(actor, MANAGE):
        raise PermissionDenied("只有省级数据主管部门可以修订访问策略")
    try:
        policy.validate(rules)
    except policy.PolicyInvalid as exc:
        raise ValidationFailed(f"访问策略校验未通过：{exc}") from exc
    latest = AccessPolicy.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0
    AccessPolicy.objects.filter(active=True).update(active=False)
    row = AccessPolicy.objects.create(
        version=latest + 1, rules=rules, note=note[:500], active=True, created_by=_user(actor)
    )
    audit.record(actor=actor, action="datagov_sharing.policy.publish", obj=row, after={"version": row.version})
    return row


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None


def actor_facts(user: Any, org: Org, purpose: str) -> policy.ActorFacts:
    """The policy's view of ``user`` acting for ``org``: roles held on it or above, its level."""
    roles = {
        code
        for code, path in RoleAssignment.objects.filter(user=user).values_list("role__code", "org__path")
        if org.path.startswith(path)
    }
    kind = org.kind
    if kind in ("bureau", "unit"):
        parent = org.get_parent()
        kind = parent.kind if parent is not None else "province"
    return policy.ActorFacts(roles=frozenset(roles), org_level=policy.org_level(kind), purpose=purpose)


def field_facts(field: DataField) -> policy.FieldFacts:
    level = field.grade_level if field.grade_category == "general" else 4
    return policy.FieldFacts(
        name=field.name,
        entity=field.entity or None,
        category=field.grade_category,
        level=max(1, min(level, 4)),
        personal=field.personal,
        sensitive=field.sensitive,
    )


def _fields_of(dataset: Dataset, names: Sequence[str]) -> list[DataField]:
    by_name = {f.name: f for f in DataField.objects.filter(dataset=dataset)}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValidationFailed(f"数据集“{dataset.name}”没有字段：{'、'.join(unknown)}")
    if not names:
        raise ValidationFailed("请至少选择一个字段")
    if len(set(names)) != len(names):
        raise ValidationFailed("字段重复")
    return [by_name[n] for n in names]


def evaluate(
    *, user: Any, requester_org: Org, dataset: Dataset, fields: Sequence[str], purpose: str
) -> policy.PolicyResult:
    """The policy's verdict on each requested field for ``user`` acting for ``requester_org``."""
    if purpose not in policy.PURPOSES:
        raise ValidationFailed(f"用途“{purpose}”无效，可选：{'、'.join(policy.PURPOSES.values())}")
    _version, rules = active_policy()
    facts = [field_facts(f) for f in _fields_of(dataset, fields)]
    return policy.decide_all(facts, actor_facts(user, requester_org, purpose), rules)


def approval_levels(dataset: Dataset) -> list[str]:
    """The approval chain by grade: general → owner; important → + city; core/sensitive → + province."""
    if dataset.grade_category == "core" or dataset.sensitive:
        return ["org", "city", "province"]
    if dataset.grade_category == "important":
        return ["org", "city"]
    return ["org"]


# --- the process ---------------------------------------------------------------------------


def publish_process(*, actor: Any = None) -> ProcessDefinition | None:
    """Publish the shipped ``datagov_share`` BPMN when it differs from the latest version."""
    xml = PROCESS_FILE.read_text(encoding="utf-8")
    digest = hashlib.new("sm3", xml.encode("utf-8")).hexdigest()
    latest = ProcessDefinition.objects.filter(key=PROCESS_KEY).order_by("-version").first()
    if latest is not None and latest.digest_sm3 == digest:
        return None
    return workflow_services.publish_definition(actor=actor, key=PROCESS_KEY, name=PROCESS_NAME, bpmn_xml=xml)


def _ensure_process() -> None:
    if not ProcessDefinition.objects.filter(key=PROCESS_KEY).exists():
        publish_process(actor=None)


# --- requests ------------------------------------------------------------------------------


def _audit(actor: Any, action: str, obj: Any, org: Any, **after: Any) -> None:
    audit.record(actor=actor, action=f"datagov_sharing.{action}", obj=obj, org=org, after=after or None)


def lifecycle_state(dataset: Dataset) -> str:
    rule = RetentionRule.objects.filter(dataset=dataset).first()
    return rule.state if rule is not None else LifecycleState.ACTIVE


@transaction.atomic
def submit_request(
    *,
    actor: Any,
    dataset: Dataset,
    requester_org: Org,
    fields: Sequence[str],
    purpose: str,
    purpose_detail: str,
    period_start: dt.date,
    period_end: dt.date,
    delivery: str = Delivery.EXTRACT,
    row_org: Org | None = None,
) -> ShareRequest:
    """Submit a share request (共享申请); the policy is checked first and the approval case started."""
    require(actor, CHANGE, path=requester_org.path)
    if not (dataset.published or scope_for(actor, VIEW).covers(dataset.org_path)):
        raise NotFound("数据集不存在或尚未发布到数据目录")
    if lifecycle_state(dataset) != LifecycleState.ACTIVE:
        raise ShareStateError("数据集已归档或已删除，不能再申请共享")
    if delivery not in Delivery.values:
        raise ValidationFailed("交付方式无效，可选：脱敏数据文件、接口令牌读取")
    if not purpose_detail.strip():
        raise ValidationFailed("请填写用途说明（用于审批与审计）")
    today = timezone.localdate()
    if period_end < period_start:
        raise ValidationFailed("使用期限的截止日期早于起始日期")
    if period_end < today:
        raise ValidationFailed("使用期限已过")
    if (period_end - period_start).days > MAX_PERIOD_DAYS:
        raise ValidationFailed(f"使用期限不能超过 {MAX_PERIOD_DAYS} 天，到期后请重新申请")
    if row_org is not None and not row_org.path.startswith(dataset.org_path):
        raise ValidationFailed(f"数据范围“{row_org.name}”不在数据提供单位“{dataset.org.name}”的范围内")
    verdicts = evaluate(user=actor, requester_org=requester_org, dataset=dataset, fields=fields, purpose=purpose)
    denied = verdicts.denied()
    if denied:
        raise PolicyDenied(
            "访问策略不允许共享以下字段：" + "；".join(f"{d.field}（{d.reason}）" for d in denied),
            details=[{"field": d.field, "effect": d.effect, "rule": d.rule, "reason": d.reason} for d in denied],
        )
    version, _rules = active_policy()
    levels = approval_levels(dataset)
    request = ShareRequest.objects.create(
        requester=actor,
        requester_org=requester_org,
        requester_path=requester_org.path,
        dataset=dataset,
        org=dataset.org,
        org_path=dataset.org_path,
        fields=list(fields),
        purpose=purpose,
        purpose_detail=purpose_detail.strip(),
        period_start=period_start,
        period_end=period_end,
        delivery=delivery,
        row_org=row_org,
        grade_category=dataset.grade_category,
        approval_levels=levels,
        policy_version=version,
        decisions=[
            {"field": d.field, "effect": d.effect, "rule": d.rule, "reason": d.reason} for d in verdicts.decisions
        ],
    )
    request.number = f"GX{timezone.now():%Y%m%d}{request.pk:06d}"
    _ensure_process()
    request.instance = engine.start(
        PROCESS_KEY, subject=request, org=dataset.org, actor=actor, data={"reach": len(levels)}
    )
    request.save()
    _audit(
        actor, "request.submit", request, dataset.org, number=request.number, dataset=dataset.pk, fields=list(fields)
    )
    return request


def follow_case(*, instance: ProcessInstance, task: WorkTask | None = None, actor: Any = None, **_: Any) -> None:
    """``case_changed`` receiver: the share request of a case follows it (and grants on approval)."""
    request = ShareRequest.objects.select_for_update(of=("self",)).filter(instance_id=instance.pk).first()
    if request is None:
        return
    own = task is not None and actor is not None and getattr(actor, "pk", None) == request.requester_id
    if own and task is not None and task.role_code:  # separation of duties: nobody approves their own request
        raise PermissionDenied("不能审批本人提交的共享申请")
    _follow(request, actor)


def _follow(request: ShareRequest, actor: Any) -> None:
    if request.instance_id is None:
        return
    instance = ProcessInstance.objects.get(pk=request.instance_id)
    if instance.state == InstanceState.COMPLETED:
        request.status = ShareStatus.APPROVED if instance.outcome == "approved" else ShareStatus.REJECTED
        request.decided_at = timezone.now()
        if request.status == ShareStatus.REJECTED and not request.decision_reason:
            last = WorkTask.objects.filter(instance=instance, status=TaskStatus.COMPLETED).order_by("-pk").first()
            request.decision_reason = str((last.form_data or {}).get("reason", "")) if last is not None else ""
        request.save()
        if request.status == ShareStatus.APPROVED and not ShareGrant.objects.filter(request=request).exists():
            _grant(request, actor)
        return
    if instance.state == InstanceState.CANCELLED:
        request.status = ShareStatus.WITHDRAWN
        request.decided_at = timezone.now()
    elif WorkTask.objects.filter(instance=instance, status=TaskStatus.COMPLETED).exclude(role_code="").exists():
        request.status = ShareStatus.IN_REVIEW
    else:
        request.status = ShareStatus.SUBMITTED
    request.save()


def _row_column(dataset: Dataset) -> str | None:
    for field in DataField.objects.filter(dataset=dataset).select_related("data_element"):
        code = (field.data_element.code if field.data_element else "").upper()
        if code in ROW_CODE_COLUMNS or field.name.strip().upper() in ROW_CODE_COLUMNS:
            return field.name
    return None


def _grant(request: ShareRequest, actor: Any) -> ShareGrant:
    """Create the grant of an approved request: effects re-checked against today's policy (never wider)."""
    dataset = request.dataset
    verdicts = evaluate(
        user=request.requester,
        requester_org=request.requester_org,
        dataset=dataset,
        fields=request.fields,
        purpose=request.purpose,
    )
    submitted = {d["field"]: d["effect"] for d in request.decisions}
    effects = {d.field: policy.stricter(d.effect, submitted.get(d.field, policy.DENY)) for d in verdicts.decisions}
    effects = {k: v for k, v in effects.items() if v != policy.DENY}
    scope_org = request.row_org or dataset.org
    column = _row_column(dataset)
    codes: list[str] | None = None
    if column is not None and request.row_org is not None:
        codes = sorted(Org.objects.filter(path__startswith=scope_org.path).values_list("code", flat=True))
    rows = policy.row_filter(column, codes, scope_label=scope_org.name)
    tz = timezone.get_current_timezone()
    grant = ShareGrant.objects.create(
        request=request,
        dataset=dataset,
        org=request.org,
        org_path=request.org_path,
        recipient=request.requester,
        recipient_org=request.requester_org,
        recipient_path=request.requester_path,
        effects=effects,
        row_column=column or "",
        row_codes=codes,
        row_scope=rows.reason[:300],
        valid_from=dt.datetime.combine(request.period_start, dt.time.min, tzinfo=tz),
        expires_at=dt.datetime.combine(request.period_end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
        watermark_salt=secrets.token_hex(16),
    )
    _audit(actor, "grant.create", grant, request.org, request=request.number, effects=effects, expires=grant.expires_at)
    return grant


def _share_task(request: ShareRequest, actor: Any) -> WorkTask:
    live = WorkTask.objects.filter(
        instance_id=request.instance_id, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]
    ).order_by("pk")
    for task in live:
        if engine.is_candidate(actor, task):
            return task
    raise PermissionDenied("您不是该共享申请当前审批步骤的审批人")


@transaction.atomic
def handle(*, actor: Any, request: ShareRequest, decision: str, reason: str = "") -> ShareRequest:
    """An approver's decision on the request's current step: approve (同意) or reject (不同意)."""
    if decision not in DECISIONS:
        raise ValidationFailed(f"审批结论“{decision}”无效，可选：同意（approve）、不同意（reject）")
    if decision == "reject" and not reason.strip():
        raise ValidationFailed("不同意共享必须填写理由")
    request = ShareRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
    if request.status in SHARE_FINAL:
        raise ShareStateError(f"共享申请已办结（{request.get_status_display()}），不能再审批")
    if request.instance_id is None:
        raise ShareStateError("共享申请没有进行中的审批流程")
    task = _share_task(request, actor)
    engine.complete(task, actor=actor, data={"decision": decision}, comment=reason)
    request.refresh_from_db()
    if reason and decision == "reject":
        request.decision_reason = reason
        request.save(update_fields=["decision_reason"])
    _audit(actor, "request.handle", request, request.org, step=task.element_id, decision=decision)
    return request


@transaction.atomic
def withdraw(*, actor: Any, request: ShareRequest, reason: str) -> ShareRequest:
    """The requester withdraws (撤回) a request still being approved."""
    request = ShareRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
    if request.requester_id != getattr(actor, "pk", None):
        raise PermissionDenied("只有申请人本人可以撤回共享申请")
    if request.status in SHARE_FINAL:
        raise ShareStateError("共享申请已办结或已撤回，不能撤回")
    if not reason.strip():
        raise ValidationFailed("撤回共享申请必须填写理由")
    if request.instance is not None:
        engine.cancel(request.instance, actor=actor, reason=reason)
    request.refresh_from_db()
    request.status = ShareStatus.WITHDRAWN
    request.decided_at = timezone.now()
    request.save()
    _audit(actor, "request.withdraw", request, request.org, reason=reason)
    return request


# --- grants: revoke, tokens, reads -------------------------------------------------------------


@transaction.atomic
def revoke_grant(*, actor: Any, grant: ShareGrant, reason: str) -> ShareGrant:
    """Revoke (撤销) a grant: the owner side's data officers, or the recipient giving it up."""
    grant = ShareGrant.objects.select_for_update(of=("self",)).get(pk=grant.pk)
    owner_side = scope_for(actor, MANAGE).covers(grant.org_path)
    if not owner_side and grant.recipient_id != getattr(actor, "pk", None):
        raise PermissionDenied("只有数据提供单位的数据专员或接收人本人可以撤销共享授权")
    if grant.revoked_at is not None:
        raise ShareStateError("共享授权已撤销")
    if not reason.strip():
        raise ValidationFailed("撤销共享授权必须填写原因")
    now = timezone.now()
    grant.revoked_at, grant.revoked_by, grant.revoke_reason = now, _user(actor), reason.strip()[:300]
    grant.save()
    grant.tokens.filter(revoked_at__isnull=True).update(revoked_at=now)
    _audit(actor, "grant.revoke", grant, grant.org, reason=reason)
    return grant


def _require_active(grant: ShareGrant) -> None:
    state = grant.state
    if state == "revoked":
        raise GrantInactive("共享授权已撤销，不能再读取数据")
    if state == "expired":
        raise GrantInactive("共享授权已到期，不能再读取数据")
    if state == "pending":
        raise GrantInactive("共享授权尚未生效（未到使用期限起始日）")
    if lifecycle_state(grant.dataset) == LifecycleState.DELETED:
        raise GrantInactive("数据集已按生命周期规则删除")


def _only_recipient(grant: ShareGrant, actor: Any) -> None:
    if grant.recipient_id != getattr(actor, "pk", None):
        raise PermissionDenied("只有共享授权的接收人可以读取数据")


@transaction.atomic
def issue_token(*, actor: Any, grant: ShareGrant) -> tuple[ShareToken, str]:
    """A share token for an API-delivered grant; the raw token is returned once, never stored."""
    _only_recipient(grant, actor)
    _require_active(grant)
    if grant.request.delivery != Delivery.API:
        raise ShareStateError("该共享授权的交付方式是数据文件，不能签发接口令牌")
    prefix = secrets.token_hex(6)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ShareToken.objects.create(grant=grant, prefix=prefix, digest=_token_digest(raw), created_by=actor)
    _audit(actor, "token.issue", grant, grant.org, prefix=prefix)
    return token, raw


def authenticate_share_token(raw: str) -> ShareToken | None:
    """The live share token for ``raw`` (None for anything else)."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix = raw[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = ShareToken.objects.select_related("grant", "grant__dataset").filter(prefix=prefix).first()
    if token is None or token.revoked_at is not None:
        return None
    if not secrets.compare_digest(token.digest, _token_digest(raw)):
        return None
    return token


def _source_rows(dataset: Dataset, columns: Sequence[str], limit: int | None) -> Iterator[dict[str, Any]]:
    from edubase.datagov.connectors import open_connector

    if dataset.source is None or not dataset.source_table:
        raise ShareStateError("数据集没有关联可读取的数据源")
    with open_connector(dataset.source) as connector:
        for row in connector.rows(dataset.source_table, list(columns), limit=limit):
            yield dict(zip(columns, row, strict=False))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def shared_rows(grant: ShareGrant, *, limit: int | None = None, offset: int = 0) -> tuple[list[str], list[list[str]]]:
    """Header and rows of ``grant``: its fields only, each masked as granted, rows cut by its row filter."""
    from edubase.datagov import masking

    # the request's field order (a list): PostgreSQL's jsonb does not keep the order of ``effects`` keys
    headers = [f for f in grant.request.fields if f in grant.effects]
    entities = dict(DataField.objects.filter(dataset=grant.dataset, name__in=headers).values_list("name", "entity"))
    columns = list(headers)
    if grant.row_column and grant.row_column not in columns:
        columns.append(grant.row_column)
    rows_filter = policy.RowFilter(
        grant.row_column or None, frozenset(grant.row_codes) if grant.row_codes is not None else None
    )
    key = pseudonym_key(grant.recipient_org)
    out: list[list[str]] = []
    skipped = 0
    for record in _source_rows(grant.dataset, columns, None):
        if not rows_filter.keeps(record):
            continue
        if skipped < offset:
            skipped += 1
            continue
        row = []
        for name in headers:
            value, effect, entity = _cell(record.get(name)), grant.effects[name], entities.get(name) or ""
            if not value or effect == policy.ALLOW:
                row.append(value)
            elif effect == policy.PSEUDONYM:
                row.append(masking.pseudonym(value, key=key, entity=entity))
            else:
                row.append(masking.mask(entity, value))
        out.append(row)
        if limit is not None and len(out) >= limit:
            break
    return headers, out


def _record_read(actor: Any, grant: ShareGrant, channel: str, rows: int, **extra: Any) -> None:
    ShareGrant.objects.filter(pk=grant.pk).update(reads=F("reads") + 1, last_read_at=timezone.now())
    _audit(actor, "grant.read", grant, grant.org, channel=channel, rows=rows, recipient=grant.recipient_id, **extra)


@transaction.atomic
def read_feed(*, token: ShareToken, limit: int = 100, offset: int = 0) -> tuple[list[str], list[list[str]]]:
    """Rows of the token's grant (API delivery); every read audited."""
    grant = ShareGrant.objects.select_related("dataset", "recipient_org", "recipient").get(pk=token.grant_id)
    _require_active(grant)
    if not (1 <= limit <= FEED_MAX_LIMIT) or offset < 0:
        raise ValidationFailed(f"limit 必须在 1–{FEED_MAX_LIMIT} 之间，offset 不能为负")
    headers, rows = shared_rows(grant, limit=limit, offset=offset)
    ShareToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    _record_read(grant.recipient, grant, "api", len(rows), token=token.prefix, offset=offset)
    return headers, rows


@transaction.atomic
def build_extract(*, actor: Any, grant: ShareGrant, fmt: str = "xlsx") -> tuple[str, bytes, Extract]:
    """A masked, watermarked extract (XLSX or CSV) of the grant for its recipient; audited."""
    _only_recipient(grant, actor)
    _require_active(grant)
    if grant.request.delivery != Delivery.EXTRACT:
        raise ShareStateError("该共享授权的交付方式是接口令牌读取，不能下载数据文件")
    if fmt not in ("xlsx", "csv"):
        raise ValidationFailed("文件格式只能是 xlsx 或 csv")
    headers, rows = shared_rows(grant, limit=EXTRACT_MAX_ROWS)
    key = grant_key(grant)
    entities = dict(DataField.objects.filter(dataset=grant.dataset, name__in=headers).values_list("name", "entity"))
    distinctive = [h for h in headers if entities.get(h) in DISTINCTIVE]
    marked = watermark.insert_markers(grant_key=key, headers=headers, rows=rows, distinctive=distinctive)
    cipher = watermark_cipher_key()
    out_rows = [
        [*row, watermark.row_ref(cipher_key=cipher, grant_id=grant.pk, grant_key=key, cells=row)] for row in marked.rows
    ]
    out_headers = [*headers, watermark.REF_COLUMN]
    if fmt == "xlsx":
        from edubase.core.tabular import write_xlsx

        data = write_xlsx(out_headers, out_rows, sheet="共享数据")
    else:
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(out_headers)
        writer.writerows(out_rows)
        data = buffer.getvalue().encode("utf-8-sig")
    digest = hashlib.new("sm3", data).hexdigest()
    extract = Extract.objects.create(
        grant=grant, format=fmt, rows=len(rows), markers=marked.markers, digest_sm3=digest, created_by=_user(actor)
    )
    _record_read(actor, grant, "extract", len(rows), format=fmt, sm3=digest, extract=extract.pk)
    filename = f"{grant.request.number}-{grant.dataset.name}.{fmt}".replace("/", "_")
    return filename, data, extract


# --- scoped reads (row filters from the actor's own scope) ---------------------------------------


def _acting_org(actor: Any, scope: Any) -> Org | None:
    if scope.everything:
        return Org.objects.filter(depth=1).order_by("path").first()
    return Org.objects.filter(path__in=scope.paths).order_by("depth", "path").first()


@transaction.atomic
def scoped_read(
    *, actor: Any, dataset: Dataset, fields: Sequence[str], purpose: str, limit: int = 50
) -> tuple[list[str], list[list[str]], policy.PolicyResult, policy.RowFilter]:
    """Read a dataset under the policy without a share: fields masked or left out as the policy says,
    rows cut to the actor's own scope.

    An actor whose ``datagov.view`` covers the dataset's owner reads every row; one whose scope lies
    below the owner (a county reading the province pool) reads only the rows whose school/org code
    lies in its subtrees; anyone else, nothing (NotFound, as for any object out of scope).
    """
    if not 1 <= limit <= FEED_MAX_LIMIT:
        raise ValidationFailed(f"limit 必须在 1–{FEED_MAX_LIMIT} 之间")
    scope = scope_for(actor, VIEW)
    column = _row_column(dataset)
    if scope.covers(dataset.org_path):
        rows_filter = policy.row_filter(column, None, scope_label="数据提供单位全部")
    else:
        inside = [p for p in scope.paths if p.startswith(dataset.org_path)]
        if not inside or column is None:
            raise NotFound()
        query = Q()
        for path in inside:
            query |= Q(path__startswith=path)
        codes = list(Org.objects.filter(query).values_list("code", flat=True))
        rows_filter = policy.row_filter(column, codes, scope_label="本人管辖范围")
    org = _acting_org(actor, scope)
    if org is None:
        raise NotFound()
    verdicts = evaluate(user=actor, requester_org=org, dataset=dataset, fields=fields, purpose=purpose)
    readable = [d for d in verdicts.decisions if d.effect != policy.DENY]
    headers = [d.field for d in readable]
    effects = {d.field: d.effect for d in readable}
    entities = dict(DataField.objects.filter(dataset=dataset, name__in=headers).values_list("name", "entity"))
    columns = [*headers, *([column] if column and column not in headers else [])]
    from edubase.datagov import masking

    key = pseudonym_key(org)
    out: list[list[str]] = []
    for record in _source_rows(dataset, columns, None) if headers else iter(()):
        if not rows_filter.keeps(record):
            continue
        row = []
        for name in headers:
            value, effect, entity = _cell(record.get(name)), effects[name], entities.get(name) or ""
            if not value or effect == policy.ALLOW:
                row.append(value)
            elif effect == policy.PSEUDONYM:
                row.append(masking.pseudonym(value, key=key, entity=entity))
            else:
                row.append(masking.mask(entity, value))
        out.append(row)
        if len(out) >= limit:
            break
    _audit(
        actor,
        "dataset.read",
        dataset,
        dataset.org,
        fields=headers,
        denied=[d.field for d in verdicts.denied()],
        rows=len(out),
        purpose=purpose,
        row_filter=rows_filter.reason,
    )
    return headers, out, verdicts, rows_filter


# --- leak tracing -------------------------------------------------------------------------------


def identify_leak(data: bytes, filename: str, *, within: Any = None) -> tuple[ShareGrant | None, watermark.Trace]:
    """The grant a leaked extract came from (None when it carries no mark of one).

    ``within`` (a Q on ``org_path``) limits the grants considered to an actor's scope.
    """
    try:
        headers, rows = watermark.read_file(data, filename)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc
    grants = ShareGrant.objects.all()
    if within is not None:
        grants = grants.filter(within)
    keys: dict[int, bytes | None] = {}

    def key_for(grant_id: int) -> bytes | None:
        if grant_id not in keys:
            found = grants.filter(pk=grant_id).first()
            keys[grant_id] = grant_key(found) if found is not None else None
        return keys[grant_id]

    markers: dict[int, list[dict[str, str]]] = {}
    for grant_id, marker_list in Extract.objects.filter(grant__in=grants).values_list("grant_id", "markers"):
        markers.setdefault(grant_id, []).extend(marker_list)
    result = watermark.trace(headers, rows, cipher_key=watermark_cipher_key(), grant_key=key_for, markers=markers)
    grant = grants.filter(pk=result.grant_id).first() if result.grant_id is not None else None
    return grant, result


@transaction.atomic
def trace_leak(*, actor: Any, filename: str, data: bytes) -> LeakTrace:
    """Trace an uploaded file to the grant it was extracted under (data officers; their scope's grants)."""
    scope = scope_for(actor, MANAGE)
    if scope.empty:
        raise PermissionDenied("只有数据专员可以进行泄露溯源")
    grant, result = identify_leak(data, filename, within=scope.q("org_path"))
    row = LeakTrace.objects.create(
        filename=filename[:255],
        digest_sm3=hashlib.new("sm3", data).hexdigest(),
        grant=grant,
        method=result.method,
        matched_rows=result.matched_rows,
        checked_rows=result.checked_rows,
        traced_by=actor,
        org_path=grant.org_path if grant is not None else "",
    )
    _audit(
        actor,
        "leak.trace",
        row,
        grant.org if grant is not None else None,
        grant=grant.pk if grant is not None else None,
        method=result.method,
        matched=result.matched_rows,
    )
    return row


def sweep_expired() -> int:
    """Revoke the tokens of grants past their period (the grant itself simply reads as expired)."""
    now = timezone.now()
    with transaction.atomic():
        count = ShareToken.objects.filter(revoked_at__isnull=True, grant__expires_at__lte=now).update(revoked_at=now)
    return count
