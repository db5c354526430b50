"""Cursor (keyset) pagination for the API: stable under inserts, O(page) at any depth."""

from __future__ import annotations

import base64
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from edubase.core.errors import ValidationFailed


def _encode(value: Any) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("分页游标无效", details={"cursor": cursor}) from exc


class CursorPagination(PaginationBase):
    """``?cursor=…&limit=…`` over a queryset ordered by primary key; returns ``next`` cursor."""

    class Input(Schema):
        cursor: str | None = Field(None, description="上一页返回的 next 值")
        limit: int = Field(50, ge=1, le=500, description="每页条数（1–500）")

    class Output(Schema):
        items: list[Any]
        next: str | None

    items_attribute = "items"

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Input, request: HttpRequest | None = None, **params: Any
    ) -> dict[str, Any]:
        qs = queryset.order_by("pk")
        if pagination.cursor:
            try:
                after = queryset.model._meta.pk.to_python(_decode(pagination.cursor))
            except (DjangoValidationError, ValueError, TypeError) as exc:
                raise ValidationFailed("分页游标无效", details={"cursor": pagination.cursor}) from exc
            qs = qs.filter(pk__gt=after)
        page = list(qs[: pagination.limit + 1])
        more = len(page) > pagination.limit
        page = page[: pagination.limit]
        return {"items": page, "next": _encode(page[-1].pk) if more and page else None}
