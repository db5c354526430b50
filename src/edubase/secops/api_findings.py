"""API routes of secops: vulnerability findings and scanner imports (mounted at ``/secops/findings``).

Reads are scoped by ``secops.view``; status changes need ``secops.change`` on the finding's org
(risk acceptance and false positives: ``secops.manage``); imports need ``secops.manage`` on the
scan's org.
"""

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from edubase.core.errors import NotFound, ValidationFailed
from edubase.core.pagination import CursorPagination
from edubase.core.scope import scope_for
from edubase.orgs.models import Org
from edubase.secops import findings
from edubase.secops.models import Finding, ScanImport
from edubase.secops.schemas_findings import FindingDetailOut, FindingFilters, FindingOut, ScanImportOut, StatusIn

router = Router()


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _detail(actor: Any, finding: Finding) -> Finding:
    finding.allowed_statuses = findings.allowed_statuses(actor, finding)  # type: ignore[attr-defined]
    finding.history = list(findings.history_of(actor, finding))  # type: ignore[attr-defined]
    return finding


@router.get("", response=list[FindingOut], summary="漏洞列表（管辖范围内） / findings in scope")
@paginate(CursorPagination)
def list_findings(request: HttpRequest, filters: Query[FindingFilters], **kwargs: Any) -> Any:
    """Filter by severity, status, org (subtree), host, CVE, text, unknown asset and age in days."""
    values = filters.dict()
    values["org_id"] = values.pop("org")
    return findings.findings_for(_actor(request), **values)


@router.get("/imports", response=list[ScanImportOut], summary="扫描结果导入记录 / scanner imports")
@paginate(CursorPagination)
def list_imports(request: HttpRequest, **kwargs: Any) -> Any:
    return findings.imports_for(_actor(request))


@router.get("/imports/{int:import_id}", response=ScanImportOut, summary="一次导入的结果 / one import")
def get_import(request: HttpRequest, import_id: int) -> ScanImport:
    return findings.get_import(_actor(request), pk=import_id)


@router.post("/imports", response={201: ScanImportOut}, summary="导入扫描报告（OpenVAS XML / CSV / XLSX）")
def import_report(request: HttpRequest, file: File[UploadedFile], org_id: Form[int | None] = None) -> Any:
    """Multipart ``file`` and ``org_id`` (the scan's scope; default: the caller's one managed org).
    All rows or nothing: any problem answers 422 listing each line/row/element."""
    actor = _actor(request)
    if org_id is not None:
        org = Org.objects.filter(scope_for(actor, findings.VIEW).q("path"), pk=org_id).first()
        if org is None:
            raise NotFound("机构不存在或不在您的管辖范围内")
    else:
        org = findings.default_import_org(actor)
    if file.size is not None and file.size > findings.MAX_UPLOAD_BYTES:
        raise ValidationFailed(f"文件超过 {findings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB，请按地市拆分后导入")
    scan = findings.import_report(actor=actor, org=org, filename=file.name or "report", data=file.read())
    return Status(201, scan)


@router.get("/{int:finding_id}", response=FindingDetailOut, summary="漏洞详情与处置记录 / one finding")
def get_finding(request: HttpRequest, finding_id: int) -> Finding:
    actor = _actor(request)
    return _detail(actor, findings.get_finding(actor, pk=finding_id))


@router.post("/{int:finding_id}/status", response=FindingDetailOut, summary="变更漏洞状态 / change status")
def change_status(request: HttpRequest, finding_id: int, payload: StatusIn) -> Finding:
    """open → fixing → fixed (secops.change); accepted / false_positive need secops.manage and a reason."""
    actor = _actor(request)
    finding = findings.get_finding(actor, pk=finding_id)
    changed = findings.change_status(actor=actor, finding=finding, status=payload.status, reason=payload.reason)
    return _detail(actor, findings.get_finding(actor, pk=changed.pk))
