"""Offline QR payloads: size, round trip, base45, and the bad inputs (another issuer's QR, tampering,
unknown key, expiry, malformed identifier, oversized, refused algorithm)."""

from __future__ import annotations

import zlib
from datetime import timedelta
from typing import Any

import pytest
import segno
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from edubase.credentials.jose import canonical_json, sign_bytes
from edubase.credentials.offline import (
    BASE45_ALPHABET,
    OfflineError,
    b45decode,
    b45encode,
    claims_from_credential,
    encode_offline,
    verify_offline,
)
from edubase.crypto.sm2 import SM2PrivateKey
from tests.credentials.test_verify import LYU_CODE, NOW, World, assert_fails, json_values, make_world


@pytest.fixture
def world() -> World:
    return make_world()


def _claims(world: World, **changes: Any) -> dict[str, Any]:
    credential = world.zzu.credential()
    jws = world.zzu.sign(credential)
    claims = claims_from_credential(credential, jws=jws, fields={"专业": "软件工程", "学位": "工学学士"})
    claims.update(changes)
    return claims


def test_rfc_9285_examples() -> None:
    assert b45encode(b"AB") == "BB8"
    assert b45encode(b"Hello!!") == "%69 VD92EX0"
    assert b45encode(b"base-45") == "UJCLQE7W581"
    assert b45decode("QED8WEX0") == b"ietf!"
    for bad in ("GGW", "A", "abc"):  # GGW = 65536 + …: over two bytes; 1 char: no group; lower case
        with pytest.raises(OfflineError):
            b45decode(bad)


def test_round_trip_and_size(world: World) -> None:
    claims = _claims(world)
    text = encode_offline(claims=claims, key=world.zzu.key, kid=world.zzu.kid)
    assert text.startswith("EBC1:")
    assert set(text[5:]) <= set(BASE45_ALPHABET)
    assert len(text) < 600, len(text)
    qr = segno.make(text, error="m", micro=False)
    assert qr.mode == "alphanumeric" and int(qr.version) <= 15  # a moderate QR (≤ 77 × 77 modules at level M)
    report = verify_offline(text, resolver=world.resolver, now=NOW)
    assert report.valid, report.to_dict()
    assert report.offline and report.kind == "offline"
    assert report.check("status").ok is None
    assert report.credential == claims
    assert report.identifier == claims["id"]
    assert report.credential is not None and report.credential["hn"] == "张三"


def test_the_common_entry_point_dispatches_offline_payloads(world: World) -> None:
    text = encode_offline(claims=_claims(world), key=world.zzu.key, kid=world.zzu.kid)
    report = world.verify(text)
    assert report.valid and report.kind == "offline"
    assert world.verify(text.encode()).valid


def test_qr_from_another_issuer(world: World) -> None:
    # Luoyang's key signs claims that name Zhengzhou University as issuer.
    text = encode_offline(claims=_claims(world), key=world.lyu.key, kid=world.lyu.kid)
    assert_fails(verify_offline(text, resolver=world.resolver, now=NOW), "issuer", "issuer_mismatch")


def test_unknown_key(world: World) -> None:
    text = encode_offline(claims=_claims(world), key=SM2PrivateKey.generate(), kid="zzu-sign-9")
    assert_fails(verify_offline(text, resolver=world.resolver, now=NOW), "issuer", "unknown_key")


def test_signed_by_the_right_kid_but_another_key(world: World) -> None:
    text = encode_offline(claims=_claims(world), key=SM2PrivateKey.generate(), kid=world.zzu.kid)
    assert_fails(verify_offline(text, resolver=world.resolver, now=NOW), "signature", "bad_signature")


def test_tampered_payload(world: World) -> None:
    claims = _claims(world)
    text = encode_offline(claims=claims, key=world.zzu.key, kid=world.zzu.kid)
    raw = b45decode(text[5:])
    kid_len = raw[1]
    head, body, signature = raw[: 2 + kid_len], raw[2 + kid_len : -64], raw[-64:]
    assert zlib.decompress(body) == canonical_json(claims)
    altered = zlib.compress(canonical_json({**claims, "hn": "王五"}))
    forged = "EBC1:" + b45encode(head + altered + signature)
    assert_fails(verify_offline(forged, resolver=world.resolver, now=NOW), "signature", "bad_signature")
    # Flip one byte anywhere in the body: never valid.
    for position in range(len(raw)):
        flipped = bytearray(raw)
        flipped[position] ^= 0x01
        assert not verify_offline("EBC1:" + b45encode(bytes(flipped)), resolver=world.resolver, now=NOW).valid


def test_expired_and_not_yet_valid(world: World) -> None:
    expired = encode_offline(
        claims=_claims(world, exp=int((NOW - timedelta(days=1)).timestamp())), key=world.zzu.key, kid=world.zzu.kid
    )
    assert_fails(verify_offline(expired, resolver=world.resolver, now=NOW), "validity", "expired")
    early = encode_offline(
        claims=_claims(world, nbf=int((NOW + timedelta(days=9)).timestamp())), key=world.zzu.key, kid=world.zzu.kid
    )
    assert_fails(verify_offline(early, resolver=world.resolver, now=NOW), "validity", "not_yet_valid")


def test_malformed_identifier(world: World) -> None:
    claims = _claims(world)
    claims["id"] = claims["id"][:-1] + ("0" if claims["id"][-1] != "0" else "1")
    text = encode_offline(claims=claims, key=world.zzu.key, kid=world.zzu.kid)
    assert_fails(verify_offline(text, resolver=world.resolver, now=NOW), "format", "bad_identifier")


def test_identifier_of_another_issuer_code(world: World) -> None:
    from edubase.credentials.identifiers import make_identifier

    claims = _claims(
        world, id=make_identifier(type_code="914403001922038216001", issuer_code=LYU_CODE, serial="1", version=1)
    )
    text = encode_offline(claims=claims, key=world.zzu.key, kid=world.zzu.kid)
    assert_fails(verify_offline(text, resolver=world.resolver, now=NOW), "issuer", "issuer_code_mismatch")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("EBC2:ABC", "unknown_format"),
        ("https://cert.example/v/abc", "unknown_format"),
        ("EBC1:" + "0" * 5000, "oversized"),
        ("EBC1:abc", "bad_base45"),
        ("EBC1:" + b45encode(b"\x01\x02ab"), "truncated"),
        ("EBC1:" + b45encode(b"\x09\x01k" + b"x" * 10 + bytes(64)), "alg_not_allowed"),
        ("EBC1:" + b45encode(b"\x01\x01k" + b"not zlib" + bytes(64)), "bad_compression"),
        ("EBC1:" + b45encode(b"\x01\x01k" + zlib.compress(b"[1]") + bytes(64)), "bad_payload"),
        ("EBC1:" + b45encode(b"\x01\x01k" + zlib.compress(b'{"id":"x"}') + bytes(64)), "missing_claims"),
        ("EBC1:" + b45encode(b"\x01\x01k" + zlib.compress(b"{" * 3000) + bytes(64)), "bad_json"),
        ("EBC1:" + b45encode(b"\x01\x01k" + zlib.compress(b" " * 100000) + bytes(64)), "bad_compression"),
    ],
)
def test_malformed_payloads(world: World, text: str, reason: str) -> None:
    assert_fails(verify_offline(text, resolver=world.resolver, now=NOW), "format", reason)


def test_bad_time_claims(world: World) -> None:
    text = encode_offline(claims=_claims(world, iat="yesterday"), key=world.zzu.key, kid=world.zzu.kid)
    assert_fails(verify_offline(text, resolver=world.resolver, now=NOW), "format", "bad_dates")


def test_eddsa_offline_payload_against_an_sm2_registration(world: World) -> None:
    ed_key = ed25519.Ed25519PrivateKey.generate()
    text = encode_offline(claims=_claims(world), key=ed_key, kid=world.zzu.kid, alg="EdDSA")
    assert_fails(verify_offline(text, resolver=world.resolver, now=NOW), "signature", "alg_key_mismatch")


def test_encoder_refuses_bad_arguments(world: World) -> None:
    with pytest.raises(OfflineError):
        encode_offline(claims={"id": "x"}, key=world.zzu.key, kid="k")
    with pytest.raises(OfflineError):
        encode_offline(claims=_claims(world), key=world.zzu.key, kid="k" * 65)
    with pytest.raises(OfflineError):
        encode_offline(claims=_claims(world), key=world.zzu.key, kid="k", alg="none")
    assert len(sign_bytes("SM2", world.zzu.key, b"x")) == 64


SHARED = make_world()


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(["id", "iss", "iat", "nbf", "exp", "in", "hn", "f"]), value=json_values)
def test_signed_garbage_claims_never_raise(name: str, value: Any) -> None:
    claims = _claims(SHARED)
    claims[name] = value
    text = encode_offline(claims=claims, key=SHARED.zzu.key, kid=SHARED.zzu.kid)
    report = verify_offline(text, resolver=SHARED.resolver, now=NOW)
    assert report.failed is None or report.failed.detail.get("reason") != "internal_error", report.to_dict()
