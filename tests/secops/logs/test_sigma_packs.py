"""Rule packs: a directory or zip of Sigma YAML → DetectionRule rows (upsert, per-rule errors, audit)."""

from __future__ import annotations

import io
import zipfile

import pytest

from edubase.core.errors import PermissionDenied, ValidationFailed
from edubase.secops.logs.sigma import packs
from edubase.secops.models import DetectionRule

GOOD = """
title: 访问 .git 目录
id: 0b0d9c2e-1111-4a4a-9c9c-000000000001
status: test
logsource: {category: webserver}
detection:
  s:
    cs-uri-stem|contains: '/.git/'
  condition: s
tags: [attack.t1595.003, attack.reconnaissance]
level: medium
"""
COLLECTION = """
action: global
title: 暴力破解（集合）
logsource: {product: windows, service: security}
level: low
tags: [attack.t1110]
---
id: 0b0d9c2e-1111-4a4a-9c9c-000000000002
name: win_failed_logon
detection:
  s:
    EventID: 4625
  condition: s
---
title: 同一地址大量 4625
id: 0b0d9c2e-1111-4a4a-9c9c-000000000003
correlation:
  type: event_count
  rules: [win_failed_logon]
  group-by: [IpAddress]
  timespan: 5m
  condition: {gte: 20}
level: high
"""
UNSUPPORTED = """
title: Sysmon 进程创建
id: 0b0d9c2e-1111-4a4a-9c9c-000000000004
logsource: {category: process_creation, product: windows}
detection:
  s:
    CommandLine|contains: mimikatz
  condition: s
level: high
"""


def pack_zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


@pytest.mark.django_db
def test_import_zip_with_collection_correlation_and_bad_rules(world) -> None:  # type: ignore[no-untyped-def]
    data = pack_zip(
        {
            "rules/web/git.yml": GOOD,
            "rules/windows/bf.yml": COLLECTION,
            "rules/windows/sysmon.yml": UNSUPPORTED,
            "rules/broken.yml": "title: [oops\n",
            "README.md": "# not a rule",
            "rules/web/git.test.yml": "rule: x\ncases: []\n",
        }
    )
    report = packs.import_pack(data, pack_name="SigmaHQ r2025-03", actor=world.province_admin)
    assert report["imported"] == 4 and report["updated"] == 0 and report["total"] == 4
    failed = {(f, r): e for f, r, e in report["failed"]}
    assert any("日志来源" in e for (f, _r), e in failed.items() if f.endswith("sysmon.yml"))
    assert any("YAML" in e for (f, _r), e in failed.items() if f.endswith("broken.yml"))
    corr = DetectionRule.objects.get(rule_id="0b0d9c2e-1111-4a4a-9c9c-000000000003")
    assert corr.kind == "correlation" and corr.level == "high" and not corr.error
    assert 'GROUP BY "source.ip"' in corr.compiled["duckdb"] and "HAVING count(*) >= 20" in corr.compiled["clickhouse"]
    atom = DetectionRule.objects.get(rule_id="0b0d9c2e-1111-4a4a-9c9c-000000000002")
    assert (
        atom.tags == ["attack.t1110"] and atom.level == "low" and "winlog.event_id" in atom.compiled["where"]["duckdb"]
    )
    git = DetectionRule.objects.get(rule_id="0b0d9c2e-1111-4a4a-9c9c-000000000001")
    assert git.tags == ["attack.t1595.003", "attack.reconnaissance"] and git.pack == "SigmaHQ r2025-03"
    bad = DetectionRule.objects.get(rule_id="0b0d9c2e-1111-4a4a-9c9c-000000000004")
    assert "日志来源" in bad.error and bad.compiled == {}

    from edubase.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="secops.rulepack.import").count() == 1

    # re-import: upsert by rule id, nothing duplicated
    again = packs.import_pack(data, pack_name="SigmaHQ r2025-04", actor=world.province_admin)
    assert again["imported"] == 0 and again["updated"] == 4
    assert DetectionRule.objects.count() == 4
    assert DetectionRule.objects.get(rule_id=git.rule_id).pack == "SigmaHQ r2025-04"


@pytest.mark.django_db
def test_import_directory_and_bundled_rules(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a.yml").write_text(GOOD, encoding="utf-8")
    assert packs.import_pack(tmp_path, pack_name="dir", actor=world.province_admin)["imported"] == 1
    report = packs.import_bundled()
    assert report["failed"] == [] and report["imported"] >= 17
    brute = DetectionRule.objects.get(rule_id="6f1b7a52-5d0c-4e57-9a55-1a0e3c9b0a02")
    assert brute.pack == "edubase" and brute.compiled["group_by"] == ["source.ip"] and brute.compiled["timespan"] == 300


@pytest.mark.django_db
def test_import_needs_manage_and_valid_input(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        packs.import_pack(pack_zip({"a.yml": GOOD}), pack_name="x", actor=world.school_admin)
    with pytest.raises(ValidationFailed, match="zip"):
        packs.import_pack(b"not a zip", pack_name="x", actor=world.province_admin)
    with pytest.raises(ValidationFailed, match="没有 Sigma 规则"):
        packs.import_pack(pack_zip({"README.md": "x"}), pack_name="x", actor=world.province_admin)
    with pytest.raises(ValidationFailed, match="名称"):
        packs.import_pack(pack_zip({"a.yml": GOOD}), pack_name=" ", actor=world.province_admin)
    assert DetectionRule.objects.count() == 0
