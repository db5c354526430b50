"""The public SM2 API: keys and their encodings, signatures, encryption, bad input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edubase.crypto import encoding
from edubase.crypto.curves import SM2P256V1
from edubase.crypto.errors import (
    CryptoError,
    DecryptionError,
    InvalidKey,
    InvalidSignature,
    KeyFormatError,
    MalformedSignature,
    ParameterError,
)
from edubase.crypto.providers import get_provider
from edubase.crypto.selftest import SM2_C1X, SM2_C1Y, SM2_C2, SM2_C3, SM2_D, SM2_PX, SM2_PY, SM2_R, SM2_S
from edubase.crypto.sm2 import SM2PrivateKey, SM2PublicKey

NATIVE = get_provider("native")
PURE = get_provider("pure")


@pytest.fixture(scope="module")
def key() -> SM2PrivateKey:
    return SM2PrivateKey.generate()


def test_default_provider_is_native():
    assert get_provider().name == "native"
    assert get_provider().native


def test_standard_key_derives_standard_public_point():
    key = SM2PrivateKey(SM2_D)
    assert (key.public_key().x, key.public_key().y) == (SM2_PX, SM2_PY)


def test_standard_signature_verifies_in_both_encodings():
    pub = SM2PublicKey(SM2_PX, SM2_PY)
    pub.verify(b"message digest", encoding.signature_to_raw(SM2_R, SM2_S), fmt="raw")
    pub.verify(b"message digest", encoding.signature_to_der(SM2_R, SM2_S))


def test_standard_ciphertext_decrypts_in_both_orders():
    key = SM2PrivateKey(SM2_D)
    new = encoding.ciphertext_to_bytes(SM2_C1X, SM2_C1Y, SM2_C3, SM2_C2, order="c1c3c2")
    old = encoding.ciphertext_to_bytes(SM2_C1X, SM2_C1Y, SM2_C3, SM2_C2, order="c1c2c3")
    assert key.decrypt(new) == b"encryption standard"
    assert key.decrypt(old, order="c1c2c3") == b"encryption standard"
    with pytest.raises(DecryptionError):
        key.decrypt(old)  # the orders are not interchangeable


def test_c1_x_starting_with_04_is_parsed_from_the_right_offset():
    blob = encoding.ciphertext_to_bytes(SM2_C1X, SM2_C1Y, SM2_C3, SM2_C2)
    assert blob[:2] == b"\x04\x04"
    assert encoding.ciphertext_from_bytes(blob)[0] == SM2_C1X


def test_asn1_ciphertext_round_trip(key):
    ct = key.public_key().encrypt(b"hello", order="asn1")
    assert ct[0] == 0x30
    assert key.decrypt(ct, order="asn1") == b"hello"


@settings(max_examples=15, deadline=None)
@given(message=st.binary(min_size=0, max_size=300), uid=st.binary(min_size=1, max_size=40))
def test_native_signs_pure_verifies_and_back(key, message, uid):
    sig = key.sign(message, uid=uid, provider=NATIVE)
    key.public_key().verify(message, sig, uid=uid, provider=PURE)
    sig2 = key.sign(message, uid=uid, provider=PURE, fmt="raw")
    key.public_key().verify(message, sig2, uid=uid, provider=NATIVE, fmt="raw")


@settings(max_examples=15, deadline=None)
@given(message=st.binary(min_size=1, max_size=300))
def test_native_encrypts_pure_decrypts_and_back(key, message):
    assert key.decrypt(key.public_key().encrypt(message, provider=NATIVE), provider=PURE) == message
    assert key.decrypt(key.public_key().encrypt(message, provider=PURE), provider=NATIVE) == message


@pytest.mark.parametrize("provider", [NATIVE, PURE], ids=["native", "pure"])
class TestBadInputIsAClearError:
    def test_altered_signature(self, key, provider):
        sig = bytearray(key.sign(b"m", fmt="raw"))
        sig[10] ^= 1
        with pytest.raises(InvalidSignature):
            key.public_key().verify(b"m", bytes(sig), fmt="raw", provider=provider)

    def test_truncated_der_signature(self, key, provider):
        sig = key.sign(b"m")
        with pytest.raises(MalformedSignature):
            key.public_key().verify(b"m", sig[:-3], provider=provider)

    def test_truncated_raw_signature(self, key, provider):
        with pytest.raises(MalformedSignature):
            key.public_key().verify(b"m", key.sign(b"m", fmt="raw")[:63], fmt="raw", provider=provider)

    def test_wrong_id(self, key, provider):
        sig = key.sign(b"m", uid="ALICE123@YAHOO.COM")
        with pytest.raises(InvalidSignature):
            key.public_key().verify(b"m", sig, provider=provider)

    def test_wrong_key(self, key, provider):
        other = SM2PrivateKey.generate()
        with pytest.raises(InvalidSignature):
            other.public_key().verify(b"m", key.sign(b"m"), provider=provider)

    def test_zero_and_out_of_range_r_s(self, key, provider):
        for r, s in [(0, 1), (1, 0), (SM2P256V1.n, 1)]:
            raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
            with pytest.raises(MalformedSignature):
                key.public_key().verify(b"m", raw, fmt="raw", provider=provider)

    def test_tampered_ciphertext(self, key, provider):
        for index in (5, 70, -1):
            ct = bytearray(key.public_key().encrypt(b"secret"))
            ct[index] ^= 0x40
            with pytest.raises(DecryptionError):
                key.decrypt(bytes(ct), provider=provider)

    def test_ciphertext_for_another_key(self, key, provider):
        ct = SM2PrivateKey.generate().public_key().encrypt(b"secret")
        with pytest.raises(DecryptionError):
            key.decrypt(ct, provider=provider)


def test_empty_plaintext_and_empty_id_are_refused(key):
    with pytest.raises(ParameterError):
        key.public_key().encrypt(b"")
    with pytest.raises(ParameterError):
        key.sign(b"m", uid=b"")


def test_pem_round_trip(key):
    again = SM2PrivateKey.from_pem(key.to_pem())
    assert again.d == key.d
    assert SM2PublicKey.from_pem(key.public_key().to_pem()) == key.public_key()
    assert SM2PublicKey.from_pem(key.to_pem()) == key.public_key()
    assert b"BEGIN PRIVATE KEY" in key.to_pem()


def test_private_key_is_never_printed(key):
    assert hex(key.d)[2:].lower() not in repr(key).lower()
    assert str(key.d) not in repr(key)
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(key)


@pytest.mark.parametrize(
    "pem",
    [
        b"not a pem",
        b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQg\n-----END PRIVATE KEY-----\n",
    ],
    ids=["garbage", "bad-base64", "truncated-der"],
)
def test_corrupt_pem_is_a_key_format_error(pem):
    with pytest.raises(KeyFormatError):
        SM2PrivateKey.from_pem(pem)


def test_other_curve_keys_are_refused():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    p256 = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyFormatError, match="SM2"):
        SM2PrivateKey.from_pem(p256)
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyFormatError):
        SM2PrivateKey.from_pem(rsa_pem)
    rsa_pub = (
        serialization.load_pem_private_key(rsa_pem, None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(KeyFormatError):
        SM2PublicKey.from_pem(rsa_pub)


def test_point_off_the_curve_is_refused():
    with pytest.raises(InvalidKey):
        SM2PublicKey(SM2_PX, SM2_PY + 1)


def test_scalar_out_of_range_is_refused():
    for d in (0, SM2P256V1.n - 1, SM2P256V1.n):
        with pytest.raises(InvalidKey):
            SM2PrivateKey(d)


def test_every_error_is_a_crypto_error():
    for cls in (InvalidSignature, MalformedSignature, DecryptionError, KeyFormatError, ParameterError):
        assert issubclass(cls, CryptoError)
        assert cls().message  # a Chinese message for users
