"""API routes of workflow (mounted at ``/workflow``): inbox, task actions, case history, publishing."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from edubase.core.pagination import CursorPagination
from edubase.workflow import engine, selectors, services
from edubase.workflow.models import ProcessDefinition, TaskStatus, WorkTask
from edubase.workflow.schemas import CompleteIn, DefinitionIn, DefinitionOut, InstanceOut, ReturnIn, TaskOut

router = Router()


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


@router.get("/tasks", response=list[TaskOut], summary="我的待办 / my inbox")
@paginate(CursorPagination)
def inbox(request: HttpRequest, **kwargs: Any) -> Any:
    """Open and claimed tasks the signed-in user may act on."""
    return selectors.inbox_for(_actor(request))


@router.post("/tasks/{task_id}/claim", response=TaskOut, summary="签收 / claim a task")
def claim(request: HttpRequest, task_id: int) -> WorkTask:
    task = engine.claim(selectors.get_task(_actor(request), pk=task_id), actor=_actor(request))
    return selectors.get_task(_actor(request), pk=task.pk)


@router.post("/tasks/{task_id}/complete", response=TaskOut, summary="办理 / complete a task")
def complete(request: HttpRequest, task_id: int, payload: CompleteIn) -> WorkTask:
    task = selectors.get_task(_actor(request), pk=task_id)
    return engine.complete(task, actor=_actor(request), data=payload.data, comment=payload.comment)


@router.post("/tasks/{task_id}/return", response=TaskOut, summary="退回补正 / return for correction")
def return_for_correction(request: HttpRequest, task_id: int, payload: ReturnIn) -> WorkTask:
    task = selectors.get_task(_actor(request), pk=task_id)
    return engine.return_for_correction(task, actor=_actor(request), comment=payload.comment)


@router.get("/instances/{instance_id}", response=InstanceOut, summary="案件与办理记录 / a case and its history")
def instance(request: HttpRequest, instance_id: int) -> dict[str, Any]:
    actor = _actor(request)
    case = selectors.get_instance(actor, pk=instance_id)
    return {
        "id": case.pk,
        "process": case.definition.name,
        "version": case.definition.version,
        "org": case.org.name,
        "state": case.state,
        "outcome": case.outcome,
        "created": case.created,
        "history": list(selectors.case_history(actor, case)),
        "open_tasks": list(
            case.tasks.filter(status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]).select_related(
                "instance__definition", "candidate_org", "claimed_by"
            )
        ),
    }


@router.post("/definitions", response={201: DefinitionOut}, summary="发布流程定义 / publish a BPMN definition")
def publish(request: HttpRequest, payload: DefinitionIn) -> Status[ProcessDefinition]:
    definition = services.publish_definition(
        actor=_actor(request), key=payload.key, name=payload.name, bpmn_xml=payload.bpmn_xml
    )
    return Status(201, definition)
