"""Domain errors: a code, a Chinese message an official can act on, an HTTP status."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every business-rule error; the API renders it as ``{"error": {...}}``."""

    code = "domain_error"
    message = "操作无法完成"
    status = 400

    def __init__(self, message: str | None = None, *, details: Any = None, code: str | None = None) -> None:
        self.message = message or type(self).message
        self.details = details
        if code:
            self.code = code
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        """The API error body."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class NotFound(DomainError):
    """The object does not exist or is outside the actor's scope (same answer, no leak)."""

    code = "not_found"
    message = "对象不存在或不在您的管辖范围内"
    status = 404


class PermissionDenied(DomainError):
    """The actor lacks the permission for this action."""

    code = "permission_denied"
    message = "您没有执行此操作的权限"
    status = 403


class ValidationFailed(DomainError):
    """Input failed validation; ``details`` lists every problem (row, column, reason)."""

    code = "validation_failed"
    message = "输入数据校验未通过"
    status = 422
