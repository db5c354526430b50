"""Classification of data (数据分类): which personal or sensitive entity a value, a piece of
free text or a whole column holds.

Pure Python (no Django), so the catalogue scanner, the pool and the benchmarks share it:

* ``validators`` — checksum/format validators (GB 11643, GB 32100, Luhn, …); never raise.
* ``entities`` — the entity catalogue (code, Chinese label, category, personal/sensitive flags,
  JY/T data element).
* ``names`` / ``addresses`` — Chinese person names and Henan-style addresses.
* ``values`` — ``scan_text`` (free text) and ``classify_value`` (one cell).
* ``columns`` — ``classify_column`` from name, comment and sampled values, with reviewer corrections.
* ``evalset`` / ``harness`` — the seeded labelled evaluation set and the precision/recall harness.
"""

from edubase.datagov.classify.columns import REVIEW_THRESHOLD, ColumnVerdict, classify_column, normalise_column_name
from edubase.datagov.classify.entities import ENTITIES, Entity
from edubase.datagov.classify.values import Match, classify_value, scan_text

__all__ = [
    "ENTITIES",
    "REVIEW_THRESHOLD",
    "ColumnVerdict",
    "Entity",
    "Match",
    "classify_column",
    "classify_value",
    "normalise_column_name",
    "scan_text",
]
