"""Public SM3/SM4 API: KDF, PBKDF2, HMAC, CBC padding, GCM nonce policy and tampering."""

import hashlib
import hmac

import pytest

from edubase.crypto.errors import DecryptionError, NonceReuseError, ParameterError
from edubase.crypto.providers import get_provider
from edubase.crypto.sm3 import hmac_sm3, hmac_sm3_verify, pbkdf2_sm3, sm3, sm3_kdf
from edubase.crypto.sm4 import SM4GCM, generate_sm4_key, sm4_cbc_decrypt, sm4_cbc_encrypt, sm4_ctr

PROVIDERS = [get_provider("native"), get_provider("pure")]
IDS = ["native", "pure"]


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_hmac_sm3_matches_rfc2104_construction(provider):
    key, msg = b"k" * 70, b"message"  # key longer than the 64-byte block is hashed first
    expected = hmac.new(key, msg, "sm3").digest()
    assert hmac_sm3(key, msg, provider=provider) == expected
    assert hmac_sm3_verify(key, msg, expected, provider=provider)
    assert not hmac_sm3_verify(key, msg + b"!", expected, provider=provider)


def test_sm3_kdf_is_counter_mode_sm3():
    z = bytes(range(40))
    expected = (sm3(z + b"\x00\x00\x00\x01") + sm3(z + b"\x00\x00\x00\x02"))[:45]
    assert sm3_kdf(z, 45) == expected
    assert sm3_kdf(z, 45, provider=PROVIDERS[1]) == expected


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_pbkdf2_sm3_matches_hashlib(provider):
    expected = hashlib.pbkdf2_hmac("sm3", b"password", b"saltsalt", 100, 40)
    assert pbkdf2_sm3("password", b"saltsalt", iterations=100, length=40, provider=provider) == expected


def test_pbkdf2_refuses_weak_parameters():
    with pytest.raises(ParameterError):
        pbkdf2_sm3("p", b"short", iterations=10)
    with pytest.raises(ParameterError):
        pbkdf2_sm3("p", b"saltsalt", iterations=0)


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 100])
def test_cbc_pads_and_round_trips(provider, size):
    key = generate_sm4_key()
    data = bytes(range(size))
    ct = sm4_cbc_encrypt(key, data, provider=provider)
    assert len(ct) % 16 == 0 and len(ct) > size
    assert sm4_cbc_decrypt(key, ct, provider=provider) == data


def test_cbc_bad_padding_is_a_decryption_error():
    key = generate_sm4_key()
    ct = bytearray(sm4_cbc_encrypt(key, b"x" * 16))
    ct[-1] ^= 1
    with pytest.raises(DecryptionError):
        sm4_cbc_decrypt(key, bytes(ct))


def test_ctr_is_its_own_inverse_and_agrees_across_providers():
    key, ctr = generate_sm4_key(), bytes(15) + b"\xfe"  # crosses a 32-bit boundary soon
    data = bytes(range(100))
    a = sm4_ctr(key, ctr, data, provider=PROVIDERS[0])
    assert a == sm4_ctr(key, ctr, data, provider=PROVIDERS[1])
    assert sm4_ctr(key, ctr, a) == data


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_gcm_round_trip_and_random_nonces(provider):
    gcm = SM4GCM(generate_sm4_key(), provider=provider)
    a, b = gcm.encrypt(b"data", b"aad"), gcm.encrypt(b"data", b"aad")
    assert a[:12] != b[:12]
    assert gcm.decrypt(a, b"aad") == b"data"


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
@pytest.mark.parametrize("where", ["nonce", "body", "tag"])
def test_gcm_tampering_is_detected(provider, where):
    gcm = SM4GCM(generate_sm4_key(), provider=provider)
    blob = bytearray(gcm.encrypt(b"personal data", b"people.person.id_number|1"))
    index = {"nonce": 0, "body": 14, "tag": -1}[where]
    blob[index] ^= 1
    with pytest.raises(DecryptionError):
        gcm.decrypt(bytes(blob), b"people.person.id_number|1")


def test_gcm_wrong_aad_is_detected():
    gcm = SM4GCM(generate_sm4_key())
    blob = gcm.encrypt(b"personal data", b"row-1")
    with pytest.raises(DecryptionError):
        gcm.decrypt(blob, b"row-2")


def test_gcm_refuses_nonce_reuse():
    gcm = SM4GCM(generate_sm4_key())
    gcm.encrypt_with_nonce(b"\x01" * 12, b"a")
    with pytest.raises(NonceReuseError):
        gcm.encrypt_with_nonce(b"\x01" * 12, b"b")


def test_gcm_refuses_short_tags():
    gcm = SM4GCM(generate_sm4_key())
    blob = gcm.encrypt(b"data")
    with pytest.raises(ParameterError):
        gcm.decrypt_parts(blob[:12], blob[12:-16], blob[-16:-4])
    with pytest.raises(DecryptionError):
        gcm.decrypt(blob[:20])


def test_wrong_key_length_is_refused():
    with pytest.raises(ParameterError):
        SM4GCM(b"short")
