"""Rule packs: a directory or zip of Sigma YAML (e.g. a SigmaHQ release) → ``DetectionRule`` rows.

``import_pack(source, pack_name=, actor=)`` compiles every rule (both SQL dialects), upserts the
rows by rule id, and reports ``{"imported": n, "updated": n, "failed": [(file, rule, error)], …}``.
A rule that cannot run (log source we do not collect, refused modifier, unmapped field…) is still
stored, disabled in effect by its ``error`` text, so the console can show why; one bad rule never
aborts the pack. Rule test files (``*.test.yml``) and non-YAML files are skipped. Imports are
province-level: the actor needs ``secops.manage`` on the province (the root of the org tree).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from django.db import transaction

from edubase.core import audit
from edubase.core.errors import ValidationFailed
from edubase.core.scope import require

from .compiler import CompiledRule, compile_documents

MAX_FILES = 20_000
MAX_BYTES = 200 * 1024 * 1024
BUNDLED_PACK = "edubase"


def _is_rule_file(name: str) -> bool:
    low = name.lower()
    base = low.rsplit("/", 1)[-1]
    return (
        low.endswith((".yml", ".yaml")) and not base.endswith((".test.yml", ".test.yaml")) and not base.startswith(".")
    )


def read_source(source: str | Path | bytes) -> list[tuple[str, str]]:
    """(relative file name, text) of every Sigma YAML file in a directory, a zip file or zip bytes."""
    files: list[tuple[str, str]] = []
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    else:
        path = Path(source)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file() and _is_rule_file(p.name):
                    files.append((str(p.relative_to(path)), p.read_text(encoding="utf-8", errors="replace")))
            if not files:
                raise ValidationFailed(f"目录 {path.name} 中没有 Sigma 规则文件（.yml/.yaml）")
            return files
        if not path.is_file():
            raise ValidationFailed(f"规则包 {path} 不存在")
        data = path.read_bytes()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ValidationFailed("规则包不是有效的 zip 文件，也不是目录") from exc
    infos = [i for i in zf.infolist() if not i.is_dir() and _is_rule_file(i.filename)]
    if len(infos) > MAX_FILES:
        raise ValidationFailed(f"规则包文件过多（{len(infos)} 个，上限 {MAX_FILES}）")
    if sum(i.file_size for i in infos) > MAX_BYTES:
        raise ValidationFailed("规则包解压后过大（上限 200 MB）")
    for info in sorted(infos, key=lambda i: i.filename):
        files.append((info.filename, zf.read(info).decode("utf-8", errors="replace")))
    if not files:
        raise ValidationFailed("规则包中没有 Sigma 规则文件（.yml/.yaml）")
    return files


def _province_path() -> str:
    from edubase.orgs.models import Org

    root = Org.objects.filter(kind="province").order_by("path").first()
    if root is None:
        raise ValidationFailed("尚未建立省级机构，无法导入规则包")
    return str(root.path)


def _fields(rule: CompiledRule, pack_name: str) -> dict[str, Any]:
    compiled = dict(rule.compiled)
    return {
        "title": rule.title,
        "description": rule.description,
        "level": rule.level if rule.level in ("informational", "low", "medium", "high", "critical") else "medium",
        "kind": rule.kind,
        "status": rule.status[:16],
        "tags": rule.tags,
        "pack": pack_name[:100],
        "yaml": rule.yaml,
        "error": rule.error,
        "compiled": compiled if not rule.error else {},
    }


def import_pack(source: str | Path | bytes, *, pack_name: str, actor: Any) -> dict[str, Any]:
    """Import a Sigma rule pack; returns ``{"imported", "updated", "failed", "unsupported", "total"}``."""
    from edubase.secops.models import DetectionRule

    if actor is not None:
        require(actor, "secops.manage", path=_province_path())
    pack_name = (pack_name or "").strip()
    if not pack_name:
        raise ValidationFailed("请填写规则包名称")
    files = read_source(source)
    rules, failures = compile_documents(files)
    imported = updated = 0
    seen: set[str] = set()
    with transaction.atomic():
        existing = {r.rule_id: r for r in DetectionRule.objects.filter(rule_id__in=[r.rule_id for r in rules])}
        for rule in rules:
            if rule.rule_id in seen:
                failures.append((rule.file, rule.rule_id, f"规则 ID {rule.rule_id} 在规则包中重复，已忽略后一条"))
                continue
            seen.add(rule.rule_id)
            values = _fields(rule, pack_name)
            row = existing.get(rule.rule_id)
            if row is None:
                DetectionRule.objects.create(rule_id=rule.rule_id, **values)
                imported += 1
            else:
                for k, v in values.items():
                    setattr(row, k, v)
                row.save()
                updated += 1
        report = {
            "imported": imported,
            "updated": updated,
            "failed": failures,
            "unsupported": sum(1 for r in rules if r.error),
            "total": len(rules),
        }
        if actor is not None:
            audit.record(
                actor=actor,
                action="secops.rulepack.import",
                object_type="secops.detectionrule",
                object_id=pack_name[:64],
                object_repr=f"规则包 {pack_name}",
                after={**report, "failed": len(failures)},
            )
    return report


def import_bundled(actor: Any = None) -> dict[str, Any]:
    """Install/refresh the bundled education rules (``logs/rules``); ``actor=None`` = system (migrations, demo)."""
    return import_pack(Path(__file__).resolve().parent.parent / "rules", pack_name=BUNDLED_PACK, actor=actor)
