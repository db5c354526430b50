"""secops models, one module per part (each helper/feature owns its module)."""

from edubase.secops.models.assets import (
    Assessment,
    AssessmentConclusion,
    Asset,
    AssetKind,
    InformationSystem,
    RegistryChange,
    SystemStatus,
)
from edubase.secops.models.findings import Finding, FindingChange, FindingStatus, ScanImport, Severity
from edubase.secops.models.incidents import (
    Incident,
    IncidentAction,
    IncidentCategory,
    IncidentEvidence,
    IncidentGrade,
    IncidentState,
    IncidentTask,
)
from edubase.secops.models.notices import (
    Notice,
    NoticeEscalation,
    NoticeEvidence,
    NoticeSequence,
    NoticeStatus,
)

__all__ = [
    "Assessment",
    "AssessmentConclusion",
    "Asset",
    "AssetKind",
    "Finding",
    "FindingChange",
    "FindingStatus",
    "Incident",
    "IncidentAction",
    "IncidentCategory",
    "IncidentEvidence",
    "IncidentGrade",
    "IncidentState",
    "IncidentTask",
    "InformationSystem",
    "Notice",
    "NoticeEscalation",
    "NoticeEvidence",
    "NoticeSequence",
    "NoticeStatus",
    "RegistryChange",
    "ScanImport",
    "Severity",
    "SystemStatus",
]
