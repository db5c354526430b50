"""Service writes: apply, upload materials, submit, resubmit, withdraw, handle, rate.

The application's status follows its workflow case: after every engine call ``_follow`` reads
the case back and sets the status (returned while the applicant's step is open again, approved
or rejected when the case ends at that end event).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from edubase.core import audit
from edubase.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from edubase.orgs.models import Org
from edubase.people.models import Person
from edubase.services import files
from edubase.services.models import (
    FINAL,
    Application,
    ApplicationStatus,
    Material,
    Rating,
    RatingLevel,
    ServiceItem,
)
from edubase.workflow import engine
from edubase.workflow.calendar import add_working_days
from edubase.workflow.models import InstanceState, ProcessInstance, TaskStatus, WorkTask

DECISIONS = {"approve": "通过", "reject": "不通过", "return": "退回补正"}
#: a countersign (会签) step keeps the strictest decision of its signers
_STRICTNESS = {"approve": 0, "return": 1, "reject": 2}


class ApplicationStateError(DomainError):
    code = "services_state"
    message = "当前办件状态下不能执行此操作"
    status = 409


def _only_applicant(application: Application, actor: Any, what: str) -> None:
    if application.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied(f"只有申请人本人可以{what}")


def _audit(actor: Any, action: str, application: Application, **after: Any) -> None:
    audit.record(actor=actor, action=f"services.{action}", obj=application, org=application.org, after=after or None)


def _lock(application: Application) -> Application:
    return Application.objects.select_for_update(of=("self",)).select_related("item", "org").get(pk=application.pk)


def _applicant_task(instance: ProcessInstance) -> WorkTask | None:
    return (
        WorkTask.objects.filter(instance=instance, role_code="", status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED])
        .order_by("-pk")
        .first()
    )


def follow_case(*, instance: ProcessInstance, **_: Any) -> None:
    """``case_changed`` receiver: the application of a case follows it, however the case moved
    (an official completing the task through the workflow API or inbox, a timer, a cancel)."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("item")
        .filter(instance_id=instance.pk)
        .first()
    )
    if application is not None:
        _follow(application)


def _follow(application: Application) -> None:
    """Set the application's status from its case."""
    if application.instance_id is None:
        return
    instance = ProcessInstance.objects.get(pk=application.instance_id)
    now = timezone.now()
    if instance.state == InstanceState.COMPLETED:
        application.status = (
            ApplicationStatus.APPROVED if instance.outcome == "approved" else ApplicationStatus.REJECTED
        )
        application.completed_at = now
        if application.status == ApplicationStatus.APPROVED and not application.result_number:
            application.result_number = f"{application.item.code}-{now:%Y}-{application.pk:06d}"
    elif instance.state == InstanceState.CANCELLED:
        application.status = ApplicationStatus.WITHDRAWN
        application.completed_at = now
    elif _applicant_task(instance) is not None:
        if application.status != ApplicationStatus.RETURNED:
            application.corrections += 1
        application.status = ApplicationStatus.RETURNED
    elif WorkTask.objects.filter(instance=instance, status=TaskStatus.COMPLETED).exclude(role_code="").exists():
        application.status = ApplicationStatus.IN_REVIEW
    else:
        application.status = ApplicationStatus.SUBMITTED
    application.save()


@transaction.atomic
def apply(
    *,
    actor: Any,
    item: ServiceItem,
    form_data: dict[str, Any] | None = None,
    org: Org | None = None,
    applicant_org: Org | None = None,
) -> Application:
    """Start a draft application (草稿) for a published item, handled at ``org`` (default: the item's org)."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("请先登录再申请")
    if not item.published:
        raise NotFound("事项不存在或尚未发布")
    handling = org or item.org
    if not handling.path.startswith(item.org.path):
        raise ValidationFailed(f"“{handling.name}”不在事项“{item.name}”的实施范围（{item.org.name}）内")
    person = Person.objects.filter(pk=actor.person_id).first() if getattr(actor, "person_id", None) else None
    application = Application.objects.create(
        item=item,
        applicant=actor,
        applicant_person=person,
        applicant_org=applicant_org,
        org=handling,
        org_path=handling.path,
        form_data=dict(form_data or {}),
    )
    application.number = f"SQ{timezone.now():%Y%m%d}{application.pk:06d}"
    application.save(update_fields=["number"])
    _audit(actor, "application.create", application, item=item.code, number=application.number)
    return application


def _editable(application: Application) -> None:
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED):
        raise ApplicationStateError(
            f"办件当前状态为“{application.get_status_display()}”，只有草稿或退回补正的办件可以修改材料"
        )


@transaction.atomic
def upload_material(*, actor: Any, application: Application, name: str, filename: str, data: bytes) -> Material:
    """Attach one material after checking its type (by content and extension), size and duplicates."""
    application = _lock(application)
    _only_applicant(application, actor, "上传材料")
    _editable(application)
    name = (name or "").strip()
    spec = application.item.material_spec(name)
    if spec is None:
        known = "、".join(m["name"] for m in application.item.materials) or "（无）"
        raise files.MaterialRejected(f"事项“{application.item.name}”没有名为“{name}”的材料（可选：{known}）")
    kind = files.check(
        data=data,
        filename=filename,
        types=list(spec.get("types") or files.DEFAULT_TYPES),  # type: ignore[call-overload]
        max_mb=spec.get("max_mb") or files.DEFAULT_MAX_MB,  # type: ignore[arg-type]
    )
    digest = hashlib.new("sm3", data).hexdigest()
    if application.material_files.filter(digest_sm3=digest).exists():
        raise files.MaterialRejected(f"文件“{filename}”已经上传过，不需要重复上传")
    material = Material(
        application=application,
        name=name,
        original_name=filename[:255],
        kind=kind,
        size=len(data),
        digest_sm3=digest,
    )
    material.file.save(f"{application.pk}-{digest[:16]}.{kind}", ContentFile(data), save=False)
    material.save()
    _audit(actor, "material.upload", application, name=name, kind=kind, size=len(data), sm3=digest)
    return material


def _missing(application: Application) -> list[str]:
    present = set(application.material_files.values_list("name", flat=True))
    return [m["name"] for m in application.item.materials if m.get("required") and m["name"] not in present]


def _check_complete(application: Application) -> None:
    missing = _missing(application)
    if missing:
        raise ValidationFailed(
            f"缺少必须提交的材料：{'、'.join(missing)}", details=[{"material": m, "reason": "未上传"} for m in missing]
        )


@transaction.atomic
def submit(*, actor: Any, application: Application) -> Application:
    """Submit a draft: every required material present → the item's process starts at the handling org."""
    application = _lock(application)
    _only_applicant(application, actor, "提交申请")
    if application.status != ApplicationStatus.DRAFT:
        raise ApplicationStateError(f"办件当前状态为“{application.get_status_display()}”，不能再次提交")
    _check_complete(application)
    instance = engine.start(
        application.item.process_key,
        subject=application,
        org=application.org,
        actor=actor,
        data={"item": application.item.code},
    )
    application.instance = instance
    task = _applicant_task(instance)
    if task is not None:
        engine.complete(task, actor=actor, data={"submitted": True}, comment="提交申请")
    now = timezone.now()
    application.submitted_at = now
    application.deadline = add_working_days(now, application.item.promised_days)
    application.status = ApplicationStatus.SUBMITTED
    _follow(application)
    _audit(actor, "application.submit", application, number=application.number, instance=instance.pk)
    return application


@transaction.atomic
def resubmit(*, actor: Any, application: Application, comment: str = "") -> Application:
    """Send a returned application (退回补正) back into handling."""
    application = _lock(application)
    _only_applicant(application, actor, "补正后重新提交")
    if application.status != ApplicationStatus.RETURNED or application.instance is None:
        raise ApplicationStateError("只有被退回补正的办件可以重新提交")
    _check_complete(application)
    task = _applicant_task(application.instance)
    if task is None:
        raise ApplicationStateError("办件没有待补正的步骤")
    engine.complete(task, actor=actor, data={"submitted": True}, comment=comment or "补正后重新提交")
    application.refresh_from_db()
    _follow(application)
    _audit(actor, "application.resubmit", application, number=application.number)
    return application


@transaction.atomic
def withdraw(*, actor: Any, application: Application, reason: str) -> Application:
    """The applicant withdraws (撤回) a draft or a case still being handled."""
    application = _lock(application)
    _only_applicant(application, actor, "撤回申请")
    if application.status in FINAL:
        raise ApplicationStateError("办件已办结或已撤回，不能撤回")
    if not reason.strip():
        raise ValidationFailed("撤回申请必须填写理由")
    if application.instance is not None:
        engine.cancel(application.instance, actor=actor, reason=reason)
    application.status = ApplicationStatus.WITHDRAWN
    application.completed_at = timezone.now()
    application.save()
    _audit(actor, "application.withdraw", application, reason=reason)
    return application


def application_of(task: WorkTask) -> Application:
    app = Application.objects.filter(instance_id=task.instance_id).first()
    if app is None:
        raise NotFound("该待办不属于任何政务服务办件")
    return app


@transaction.atomic
def handle(task: WorkTask, *, actor: Any, decision: str, reason: str = "") -> Application:
    """An official's decision on one step: approve (通过), reject (不通过) or return (退回补正)."""
    if decision not in DECISIONS:
        raise ValidationFailed(
            f"办理结论“{decision}”无效，可选：{'、'.join(f'{k}（{v}）' for k, v in DECISIONS.items())}"
        )
    if decision != "approve" and not reason.strip():
        raise ValidationFailed(f"{DECISIONS[decision]}必须填写理由")
    if not engine.is_candidate(actor, task):
        raise engine.NotCandidate()
    application = _lock(application_of(task))
    effective = decision
    if task.sign_group == "all":
        for done in WorkTask.objects.filter(
            instance_id=task.instance_id, spiff_task_id=task.spiff_task_id, status=TaskStatus.COMPLETED
        ):
            earlier = str(done.form_data.get("decision", "approve"))
            if _STRICTNESS.get(earlier, 0) > _STRICTNESS[effective]:
                effective = earlier
    engine.complete(task, actor=actor, data={"decision": effective}, comment=reason)
    application.refresh_from_db()
    if reason and decision != "approve":
        application.decision_reason = reason
    _follow(application)
    _audit(actor, "application.handle", application, step=task.element_id, decision=decision)
    return application


@transaction.atomic
def rate(*, actor: Any, application: Application, level: int, comment: str = "") -> Rating:
    """The applicant rates (好差评) a completed application, once."""
    application = _lock(application)
    _only_applicant(application, actor, "评价")
    if application.status not in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
        raise ApplicationStateError("办件办结后才能评价")
    if Rating.objects.filter(application=application).exists():
        raise ApplicationStateError("该办件已经评价过，每个办件只能评价一次")
    if level not in RatingLevel.values:
        raise ValidationFailed("评价等级必须是 1（非常不满意）到 5（非常满意）")
    rating = Rating.objects.create(application=application, level=level, comment=comment.strip())
    _audit(actor, "application.rate", application, level=level)
    return rating
