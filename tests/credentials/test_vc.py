"""VC 2.0 documents: shape, GB/T 36903 metadata, digest and the downloadable file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from edubase.credentials.identifiers import IdentifierError, make_identifier
from edubase.credentials.statuslist import status_entry
from edubase.credentials.vc import (
    EDUBASE_CONTEXT,
    EDUBASE_CONTEXT_DOCUMENT,
    VC_CONTEXT,
    build_credential,
    certificate_file,
    credential_digest,
    iso,
    issued_at_of,
    issuer_of,
    parse_iso,
)
from edubase.crypto.sm3 import sm3

ISSUER_CODE = "91330100716105852F"
IDENTIFIER = make_identifier(type_code="914403001922038216001", issuer_code=ISSUER_CODE, serial="20250001", version=2)
URL = "https://cert.example/status/revocation/1"


def _credential(**changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "identifier": IDENTIFIER,
        "type_name": "TranscriptCertificate",
        "issuer_id": "https://cert.example/issuers/zzu",
        "issuer_name": "郑州大学",
        "holder": {"name": "李四", "idMasked": "4101**********0021"},
        "subject": {"courses": [{"name": "高等数学", "score": 92}, {"name": "线性代数", "score": 88}]},
        "valid_from": datetime(2025, 7, 1, 8, 0, tzinfo=timezone(timedelta(hours=8))),
        "valid_until": None,
        "status_entries": [status_entry(list_url=URL, index=5, purpose="revocation")],
        "metadata": {"certificateNumber": "ZZU-2025-0001"},
    }
    arguments.update(changes)
    return build_credential(**arguments)


def test_document_shape() -> None:
    document = _credential()
    assert document["@context"] == [VC_CONTEXT, EDUBASE_CONTEXT]
    assert document["type"] == ["VerifiableCredential", "TranscriptCertificate"]
    assert document["id"] == "urn:gbt36904:" + IDENTIFIER
    assert document["certificateIdentifier"] == IDENTIFIER
    assert document["issuer"] == {"id": "https://cert.example/issuers/zzu", "name": "郑州大学", "code": ISSUER_CODE}
    assert document["validFrom"] == "2025-07-01T00:00:00Z"  # normalised to UTC
    assert "validUntil" not in document
    assert document["credentialSubject"]["holder"]["name"] == "李四"
    assert document["credentialSubject"]["courses"][1]["score"] == 88
    assert document["credentialStatus"][0]["statusListIndex"] == "5"


def test_context_document_defines_the_extra_terms() -> None:
    terms = EDUBASE_CONTEXT_DOCUMENT["@context"]
    assert set(_credential()) - {
        "@context",
        "id",
        "type",
        "issuer",
        "validFrom",
        "credentialSubject",
        "credentialStatus",
    } <= set(terms)


def test_gbt_36903_metadata() -> None:
    document = _credential(valid_until=datetime(2030, 1, 1, tzinfo=UTC), issued_at=datetime(2025, 6, 30, tzinfo=UTC))
    meta = document["certificateMetadata"]
    assert isinstance(meta, dict)
    assert meta["identifier"] == IDENTIFIER
    assert meta["typeCode"] == "914403001922038216001"
    assert meta["issuerCode"] == ISSUER_CODE
    assert meta["holderName"] == "李四"
    assert meta["issueDate"] == "2025-06-30T00:00:00Z"
    assert meta["validUntil"] == "2030-01-01T00:00:00Z"
    assert meta["version"] == 2
    assert meta["sm2Uid"] == "1234567812345678"
    assert meta["certificateNumber"] == "ZZU-2025-0001"  # caller's extra element kept
    assert document["validUntil"] == "2030-01-01T00:00:00Z"
    assert issued_at_of(document) == datetime(2025, 6, 30, tzinfo=UTC)
    assert issuer_of(document) == "https://cert.example/issuers/zzu"


def test_malformed_identifier_is_refused_at_build_time() -> None:
    with pytest.raises(IdentifierError):
        _credential(identifier=IDENTIFIER[:-1] + ("0" if IDENTIFIER[-1] != "0" else "1"))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        iso(datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="time zone"):
        parse_iso("2025-01-01T00:00:00")
    assert parse_iso("2025-01-01T00:00:00Z") == datetime(2025, 1, 1, tzinfo=UTC)


def test_digest_and_file() -> None:
    jws = "eyJhbGciOiJTTTIifQ.eyJhIjoxfQ.AAAA"
    assert credential_digest(jws) == sm3(jws.encode()).hex()
    assert len(credential_digest(jws)) == 64
    assert credential_digest(jws + "\n") == credential_digest(jws)
    assert certificate_file(jws) == {"format": "edubase-credential/1", "jws": jws}
    assert certificate_file(jws, "x.y.z")["jws_interop"] == "x.y.z"
