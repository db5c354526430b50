"""Catalogue search (目录检索) in Chinese, pinyin and pinyin initials.

Officials type the JY/T element identifiers, which are pinyin initials (身份证件号 → SFZJH,
联系电话 → LXDH, 家庭住址 → JTZZ), or whole pinyin. Each dataset keeps a ``search_text``
built here from its name, description, tags and field names/comments: the text itself, the
initials and the full pinyin of every Chinese run, lower-cased; a query matches when every
one of its words is contained in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from pypinyin import Style, lazy_pinyin

_HAN = re.compile(r"[\u3400-\u9fff]+")
_WORDS = re.compile(r"\S+")


def pinyin_keys(text: str) -> list[str]:
    """The pinyin initials and full pinyin of each Chinese run of ``text`` (lower case)."""
    keys: list[str] = []
    for run in _HAN.findall(text or ""):
        keys.append("".join(lazy_pinyin(run, style=Style.FIRST_LETTER)).lower())
        keys.append("".join(lazy_pinyin(run)).lower())
    return keys


def search_text(parts: Iterable[str]) -> str:
    """One lower-cased line holding every part with its pinyin keys (stored on the dataset)."""
    seen: list[str] = []
    for part in parts:
        part = (part or "").strip()
        if not part:
            continue
        for key in [part.lower(), *pinyin_keys(part)]:
            if key not in seen:
                seen.append(key)
    return " | ".join(seen)


def dataset_search_text(dataset: Any, fields: Iterable[Any]) -> str:
    """The search text of a dataset and its fields."""
    parts = [dataset.name, dataset.description, dataset.source_table, *(dataset.tags or [])]
    for field in fields:
        parts.extend([field.name, field.comment])
        if getattr(field, "data_element", None) is not None:
            parts.extend([field.data_element.code, field.data_element.name])
    return search_text(parts)


def matching(datasets: QuerySet[Any], query: str) -> QuerySet[Any]:
    """Datasets whose search text holds every word of ``query`` (Chinese, pinyin or initials)."""
    for word in _WORDS.findall((query or "").lower())[:8]:
        datasets = datasets.filter(Q(search_text__contains=word))
    return datasets
