"""GB/T 2260 《中华人民共和国行政区划代码》 (region codes), from python-stdnum's ``stdnum/cn/loc.dat``.

Every code that ever existed is loaded, with its current name (or its last name when abolished)
and the names it had, because real records carry codes that were later abolished.
"""

from __future__ import annotations

from importlib import metadata

from edubase.orgs.standards.gb2260 import divisions

STANDARD = "GB/T 2260"
NAME = "中华人民共和国行政区划代码"
SOURCE = "python-stdnum stdnum/cn/loc.dat（据维基百科《中华人民共和国行政区划代码》整理，含历年变更）"


def version() -> str:
    """The stdnum release the table was taken from (its data moves with the package)."""
    return f"stdnum-{metadata.version('python-stdnum')}"


def items() -> list[tuple[str, str, str, dict[str, object]]]:
    """(code, name, parent code, extra) for every code in the table."""
    rows: list[tuple[str, str, str, dict[str, object]]] = []
    for code, division in sorted(divisions().items()):
        if code.endswith("0000"):
            parent = ""
        elif code.endswith("00"):
            parent = code[:2] + "0000"
        else:
            parent = code[:4] + "00"
        name = division.name or (division.names[-1] if division.names else code)
        rows.append(
            (code, name, parent, {"current": division.current, "names": list(division.names), "level": division.level})
        )
    return rows
