"""Console pages of workflow (namespace ``workflow``): inbox (我的待办), task, case, definitions.

The pages extend the console layout; workflow sits below the console in the layers, so the
console's ``console_page`` decorator is mirrored here (sign-in required, a ``DomainError``
becomes the console's Chinese error page with the request's writes rolled back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from lxml import etree

from edubase.core.errors import DomainError, PermissionDenied, ValidationFailed
from edubase.core.middleware import abort_writes
from edubase.core.scope import has_anywhere
from edubase.workflow import engine, selectors, services
from edubase.workflow.calendar import is_working_day
from edubase.workflow.diff import diff_steps, process_of
from edubase.workflow.models import InstanceState, ProcessDefinition, TaskStatus, WorkTask

View = Callable[..., HttpResponse]

#: largest BPMN file accepted at upload
MAX_BPMN_BYTES = 2 * 1024 * 1024

DECISIONS: dict[str, Any] = {"approve": "同意", "reject": "不同意", "return": "退回补正"}


def _error_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    response = render(request, "console/error.html", {"failure": error}, status=error.status)
    abort_writes()  # after rendering: the layout still reads; the request's writes must not commit
    return response


def workflow_page(permission: str | None = None) -> Callable[[View], View]:
    """Sign-in required; ``permission`` held somewhere; a ``DomainError`` becomes the error page."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if permission is not None and not has_anywhere(request.user, permission):
                return _error_page(request, PermissionDenied())
            try:
                return view(request, *args, **kwargs)
            except DomainError as error:
                return _error_page(request, error)

        return login_required(wrapper)

    return decorate


def working_days_left(due_at: dt.datetime | None, *, now: dt.datetime | None = None) -> int | None:
    """Working days from today to the due day (negative when overdue); None without a deadline."""
    if due_at is None:
        return None
    today = timezone.localdate(now or timezone.now())
    due = timezone.localdate(due_at)
    step = 1 if due >= today else -1
    count = 0
    day = today
    while day != due:
        day += dt.timedelta(days=step)
        if is_working_day(day):
            count += step
    return count


def _row(task: WorkTask, user: Any, now: dt.datetime) -> dict[str, Any]:
    days_left = working_days_left(task.due_at, now=now)
    return {
        "task": task,
        "overdue": task.due_at is not None and task.due_at < now,
        "days_left": days_left,
        "overdue_days": -days_left if days_left is not None and days_left < 0 else 0,
        "claimable": task.status == TaskStatus.OPEN and engine.is_candidate(user, task),
        "mine": task.claimed_by_id == user.pk,
    }


def _see_usernames(user: Any) -> bool:
    return has_anywhere(user, "accounts.view")


# --- inbox and tasks ----------------------------------------------------------------------


@workflow_page()
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """我的待办: the open and claimed tasks the user may act on, soonest deadline first."""
    now = timezone.now()
    tasks = selectors.inbox_for(request.user).select_related("instance__org")
    rows = [_row(task, request.user, now) for task in tasks[:200]]
    return render(request, "workflow/inbox.html", {"rows": rows, "see_usernames": _see_usernames(request.user)})


@workflow_page()
@require_POST
def task_claim(request: HttpRequest, pk: int) -> HttpResponse:
    """Claim (签收) a task; htmx gets the inbox row back, a plain form the task page."""
    task = selectors.get_task(request.user, pk=pk)
    engine.claim(task, actor=request.user)
    if request.headers.get("HX-Request"):
        task = selectors.get_task(request.user, pk=pk)
        row = _row(task, request.user, timezone.now())
        context = {"row": row, "see_usernames": _see_usernames(request.user)}
        return render(request, "workflow/_inbox_row.html", context)
    messages.success(request, _("已签收"))
    return redirect("workflow:task", pk=pk)


def _task_context(request: HttpRequest, task: WorkTask) -> dict[str, Any]:
    instance = task.instance
    live = task.status in (TaskStatus.OPEN, TaskStatus.CLAIMED) and instance.state == InstanceState.RUNNING
    return {
        "task": task,
        "instance": instance,
        "row": _row(task, request.user, timezone.now()),
        "can_act": live and engine.is_candidate(request.user, task),
        "decisions": [(k, _(v)) for k, v in DECISIONS.items()],
        "see_usernames": _see_usernames(request.user),
        "submitted": [e for e in selectors.case_history(request.user, instance) if e.data and e.action == "completed"],
    }


@workflow_page()
@require_http_methods(["GET", "POST"])
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The task form: approve, reject (reason required) or return for correction (reason required)."""
    task = selectors.get_task(request.user, pk=pk)
    if request.method == "GET":
        return render(request, "workflow/task.html", _task_context(request, task))
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "").strip()
    comment = request.POST.get("comment", "").strip()
    form = {"decision": decision, "reason": reason, "comment": comment}
    try:
        if decision not in DECISIONS:
            raise ValidationFailed(_("请选择审核结论"))
        if decision in ("reject", "return") and not reason:
            raise ValidationFailed(_("不同意或退回补正时必须填写理由"))
        with transaction.atomic():
            if decision == "return":
                engine.return_for_correction(task, actor=request.user, comment=reason)
            else:
                data = {"decision": decision}
                if reason:
                    data["reason"] = reason
                engine.complete(task, actor=request.user, data=data, comment=comment or reason)
    except DomainError as error:
        context = _task_context(request, selectors.get_task(request.user, pk=pk))
        context.update({"error": error, "form": form})
        return render(request, "workflow/task.html", context, status=error.status)
    messages.success(request, _("已办理：%(step)s") % {"step": task.title})
    return redirect("workflow:case", pk=task.instance_id)


# --- cases --------------------------------------------------------------------------------


def diagram_marks(instance: Any) -> dict[str, list[str]]:
    """Element ids of the case's completed and current steps, for the diagram's markers."""
    tasks = list(WorkTask.objects.filter(instance=instance).values_list("element_id", "status"))
    current = sorted({e for e, s in tasks if s in (TaskStatus.OPEN, TaskStatus.CLAIMED)})
    completed = {e for e, s in tasks if s == TaskStatus.COMPLETED} - set(current)
    spec = engine.compiled(instance.definition).spec
    start = [name for name, s in spec.task_specs.items() if type(s).__name__ == "StartEvent"]
    completed |= {getattr(spec.task_specs[n], "bpmn_id", None) or n for n in start}
    if instance.state == InstanceState.COMPLETED and instance.outcome:
        completed.add(instance.outcome)
    return {"completed": sorted(completed), "current": current}


@workflow_page()
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A case: its data, its history (who did what when) and its diagram with the progress marked."""
    instance = selectors.get_instance(request.user, pk=pk)
    history = list(selectors.case_history(request.user, instance))
    tasks = instance.tasks.select_related("candidate_org", "claimed_by", "completed_by").order_by("created", "pk")
    context = {
        "instance": instance,
        "history": history,
        "tasks": tasks,
        "marks": diagram_marks(instance),
        "bpmn_xml": instance.definition.bpmn_xml,
        "see_usernames": _see_usernames(request.user),
    }
    return render(request, "workflow/case.html", context)


# --- definitions --------------------------------------------------------------------------


def _require_publisher(user: Any) -> None:
    if not services._may_publish(user):
        raise PermissionDenied(_("只有省级管理员可以管理流程定义"))


@workflow_page()
@require_GET
def definition_list(request: HttpRequest) -> HttpResponse:
    """Process keys with their published versions (province admins)."""
    _require_publisher(request.user)
    groups: dict[str, list[ProcessDefinition]] = {}
    for definition in ProcessDefinition.objects.select_related("published_by").order_by("key", "-version"):
        groups.setdefault(definition.key, []).append(definition)
    return render(request, "workflow/definitions.html", {"groups": groups})


def _read_upload(request: HttpRequest) -> str:
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed(_("请选择要上传的 BPMN 文件"))
    if upload.size is not None and upload.size > MAX_BPMN_BYTES:
        raise ValidationFailed(_("文件过大：BPMN 文件不能超过 2 MB"))
    try:
        return bytes(upload.read()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(_("文件不是 UTF-8 编码的 BPMN（XML）文件")) from exc


def _preview_context(bpmn_xml: str) -> dict[str, Any]:
    """Key, name, validation problems and the step diff of an uploaded document."""
    try:
        key, name = process_of(bpmn_xml)
    except etree.XMLSyntaxError:
        key, name = "", ""
    problems = services.validate_bpmn(key=key, bpmn_xml=bpmn_xml) if key or bpmn_xml else []
    if not key and not problems:
        problems = [{"element": "", "tag": "", "reason": _("文件中没有流程（bpmn:process）")}]
    latest = ProcessDefinition.objects.filter(key=key).order_by("-version").first() if key else None
    diff = [] if problems else diff_steps(latest.bpmn_xml if latest else None, bpmn_xml, key=key)
    return {
        "key": key,
        "name": name or (latest.name if latest else key),
        "latest": latest,
        "problems": problems,
        "diff": diff,
        "changed": sum(1 for d in diff if d.status != "same"),
        "bpmn_xml": bpmn_xml,
    }


@workflow_page()
@require_POST
def definition_upload(request: HttpRequest) -> HttpResponse:
    """Upload a .bpmn file: validate it and preview the diff of steps against the latest version."""
    _require_publisher(request.user)
    context = _preview_context(_read_upload(request))
    status = 422 if context["problems"] else 200
    return render(request, "workflow/definition_preview.html", context, status=status)


@workflow_page()
@require_POST
def definition_publish(request: HttpRequest) -> HttpResponse:
    """Publish the previewed document as the next version (the service checks and audits)."""
    _require_publisher(request.user)
    bpmn_xml = request.POST.get("bpmn_xml", "")
    key = request.POST.get("key", "").strip()
    name = request.POST.get("name", "").strip() or key
    try:
        with transaction.atomic():
            definition = services.publish_definition(actor=request.user, key=key, name=name, bpmn_xml=bpmn_xml)
    except services.InvalidDefinition as error:
        context = _preview_context(bpmn_xml)
        context["error"] = error
        return render(request, "workflow/definition_preview.html", context, status=error.status)
    messages.success(
        request, _("已发布流程“%(name)s”第 %(version)s 版") % {"name": definition.name, "version": definition.version}
    )
    return redirect("workflow:definitions")
