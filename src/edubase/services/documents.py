"""Result documents (准予/不予决定书) as PDF, from the application (``core.pdf``)."""

from __future__ import annotations

from django.utils import timezone

from edubase.core.errors import DomainError
from edubase.core.pdf import Document
from edubase.services.models import Application, ApplicationStatus


class NoResultYet(DomainError):
    code = "services_no_result"
    message = "办件尚未办结，还没有决定文书"
    status = 409


def result_pdf(application: Application) -> bytes:
    """The decision document (准予/不予决定书) of a completed application."""
    if application.status not in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
        raise NoResultYet()
    approved = application.status == ApplicationStatus.APPROVED
    applicant = application.applicant
    who = getattr(applicant, "display_name", "") or applicant.get_username()
    done = timezone.localtime(application.completed_at or timezone.now())
    title = f"{application.item.name}{'准予' if approved else '不予'}决定书"
    doc = Document(
        title=title, number=application.result_number or application.number or "", subject=application.number or ""
    )
    doc.paragraph(f"{who}：")
    if approved:
        submitted = timezone.localtime(application.submitted_at or done)
        doc.paragraph(
            f"你于 {submitted:%Y年%m月%d日} 提出的“{application.item.name}”申请"
            f"（申请编号 {application.number}），经审查，符合法定条件，本机关决定准予。"
        )
    else:
        doc.paragraph(
            f"你提出的“{application.item.name}”申请（申请编号 {application.number}），经审查，不符合法定条件，"
            f"本机关决定不予批准。如不服本决定，可以依法申请行政复议或者提起行政诉讼。"
        )
    rows: list[tuple[str, str]] = [
        ("文书编号", application.result_number or "—"),
        ("申请编号", application.number or ""),
        ("申请人", who),
        ("申请事项", f"{application.item.name}（{application.item.code}）"),
        ("设定依据", application.item.legal_basis or "—"),
        ("决定", "准予" if approved else "不予"),
    ]
    if application.decision_reason and not approved:
        rows.append(("理由", application.decision_reason))
    rows += [("决定机关", application.org.name), ("决定日期", f"{done:%Y年%m月%d日}")]
    doc.fields(rows)
    doc.paragraph(f"{application.org.name}", size=12)
    doc.paragraph(f"{done:%Y年%m月%d日}", size=12)
    return doc.render()
