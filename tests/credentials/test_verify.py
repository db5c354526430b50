"""The verifier: a valid certificate passes every check; every "bad input" of issue 8 fails the
check that names it, in Chinese and English, and is never reported valid."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from edubase.credentials.identifiers import make_identifier
from edubase.credentials.jose import b64url_decode, b64url_encode, sign_compact
from edubase.credentials.statuslist import StatusList, status_entry, status_list_credential
from edubase.credentials.vc import build_credential, certificate_file
from edubase.credentials.verify import IssuerKey, Report, StaticResolver, verify_credential
from edubase.crypto.sm2 import SM2PrivateKey

ZZU_ID = "https://cert.example/issuers/zzu"
ZZU_CODE = "91330100716105852F"
LYU_ID = "https://cert.example/issuers/lyu"
LYU_CODE = "9144030071526726XG"
AUTHORITY = "914403001922038216"
ISSUED = datetime(2025, 6, 30, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
KEY_FROM = datetime(2024, 1, 1, tzinfo=UTC)


def list_url(issuer: str, purpose: str) -> str:
    return f"{issuer}/status/{purpose}/1"


@dataclass
class Issuer:
    """One issuer with its SM2 key, registry entry and two status lists."""

    issuer_id: str
    code: str
    name: str
    key: SM2PrivateKey
    kid: str
    lists: dict[str, StatusList] = field(
        default_factory=lambda: {"revocation": StatusList(), "suspension": StatusList()}
    )

    def registry_key(self, **changes: Any) -> IssuerKey:
        key = IssuerKey(
            kid=self.kid,
            issuer_id=self.issuer_id,
            issuer_code=self.code,
            alg="SM2",
            public_key=self.key.public_key(),
            valid_from=KEY_FROM,
            valid_until=None,
            issuer_name=self.name,
        )
        return replace(key, **changes)

    def credential(self, serial: str = "2025000001", *, index: int = 42, **changes: Any) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "identifier": make_identifier(type_code=AUTHORITY + "001", issuer_code=self.code, serial=serial, version=1),
            "type_name": "GraduationCertificate",
            "issuer_id": self.issuer_id,
            "issuer_name": self.name,
            "holder": {"name": "张三", "idMasked": "4101**********1234"},
            "subject": {"school": self.name, "major": "软件工程", "degree": "工学学士"},
            "valid_from": ISSUED,
            "valid_until": None,
            "status_entries": [
                status_entry(list_url=list_url(self.issuer_id, "revocation"), index=index, purpose="revocation"),
                status_entry(list_url=list_url(self.issuer_id, "suspension"), index=index, purpose="suspension"),
            ],
            "metadata": {},
        }
        arguments.update(changes)
        return build_credential(**arguments)

    def sign(self, payload: dict[str, Any], **kwargs: Any) -> str:
        options: dict[str, Any] = {"alg": "SM2", "key": self.key, "kid": self.kid}
        options.update(kwargs)
        return sign_compact(payload, **options)

    def signed_list(self, purpose: str, *, valid_from: datetime = ISSUED, **kwargs: Any) -> str:
        document = status_list_credential(
            list_url=list_url(self.issuer_id, purpose),
            purpose=purpose,
            status_list=self.lists[purpose],
            issuer_id=self.issuer_id,
            valid_from=valid_from,
            **kwargs,
        )
        return self.sign(document)

    def publish(self, resolver: StaticResolver) -> None:
        for purpose in ("revocation", "suspension"):
            resolver.status_lists[list_url(self.issuer_id, purpose)] = self.signed_list(purpose)


@dataclass
class World:
    zzu: Issuer
    lyu: Issuer
    resolver: StaticResolver

    def verify(self, data: bytes | str | dict[str, Any], **kwargs: Any) -> Report:
        kwargs.setdefault("now", NOW)
        report = verify_credential(data, resolver=self.resolver, **kwargs)
        json.dumps(report.to_dict(), ensure_ascii=False)  # the report is always JSON-ready
        for check in report.checks:
            assert check.message_zh and check.message_en
        return report


def make_world() -> World:
    zzu = Issuer(ZZU_ID, ZZU_CODE, "郑州大学", SM2PrivateKey.generate(), "zzu-sign-1")
    lyu = Issuer(LYU_ID, LYU_CODE, "洛阳理工学院", SM2PrivateKey.generate(), "lyu-sign-1")
    resolver = StaticResolver([zzu.registry_key(), lyu.registry_key()])
    zzu.publish(resolver)
    lyu.publish(resolver)
    return World(zzu, lyu, resolver)


@pytest.fixture
def world() -> World:
    return make_world()


def assert_fails(report: Report, check: str, reason: str) -> None:
    assert not report.valid
    failed = report.failed
    assert failed is not None, report.to_dict()
    assert (failed.code, failed.detail.get("reason")) == (check, reason), report.to_dict()["checks"]
    order = [c.code for c in report.checks]
    assert order == ["format", "issuer", "signature", "status", "validity"]
    assert report.to_dict()["failed_check"] == check


def swap_payload(jws: str, payload: dict[str, Any]) -> str:
    header, _, signature = jws.split(".")
    return f"{header}.{b64url_encode(json.dumps(payload, ensure_ascii=False).encode())}.{signature}"


# --------------------------------------------------------------------------- happy paths


def test_valid_certificate_file_passes_every_check(world: World) -> None:
    jws = world.zzu.sign(world.zzu.credential())
    report = world.verify(certificate_file(jws))
    assert report.valid, report.to_dict()
    assert [c.ok for c in report.checks] == [True] * 5
    assert report.identifier and report.identifier.startswith("1.2.156.3005.2.")
    assert report.credential is not None and report.credential["credentialSubject"]["holder"]["name"] == "张三"
    assert report.summary == ("证书有效", "The certificate is valid")
    assert report.check("status").detail["entries"][0]["purpose"] == "revocation"


@pytest.mark.parametrize("form", ["str", "bytes", "file_bytes", "file_dict", "whitespace"])
def test_accepted_input_forms(world: World, form: str) -> None:
    jws = world.zzu.sign(world.zzu.credential())
    data: Any = {
        "str": jws,
        "bytes": jws.encode(),
        "file_bytes": json.dumps(certificate_file(jws)).encode(),
        "file_dict": certificate_file(jws),
        "whitespace": f"\n  {jws}\n",
    }[form]
    assert world.verify(data).valid


@pytest.mark.parametrize("interop_alg", ["ES256", "EdDSA"])
def test_interop_proof_is_verified_too(world: World, interop_alg: str) -> None:
    credential = world.zzu.credential()
    interop_key: Any = (
        ec.generate_private_key(ec.SECP256R1()) if interop_alg == "ES256" else ed25519.Ed25519PrivateKey.generate()
    )
    world.resolver.add_key(
        world.zzu.registry_key(kid="zzu-interop-1", alg=interop_alg, public_key=interop_key.public_key())
    )
    jws = world.zzu.sign(credential)
    interop = world.zzu.sign(credential, alg=interop_alg, key=interop_key, kid="zzu-interop-1")
    report = world.verify(certificate_file(jws, interop))
    assert report.valid, report.to_dict()
    assert report.check("signature").detail["algs"] == ["SM2", interop_alg]
    # A second proof over other content is refused.
    other = world.zzu.sign(world.zzu.credential("2025000002"), alg=interop_alg, key=interop_key, kid="zzu-interop-1")
    assert_fails(world.verify(certificate_file(jws, other)), "format", "interop_payload_mismatch")
    # A forged second proof fails the signature check.
    forged = interop.rsplit(".", 1)[0] + "." + b64url_encode(bytes(64))
    assert_fails(world.verify(certificate_file(jws, forged)), "signature", "bad_signature")


def test_offline_mode_skips_status_and_says_so(world: World) -> None:
    world.zzu.lists["revocation"].set(42, True)
    world.zzu.publish(world.resolver)
    jws = world.zzu.sign(world.zzu.credential())
    report = world.verify(jws, offline=True)
    assert report.valid and report.offline
    status = report.check("status")
    assert status.ok is None and "离线" in status.message_zh and "ffline" in status.message_en
    assert "未检查撤销状态" in report.summary[0]
    assert not world.verify(jws).valid  # online, the revocation shows


# --------------------------------------------------------------------------- format failures


def test_tampered_json_fails_the_signature(world: World) -> None:
    credential = world.zzu.credential()
    jws = world.zzu.sign(credential)
    credential["credentialSubject"]["degree"] = "工学博士"
    report = world.verify(certificate_file(swap_payload(jws, credential)))
    assert_fails(report, "signature", "bad_signature")
    assert "篡改" in report.check("signature").message_zh


def test_unsigned_credential_json_is_refused(world: World) -> None:
    report = world.verify(world.zzu.credential())
    assert_fails(report, "format", "unsigned")
    assert report.check("issuer").ok is None and report.check("signature").ok is None


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"alg": "none"}, "alg_none"),
        ({"alg": "HS256", "kid": "zzu-sign-1"}, "alg_not_allowed"),
        ({"alg": "RS256"}, "alg_not_allowed"),
    ],
)
def test_refused_algorithms(world: World, header: dict[str, Any], reason: str) -> None:
    jws = world.zzu.sign(world.zzu.credential())
    _, payload, signature = jws.split(".")
    forged = f"{b64url_encode(json.dumps({**header, 'typ': 'vc+jwt'}).encode())}.{payload}.{signature}"
    assert_fails(world.verify(forged), "format", reason)
    assert_fails(world.verify(f"{forged.rsplit('.', 1)[0]}."), "format", "not_jws")


def test_unexpected_algorithm_for_the_registered_key(world: World) -> None:
    es_key = ec.generate_private_key(ec.SECP256R1())
    jws = world.zzu.sign(world.zzu.credential(), alg="ES256", key=es_key)  # kid of the SM2 key
    assert_fails(world.verify(jws), "signature", "alg_key_mismatch")


def test_oversized_inputs(world: World) -> None:
    jws = world.zzu.sign(world.zzu.credential())
    assert_fails(world.verify(jws, max_bytes=200), "format", "oversized")
    assert_fails(world.verify("x" * 300000), "format", "oversized")
    assert_fails(world.verify(b"{" + b" " * 300000 + b"}"), "format", "oversized")
    assert_fails(world.verify({"format": "edubase-credential/1", "jws": "a" * 300000}), "format", "oversized")
    big = world.zzu.credential(subject={"notes": "x" * 300000})
    assert_fails(world.verify(world.zzu.sign(big)), "format", "oversized")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe\x00garbage", "not_utf8"),
        ("not a certificate", "not_jws"),
        ('{"format": "other/1", "jws": "a.b.c"}', "unknown_format"),
        ('{"format": "edubase-credential/1"}', "unknown_format"),
        ('{"hello": 1}', "unknown_format"),
        ('{"a": 1, "a": 2}', "duplicate_member"),
        ("{broken", "bad_json"),
        ([1, 2], "unknown_format"),
    ],
)
def test_unrecognised_inputs(world: World, data: Any, reason: str) -> None:
    assert_fails(world.verify(data), "format", reason)


def test_malformed_identifier_in_a_signed_credential(world: World) -> None:
    credential = world.zzu.credential()
    good = credential["certificateIdentifier"]
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")  # wrong check character
    credential["certificateIdentifier"] = bad
    credential["id"] = "urn:gbt36904:" + bad
    report = world.verify(world.zzu.sign(credential))
    assert_fails(report, "format", "bad_identifier")
    assert report.check("format").detail["identifier_reason"] == "check_mismatch"
    assert "校验位" in report.check("format").message_zh


def test_identifier_of_another_issuer_code(world: World) -> None:
    credential = world.zzu.credential()
    credential["issuer"]["code"] = LYU_CODE
    assert_fails(world.verify(world.zzu.sign(credential)), "format", "identifier_issuer_mismatch")


def test_id_must_match_the_identifier(world: World) -> None:
    credential = world.zzu.credential()
    credential["id"] = "urn:gbt36904:something-else"
    assert_fails(world.verify(world.zzu.sign(credential)), "format", "bad_identifier")


def test_wrong_typ_and_missing_kid(world: World) -> None:
    credential = world.zzu.credential()
    assert_fails(world.verify(world.zzu.sign(credential, typ="JWT")), "format", "bad_typ")
    jws = world.zzu.sign(credential)
    header = json.loads(b64url_decode(jws.split(".")[0]))
    del header["kid"]
    no_kid = b64url_encode(json.dumps(header).encode()) + jws[jws.index(".") :]
    assert_fails(world.verify(no_kid), "format", "no_kid")


def test_a_status_list_is_not_a_certificate(world: World) -> None:
    status_list = world.resolver.status_lists[list_url(ZZU_ID, "revocation")]
    assert_fails(world.verify(status_list), "format", "not_certificate")


def test_not_a_vc(world: World) -> None:
    assert_fails(world.verify(world.zzu.sign({"hello": "world"})), "format", "not_vc")
    credential = world.zzu.credential()
    credential["validFrom"] = "2025-06-30"  # no time zone
    assert_fails(world.verify(world.zzu.sign(credential)), "format", "bad_dates")


# --------------------------------------------------------------------------- issuer failures


def test_unknown_key(world: World) -> None:
    stranger = SM2PrivateKey.generate()
    jws = world.zzu.sign(world.zzu.credential(), key=stranger, kid="zzu-sign-99")
    report = world.verify(jws)
    assert_fails(report, "issuer", "unknown_key")
    assert report.check("signature").ok is None


def test_certificate_claiming_another_issuer(world: World) -> None:
    # Luoyang signs a certificate that claims to come from Zhengzhou University.
    forged = world.zzu.credential()
    report = world.verify(world.lyu.sign(forged))
    assert_fails(report, "issuer", "issuer_mismatch")
    assert "另一签发单位" in report.check("issuer").message_zh


def test_key_registered_for_another_issuer_code(world: World) -> None:
    world.resolver.add_key(world.zzu.registry_key(issuer_code=LYU_CODE))
    assert_fails(world.verify(world.zzu.sign(world.zzu.credential())), "issuer", "issuer_code_mismatch")


def test_rotated_key_still_verifies_old_certificates(world: World) -> None:
    old_key = world.zzu.key
    old_jws = world.zzu.sign(world.zzu.credential())
    rotated_at = datetime(2025, 9, 1, tzinfo=UTC)
    new_key = SM2PrivateKey.generate()
    world.resolver.add_key(world.zzu.registry_key(valid_until=rotated_at))
    world.resolver.add_key(
        world.zzu.registry_key(kid="zzu-sign-2", public_key=new_key.public_key(), valid_from=rotated_at)
    )
    # After the rotation the issuer signs with the new key, status lists included.
    world.zzu.key, world.zzu.kid = new_key, "zzu-sign-2"
    for purpose in ("revocation", "suspension"):
        world.resolver.status_lists[list_url(ZZU_ID, purpose)] = world.zzu.signed_list(purpose, valid_from=NOW)
    report = world.verify(old_jws)
    assert report.valid, report.to_dict()
    assert report.check("issuer").detail["kids"] == ["zzu-sign-1"]
    assert world.verify(world.zzu.sign(world.zzu.credential("2026000001", valid_from=NOW - timedelta(days=1)))).valid
    # The retired key cannot sign anything dated after the rotation.
    late = world.zzu.credential("2026000002", valid_from=NOW - timedelta(days=1))
    late_jws = sign_compact(late, alg="SM2", key=old_key, kid="zzu-sign-1")
    assert_fails(world.verify(late_jws), "issuer", "key_not_valid_at_issuance")


def test_certificate_dated_before_the_key_existed(world: World) -> None:
    early = world.zzu.credential(valid_from=KEY_FROM - timedelta(days=30))
    assert_fails(world.verify(world.zzu.sign(early)), "issuer", "key_not_valid_at_issuance")


def test_compromised_key_invalidates_everything_it_signed(world: World) -> None:
    jws = world.zzu.sign(world.zzu.credential())
    world.resolver.add_key(world.zzu.registry_key(revoked_at=NOW - timedelta(days=1)))
    report = world.verify(jws)
    assert_fails(report, "issuer", "key_revoked")
    # Not yet revoked at the verification moment: still valid.
    assert world.verify(jws, now=NOW - timedelta(days=2)).valid


# --------------------------------------------------------------------------- signature failures


def test_signature_of_another_certificate(world: World) -> None:
    first = world.zzu.sign(world.zzu.credential("2025000001"))
    second = world.zzu.sign(world.zzu.credential("2025000002"))
    spliced = first.rsplit(".", 1)[0] + "." + second.rsplit(".", 1)[1]
    assert_fails(world.verify(spliced), "signature", "bad_signature")


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.sampled_from("AQgw09-_xZ."))
def test_any_single_character_change_is_never_valid(position: int, replacement: str) -> None:
    world = SHARED
    jws = SHARED_JWS
    position %= len(jws)
    if jws[position] == replacement:
        return
    altered = jws[:position] + replacement + jws[position + 1 :]
    assert not world.verify(altered).valid


SHARED = make_world()
SHARED_JWS = SHARED.zzu.sign(SHARED.zzu.credential())


# --------------------------------------------------------------------------- status failures


def test_revoked_suspended_and_reinstated(world: World) -> None:
    jws = world.zzu.sign(world.zzu.credential(index=777))
    assert world.verify(jws).valid
    world.zzu.lists["revocation"].set(777, True)
    world.zzu.publish(world.resolver)
    report = world.verify(jws)
    assert_fails(report, "status", "revoked")
    assert report.check("status").message_zh == "证书已被撤销"
    assert report.check("validity").ok is True  # later checks still run and are shown
    world.zzu.lists["revocation"].set(777, False)
    world.zzu.lists["suspension"].set(777, True)
    world.zzu.publish(world.resolver)
    assert_fails(world.verify(jws), "status", "suspended")
    world.zzu.lists["suspension"].set(777, False)
    world.zzu.publish(world.resolver)
    assert world.verify(jws).valid  # reinstated
    # Another certificate's bit does not affect this one.
    world.zzu.lists["revocation"].set(778, True)
    world.zzu.publish(world.resolver)
    assert world.verify(jws).valid


def test_status_list_unavailable(world: World) -> None:
    jws = world.zzu.sign(world.zzu.credential())
    del world.resolver.status_lists[list_url(ZZU_ID, "revocation")]
    assert_fails(world.verify(jws), "status", "status_unavailable")


def test_status_list_signed_by_another_issuer(world: World) -> None:
    jws = world.zzu.sign(world.zzu.credential())
    forged = status_list_credential(
        list_url=list_url(ZZU_ID, "revocation"),
        purpose="revocation",
        status_list=StatusList(),
        issuer_id=ZZU_ID,
        valid_from=ISSUED,
    )
    world.resolver.status_lists[list_url(ZZU_ID, "revocation")] = world.lyu.sign(forged)
    assert_fails(world.verify(jws), "status", "status_list_invalid")


def test_tampered_status_list(world: World) -> None:
    jws = world.zzu.sign(world.zzu.credential())
    world.zzu.lists["revocation"].set(42, True)
    world.zzu.publish(world.resolver)
    url = list_url(ZZU_ID, "revocation")
    signed = world.resolver.status_lists[url]
    document = json.loads(b64url_decode(signed.split(".")[1]))
    document["credentialSubject"]["encodedList"] = StatusList().encode()  # clear the revocation
    world.resolver.status_lists[url] = swap_payload(signed, document)
    assert_fails(world.verify(jws), "status", "status_list_invalid")


def test_status_list_of_another_url_or_purpose(world: World) -> None:
    jws = world.zzu.sign(world.zzu.credential())
    url = list_url(ZZU_ID, "revocation")
    world.resolver.status_lists[url] = world.resolver.status_lists[list_url(ZZU_ID, "suspension")]
    assert_fails(world.verify(jws), "status", "status_list_invalid")


def test_stale_status_list(world: World) -> None:
    jws = world.zzu.sign(world.zzu.credential())
    world.resolver.status_lists[list_url(ZZU_ID, "revocation")] = world.zzu.signed_list(
        "revocation", valid_until=NOW - timedelta(hours=1)
    )
    assert_fails(world.verify(jws), "status", "status_list_stale")


def test_index_beyond_the_list(world: World) -> None:
    jws = world.zzu.sign(world.zzu.credential(index=10_000_000))
    assert_fails(world.verify(jws), "status", "status_index_out_of_range")


def test_no_status_entries_is_stated(world: World) -> None:
    report = world.verify(world.zzu.sign(world.zzu.credential(status_entries=[])))
    assert report.valid
    assert "状态列表" in report.check("status").message_zh


# --------------------------------------------------------------------------- validity failures


def test_expired(world: World) -> None:
    credential = world.zzu.credential(valid_until=NOW - timedelta(days=1))
    report = world.verify(world.zzu.sign(credential))
    assert_fails(report, "validity", "expired")
    assert report.check("validity").message_en == "the certificate has expired"


def test_not_yet_valid(world: World) -> None:
    credential = world.zzu.credential(valid_from=NOW + timedelta(days=3), issued_at=ISSUED)
    assert_fails(world.verify(world.zzu.sign(credential)), "validity", "not_yet_valid")
    future = world.zzu.credential(valid_from=ISSUED, issued_at=NOW + timedelta(days=3))
    assert_fails(world.verify(world.zzu.sign(future)), "validity", "issued_in_future")


def test_within_dates(world: World) -> None:
    credential = world.zzu.credential(valid_until=NOW + timedelta(days=1))
    report = world.verify(world.zzu.sign(credential))
    assert report.valid
    assert report.check("validity").detail == {}


def test_naive_now_is_read_as_utc(world: World) -> None:
    jws = world.zzu.sign(world.zzu.credential())
    assert world.verify(jws, now=NOW.replace(tzinfo=None)).valid


# --------------------------------------------------------------------------- robustness


class BrokenResolver:
    def issuer_key(self, kid: str) -> IssuerKey | None:
        raise ConnectionError("registry down")

    def status_list(self, url: str) -> str | None:
        raise ConnectionError("registry down")


def test_resolver_failure_is_an_invalid_report_not_an_exception(world: World, caplog: pytest.LogCaptureFixture) -> None:
    jws = world.zzu.sign(world.zzu.credential())
    report = verify_credential(jws, resolver=BrokenResolver(), now=NOW)
    assert_fails(report, "format", "internal_error")
    assert "稍后重试" in report.check("format").message_zh
    assert "registry down" in caplog.text


def test_naive_registry_datetimes_are_read_as_utc(world: World) -> None:
    world.resolver.add_key(world.zzu.registry_key(valid_from=KEY_FROM.replace(tzinfo=None)))
    assert world.verify(world.zzu.sign(world.zzu.credential())).valid


@pytest.mark.parametrize("index", ["²", "-1", "01", "1e3", "", "9" * 13])
def test_odd_status_indices(world: World, index: str) -> None:
    credential = world.zzu.credential()
    credential["credentialStatus"][0]["statusListIndex"] = index
    assert_fails(world.verify(world.zzu.sign(credential)), "status", "bad_status_entry")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    field_name=st.sampled_from(
        [
            "issuer",
            "validFrom",
            "validUntil",
            "credentialStatus",
            "certificateMetadata",
            "type",
            "@context",
            "id",
            "certificateIdentifier",
            "credentialSubject",
        ]
    ),
    value=json_values,
)
def test_signed_garbage_in_any_field_never_raises(field_name: str, value: Any) -> None:
    credential = SHARED.zzu.credential()
    credential[field_name] = value
    report = SHARED.verify(SHARED.zzu.sign(credential))
    assert report.failed is None or report.failed.detail.get("reason") != "internal_error", report.to_dict()


def test_the_library_does_not_import_django() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from edubase.credentials import identifiers, jose, messages, offline, statuslist, vc, verify\n"
        "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_env())
    assert out.stdout.strip() == "False"


def _env() -> dict[str, str]:
    import os
    from pathlib import Path

    import edubase

    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PYTHONPATH"] = str(Path(edubase.__file__).resolve().parents[1])
    return env


def test_rotation_through_the_key_hierarchy(tmp_path: Any) -> None:
    """Keys come from the "1+M+N" hierarchy; the registry publishes every version with its validity
    (a version is valid until the next one was created), so a certificate signed with version 1
    still verifies after the school's key was rotated, and version 1 cannot sign new ones."""
    import os

    from edubase.crypto.hierarchy import KeyHierarchy
    from edubase.crypto.keystore import FileKeyStore

    hierarchy = KeyHierarchy(FileKeyStore(tmp_path / "keys", os.urandom(16)))
    hierarchy.create_node("henan", level="root", parent=None)
    hierarchy.create_node("zhengzhou", level="region", parent="henan")
    hierarchy.create_node("zzu", level="school", parent="zhengzhou")
    v1 = hierarchy.signing_key("zzu")
    issued = datetime.now(UTC)
    credential = Issuer(ZZU_ID, ZZU_CODE, "郑州大学", v1, "zzu-v1").credential(valid_from=issued, status_entries=[])
    old_jws = sign_compact(credential, alg="SM2", key=v1, kid="zzu-v1")
    hierarchy.rotate_signing_key("zzu")

    def registry() -> StaticResolver:
        published = hierarchy.published_keys("zzu")
        starts = [datetime.fromisoformat(p.created_at) for p in published]
        return StaticResolver(
            [
                IssuerKey(
                    kid=f"zzu-v{p.version}",
                    issuer_id=ZZU_ID,
                    issuer_code=ZZU_CODE,
                    alg="SM2",
                    public_key=p.public_key,
                    valid_from=starts[i] - timedelta(seconds=1),
                    valid_until=starts[i + 1] if i + 1 < len(published) else None,
                )
                for i, p in enumerate(published)
            ]
        )

    later = datetime.now(UTC) + timedelta(minutes=10)
    assert len(hierarchy.published_keys("zzu")) == 2
    report = verify_credential(old_jws, resolver=registry(), now=later)
    assert report.valid, report.to_dict()
    v2 = hierarchy.signing_key("zzu")
    new = Issuer(ZZU_ID, ZZU_CODE, "郑州大学", v2, "zzu-v2").credential(
        "2026000001", valid_from=later - timedelta(minutes=1), status_entries=[]
    )
    assert verify_credential(sign_compact(new, alg="SM2", key=v2, kid="zzu-v2"), resolver=registry(), now=later).valid
    stolen = sign_compact(new, alg="SM2", key=v1, kid="zzu-v1")  # the retired key signing after rotation
    assert_fails(verify_credential(stolen, resolver=registry(), now=later), "issuer", "key_not_valid_at_issuance")


def test_issuer_registry_export_for_offline_verifiers(world: World) -> None:
    from edubase.credentials.offline import claims_from_credential, encode_offline
    from edubase.credentials.verify import registry_document

    es_key = ec.generate_private_key(ec.SECP256R1())
    ed_key = ed25519.Ed25519PrivateKey.generate()
    keys = [
        world.zzu.registry_key(valid_until=NOW),
        world.zzu.registry_key(kid="zzu-es", alg="ES256", public_key=es_key.public_key()),
        world.lyu.registry_key(kid="lyu-ed", alg="EdDSA", public_key=ed_key.public_key(), revoked_at=NOW),
    ]
    document = json.loads(json.dumps(registry_document(keys, published_at=NOW)))  # survives JSON
    assert document["format"] == "edubase-issuer-registry/1"
    assert document["keys"][0]["sm2Uid"] == "1234567812345678"
    restored = StaticResolver.from_registry(document)
    for key in keys:
        back = restored.issuer_key(key.kid)
        assert back is not None
        assert (back.issuer_id, back.issuer_code, back.alg, back.valid_until, back.revoked_at) == (
            key.issuer_id,
            key.issuer_code,
            key.alg,
            key.valid_until,
            key.revoked_at,
        )
    credential = world.zzu.credential()
    jws = world.zzu.sign(credential)
    assert verify_credential(jws, resolver=restored, now=NOW, offline=True).valid
    qr = encode_offline(claims=claims_from_credential(credential, jws=jws), key=world.zzu.key, kid=world.zzu.kid)
    assert verify_credential(qr, resolver=restored, now=NOW).valid


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.pop("publicKeyPem"),
        lambda e: e.update(alg="none"),
        lambda e: e.update(alg="ES256"),  # an SM2 PEM registered as ES256
        lambda e: e.update(publicKeyPem="-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
        lambda e: e.update(validFrom=None),
        lambda e: e.update(validFrom="yesterday"),
    ],
)
def test_malformed_registry_entries_are_refused(world: World, mutate: Any) -> None:
    from edubase.credentials.verify import key_from_dict, key_to_dict

    entry = key_to_dict(world.zzu.registry_key())
    mutate(entry)
    with pytest.raises(ValueError, match="malformed registry entry"):
        key_from_dict(entry)
    with pytest.raises(ValueError, match="registry"):
        StaticResolver.from_registry({"format": "other", "keys": []})
