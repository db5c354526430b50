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
from edubase.secops.models.detection import (
    Alert,
    AlertStatus,
    DetectionRule,
    IngestRejection,
    LogSource,
    RuleException,
    RuleLevel,
    RuleScope,
    SourceFormat,
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
from edubase.secops.models.rollup import RollupKind, SecurityRollup, SecurityRollupRun

__all__ = [
    "Alert",
    "AlertStatus",
    "Assessment",
    "AssessmentConclusion",
    "Asset",
    "AssetKind",
    "DetectionRule",
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
    "IngestRejection",
    "LogSource",
    "Notice",
    "NoticeEscalation",
    "NoticeEvidence",
    "NoticeSequence",
    "NoticeStatus",
    "RegistryChange",
    "RollupKind",
    "RuleException",
    "RuleLevel",
    "RuleScope",
    "ScanImport",
    "SecurityRollup",
    "SecurityRollupRun",
    "Severity",
    "SourceFormat",
    "SystemStatus",
]
