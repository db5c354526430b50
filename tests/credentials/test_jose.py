"""Compact JWS: SM2 / ES256 / EdDSA round trips, strict parsing, refused algorithms."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from edubase.credentials.jose import (
    JoseError,
    b64url_decode,
    b64url_encode,
    parse_compact,
    sign_compact,
    verify_signature,
)
from edubase.crypto.sm2 import SM2PrivateKey

PAYLOAD = {"iss": "https://cert.example/issuers/zzu", "name": "张三", "n": 1}


def _segment(obj: object) -> str:
    return b64url_encode(json.dumps(obj, ensure_ascii=False).encode())


_SM2_HEADER = _segment({"alg": "SM2"})


@pytest.fixture(scope="module")
def sm2_key() -> SM2PrivateKey:
    return SM2PrivateKey.generate()


def _keys(sm2_key: SM2PrivateKey) -> dict[str, object]:
    return {
        "SM2": sm2_key,
        "ES256": ec.generate_private_key(ec.SECP256R1()),
        "EdDSA": ed25519.Ed25519PrivateKey.generate(),
    }


@pytest.mark.parametrize("alg", ["SM2", "ES256", "EdDSA"])
def test_round_trip(alg: str, sm2_key: SM2PrivateKey) -> None:
    key = _keys(sm2_key)[alg]
    token = sign_compact(PAYLOAD, alg=alg, key=key, kid="k1")
    header, payload, signing_input, signature = parse_compact(token)
    assert header == {"alg": alg, "kid": "k1", "typ": "vc+jwt", "cty": "vc"}
    assert payload == PAYLOAD
    assert len(signature) == 64
    public = key.public_key()  # type: ignore[attr-defined]
    assert verify_signature(alg=alg, key=public, signing_input=signing_input, signature=signature)
    tampered = signing_input[:-1] + (b"A" if signing_input[-1:] != b"A" else b"B")
    assert not verify_signature(alg=alg, key=public, signing_input=tampered, signature=signature)


def test_sm2_signature_is_raw_r_s_with_default_uid(sm2_key: SM2PrivateKey) -> None:
    token = sign_compact(PAYLOAD, alg="SM2", key=sm2_key, kid="k1")
    _, _, signing_input, signature = parse_compact(token)
    # Verifies through the crypto core directly with the GM/T 0009 default ID and r‖s encoding.
    sm2_key.public_key().verify(signing_input, signature, uid="1234567812345678", fmt="raw")
    assert not verify_signature(
        alg="SM2", key=SM2PrivateKey.generate().public_key(), signing_input=signing_input, signature=signature
    )


def test_es256_signature_interoperates_with_cryptography() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    token = sign_compact(PAYLOAD, alg="ES256", key=key, kid="k", typ="JWT", cty=None)
    header, _, signing_input, signature = parse_compact(token)
    assert header == {"alg": "ES256", "kid": "k", "typ": "JWT"}
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    key.public_key().verify(der, signing_input, ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "HS256", "RS256", "ES384", "sm2", ""])
def test_refused_algorithms_in_header(alg: str, sm2_key: SM2PrivateKey) -> None:
    token = f"{_segment({'alg': alg, 'kid': 'k'})}.{_segment(PAYLOAD)}.{b64url_encode(b'x' * 64)}"
    with pytest.raises(JoseError) as info:
        parse_compact(token)
    assert info.value.code == ("alg_none" if alg.lower() == "none" else "alg_not_allowed")
    assert info.value.message_zh and info.value.message_en


def test_alg_none_with_empty_signature_is_refused() -> None:
    token = f"{_segment({'alg': 'none'})}.{_segment(PAYLOAD)}."
    with pytest.raises(JoseError):
        parse_compact(token)


def test_refused_algorithm_cannot_be_signed_or_verified(sm2_key: SM2PrivateKey) -> None:
    with pytest.raises(JoseError):
        sign_compact(PAYLOAD, alg="none", key=sm2_key, kid="k")
    with pytest.raises(JoseError) as info:
        verify_signature(alg="HS256", key=sm2_key.public_key(), signing_input=b"a.b", signature=b"x" * 32)
    assert info.value.code == "alg_not_allowed"


def test_key_of_another_kind_is_refused(sm2_key: SM2PrivateKey) -> None:
    with pytest.raises(JoseError) as info:
        sign_compact(PAYLOAD, alg="ES256", key=sm2_key, kid="k")
    assert info.value.code == "key_mismatch"
    token = sign_compact(PAYLOAD, alg="SM2", key=sm2_key, kid="k")
    _, _, signing_input, signature = parse_compact(token)
    es_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(JoseError) as info:
        verify_signature(alg="SM2", key=es_key, signing_input=signing_input, signature=signature)
    assert info.value.code == "key_mismatch"
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(JoseError):
        sign_compact(PAYLOAD, alg="ES256", key=p384, kid="k")


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("abc", "not_jws"),
        ("a.b", "not_jws"),
        ("a.b.c.d", "not_jws"),
        ("..", "not_jws"),
        ("a=.b.c", "bad_base64"),
        ("a+/.b.c", "bad_base64"),
        (f"{b64url_encode(b'not json')}.{_segment(PAYLOAD)}.AAAA", "bad_json"),
        (f"{_segment([1])}.{_segment(PAYLOAD)}.AAAA", "bad_header"),
        (f"{_segment({'alg': 'SM2', 'crit': ['exp']})}.{_segment(PAYLOAD)}.AAAA", "crit_unsupported"),
        (f"{_segment({'alg': 'SM2', 'b64': False})}.{_segment(PAYLOAD)}.AAAA", "crit_unsupported"),
        (f"{_segment({'alg': 'SM2', 'kid': 5})}.{_segment(PAYLOAD)}.AAAA", "bad_header"),
        (f"{_segment({'alg': 'SM2'})}.{_segment([1, 2])}.AAAA", "bad_payload"),
        (_SM2_HEADER + "." + b64url_encode(b'{"a":1,"a":2}') + ".AAAA", "duplicate_member"),
        (_SM2_HEADER + "." + b64url_encode(b'{"a":NaN}') + ".AAAA", "bad_json"),
        (_SM2_HEADER + "." + b64url_encode(b"[" * 20000 + b"]" * 20000) + ".AAAA", "bad_json"),
    ],
)
def test_malformed_tokens(token: str, code: str) -> None:
    with pytest.raises(JoseError) as info:
        parse_compact(token)
    assert info.value.code == code


def test_duplicate_alg_member_is_refused() -> None:
    header = b64url_encode(b'{"alg":"SM2","alg":"none"}')
    with pytest.raises(JoseError) as info:
        parse_compact(f"{header}.{_segment(PAYLOAD)}.AAAA")
    assert info.value.code == "duplicate_member"


def test_oversized_token_refused_before_parsing(sm2_key: SM2PrivateKey) -> None:
    token = sign_compact({"blob": "x" * 1000}, alg="SM2", key=sm2_key, kid="k")
    with pytest.raises(JoseError) as info:
        parse_compact(token, max_bytes=500)
    assert info.value.code == "oversized"
    with pytest.raises(JoseError) as info:
        parse_compact(token.encode(), max_bytes=500)
    assert info.value.code == "oversized"


def test_non_canonical_base64_is_refused() -> None:
    # "AB" and "AC" both decode to b"\x00" in lenient decoders; only the canonical form is accepted.
    assert b64url_decode("AA") == b"\x00"
    with pytest.raises(JoseError):
        b64url_decode("AB")
    assert base64.urlsafe_b64decode("AB==") == b"\x00"


def test_wrong_length_signature_is_false(sm2_key: SM2PrivateKey) -> None:
    assert not verify_signature(alg="SM2", key=sm2_key.public_key(), signing_input=b"a.b", signature=b"\x01" * 63)
    assert not verify_signature(alg="SM2", key=sm2_key.public_key(), signing_input=b"a.b", signature=b"\x00" * 64)
