"""W3C Verifiable Credential 2.0 documents (可验证凭证) for education e-certificates.

A certificate is a VC 2.0 document secured as a compact JWS (VC-JOSE-COSE, ``typ: vc+jwt``): the
JWS payload *is* the credential. It carries:

- ``id``: ``urn:gbt36904:<identifier>`` and ``certificateIdentifier``: the GB/T 36904 identifier
  (电子证照标识) in clear;
- ``issuer``: ``{"id", "name", "code"}`` (颁证单位, its unified social credit code);
- ``credentialSubject``: the certificate's fields plus ``holder`` (持证主体);
- ``credentialStatus``: Bitstring Status List entries (revocation, suspension);
- ``certificateMetadata``: the GB/T 36903 metadata (电子证照元数据): identifier, type, holder,
  issuer, issue date, validity, plus what the caller adds.

No JSON-LD processing is needed to verify (VC-JOSE-COSE allows plain JSON); the edubase context
URL names the extra terms for those who process JSON-LD.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from edubase.crypto.sm3 import sm3

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
EDUBASE_CONTEXT = "https://edubase.henan.edu.cn/ns/credentials/v1"
FILE_FORMAT = "edubase-credential/1"
_TERMS = EDUBASE_CONTEXT.rsplit("/", 1)[0] + "#"
#: The JSON-LD context document to serve at ``EDUBASE_CONTEXT`` (verifiers that process JSON-LD fetch
#: it; this library never does). Certificate type names and subject fields fall under the VC 2.0
#: context's issuer-dependent ``@vocab``.
EDUBASE_CONTEXT_DOCUMENT: dict[str, Any] = {
    "@context": {
        "@protected": True,
        "certificateIdentifier": _TERMS + "certificateIdentifier",
        "certificateMetadata": {"@id": _TERMS + "certificateMetadata", "@type": "@json"},
    }
}
ID_PREFIX = "urn:gbt36904:"


def iso(moment: datetime) -> str:
    """XML Schema dateTimeStamp in UTC with a ``Z`` (what VC 2.0 ``validFrom`` expects)."""
    if moment.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: object) -> datetime:
    """Parse a VC date-time; a missing time zone is refused (ambiguous); raise ``ValueError``."""
    if not isinstance(text, str) or len(text) > 40:
        raise ValueError("not a date-time string")
    value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    if value.tzinfo is None:
        raise ValueError("date-time without time zone")
    return value


def build_credential(
    *,
    identifier: str,
    type_name: str,
    issuer_id: str,
    issuer_name: str,
    holder: dict[str, Any],
    subject: dict[str, Any],
    valid_from: datetime,
    valid_until: datetime | None,
    status_entries: list[dict[str, Any]],
    metadata: dict[str, Any],
    issuer_code: str | None = None,
    issued_at: datetime | None = None,
) -> dict[str, Any]:
    """The unsigned credential document (sign it with ``jose.sign_compact``).

    - ``type_name``: the VC type term, e.g. ``"GraduationCertificate"`` (added after
      ``VerifiableCredential``).
    - ``holder``: who holds it (持证主体), e.g. ``{"name": "张三", "idType": "居民身份证",
      "idMasked": "4101**********1234"}``; never a full personal identifier (the document is public to
      whoever it is shown to).
    - ``subject``: the certificate's fields (school, major, degree, courses …).
    - ``issuer_code``: the issuer's USCC; taken from the identifier when not given.
    - ``issued_at``: issue date (颁证日期), ``valid_from`` when not given; the verifier checks the
      issuer key was valid at this moment.
    - ``metadata``: further GB/T 36903 elements; keys given here override the defaults.
    """
    from edubase.credentials.identifiers import parse_identifier

    parsed = parse_identifier(identifier)
    code = issuer_code or parsed.issuer_code
    issued = issued_at or valid_from
    credential_subject: dict[str, Any] = {**subject, "holder": dict(holder)}
    meta: dict[str, Any] = {
        "identifier": identifier,
        "typeCode": parsed.type_code,
        "typeName": type_name,
        "holderName": holder.get("name"),
        "issuerName": issuer_name,
        "issuerCode": code,
        "issueDate": iso(issued),
        "validFrom": iso(valid_from),
        "validUntil": iso(valid_until) if valid_until else None,
        "version": parsed.version,
        "sm2Uid": "1234567812345678",
    }
    meta.update(metadata)
    document: dict[str, Any] = {
        "@context": [VC_CONTEXT, EDUBASE_CONTEXT],
        "id": ID_PREFIX + identifier,
        "type": ["VerifiableCredential", type_name],
        "issuer": {"id": issuer_id, "name": issuer_name, "code": code},
        "validFrom": iso(valid_from),
    }
    if valid_until is not None:
        document["validUntil"] = iso(valid_until)
    document["certificateIdentifier"] = identifier
    document["credentialSubject"] = credential_subject
    if status_entries:
        document["credentialStatus"] = list(status_entries)
    document["certificateMetadata"] = meta
    return document


def credential_digest(jws: str) -> str:
    """SM3 hex of the compact JWS text (QR links carry its first 16 characters)."""
    return sm3(jws.strip().encode("ascii")).hex()


def certificate_file(jws: str, jws_interop: str | None = None) -> dict[str, Any]:
    """The ``.json`` a holder downloads: the SM2 JWS and, optionally, an ES256/EdDSA JWS over the same
    payload. The verifier accepts this or a bare JWS."""
    document: dict[str, Any] = {"format": FILE_FORMAT, "jws": jws}
    if jws_interop:
        document["jws_interop"] = jws_interop
    return document


def issuer_of(credential: dict[str, Any]) -> str | None:
    """The issuer id of a credential (``issuer`` may be a string or an object with ``id``)."""
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, dict) and isinstance(issuer.get("id"), str):
        return issuer["id"]
    return None


def issued_at_of(credential: dict[str, Any]) -> datetime:
    """The issue moment (``certificateMetadata.issueDate``, else ``validFrom``); ``ValueError`` if absent."""
    meta = credential.get("certificateMetadata")
    if isinstance(meta, dict) and meta.get("issueDate"):
        return parse_iso(meta["issueDate"])
    return parse_iso(credential.get("validFrom"))
