"""The console speaks Chinese by default and English on request; the English catalog is complete."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

import edubase.console
from tests.console.conftest import text

CATALOG = Path(edubase.console.__file__).parent / "locale" / "en" / "LC_MESSAGES"


def _po_entries() -> list[dict[str, str]]:
    """(msgctxt, msgid, msgstr…) of each entry of the English .po, continuation lines joined."""
    entries = []
    for block in (CATALOG / "django.po").read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            entries.append(fields)
    return entries


def test_every_string_of_the_english_catalog_is_translated():
    untranslated = [e["msgid"] for e in _po_entries() if not any(v for k, v in e.items() if k.startswith("msgstr"))]
    assert untranslated == []


def test_the_compiled_catalog_matches_its_source():
    with (CATALOG / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for entry in _po_entries():
        msgid = entry["msgid"].replace('\\"', '"')
        if "msgctxt" in entry:
            assert compiled.pgettext(entry["msgctxt"], msgid) == entry["msgstr"]
        elif "msgid_plural" in entry:
            assert compiled.ngettext(msgid, entry["msgid_plural"], 1) == entry["msgstr[0]"]
        else:
            assert compiled.gettext(msgid) == entry["msgstr"].replace('\\"', '"'), msgid


@pytest.mark.django_db
def test_chinese_is_the_default(client, world):
    client.force_login(world.teacher)
    body = text(client.get("/"))
    assert 'lang="zh-hans"' in body and "数据概览" in body


@pytest.mark.django_db
def test_an_english_browser_gets_english(client, world):
    client.force_login(world.teacher)
    body = text(client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert 'lang="en"' in body and "Overview" in body
