"""What the catalogue itself holds of a dataset's contents, removed when the life cycle deletes the dataset.

The catalogue keeps structure (fields, grades, releases) — metadata the deletion certificate may
leave — and a few masked sample values per field, which are contents: those go. Registered with
``datagov.sharing.lifecycle`` in ``DatagovConfig.ready``.
"""

from __future__ import annotations

from edubase.datagov.models import DataField, Dataset

PURGER_NAME = "catalogue_samples"


def purge_samples(dataset: Dataset) -> int:
    """Clear the masked samples of every field of ``dataset``; the number of sample values removed."""
    removed = 0
    fields = [f for f in DataField.objects.filter(dataset=dataset).only("pk", "samples_masked") if f.samples_masked]
    for field in fields:
        removed += len(field.samples_masked or [])
        field.samples_masked = []
    DataField.objects.bulk_update(fields, ["samples_masked"], batch_size=500)
    return removed
