"""Known-answer and property tests of the pure-Python provider (the test oracle).

Sources of expected values: GB/T 32905 (SM3), GB/T 32907 (SM4), GB/T 32918 and
``../shared/data/sm2-vectors.md`` (SM2), RFC 8998 (SM4-GCM), OpenSSL's EVP files in
``../shared/data/openssl-evp``. A few values for which no published vector is at
hand (HMAC-SM3, PBKDF2-HMAC-SM3, GCM with a non-96-bit nonce) were computed once
with OpenSSL 3.0 and are pinned here; the tests never call OpenSSL.
"""

from __future__ import annotations

import ast
import hmac
import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edubase.crypto.curves import DEFAULT_SM2_ID, GBT32918_EXAMPLE_FP256, SM2P256V1, Curve
from edubase.crypto.errors import DecryptionError, InvalidKey, ParameterError
from edubase.crypto.providers import pure
from edubase.crypto.providers.base import CryptoProvider, SM2CiphertextParts
from edubase.crypto.providers.pure import PureProvider
from tests.crypto.evp_vectors import evp_bytes, load_evp_vectors, shared_data_dir

H = bytes.fromhex

# =============================================================================
# SM3
# =============================================================================


def test_provider_identity() -> None:
    provider = PureProvider()
    assert isinstance(provider, CryptoProvider)
    assert provider.name == "pure"
    assert provider.native is False
    assert provider.curve is SM2P256V1


def test_sm3_abc() -> None:
    # GB/T 32905-2016 Appendix A, example 1.
    assert PureProvider().sm3(b"abc") == H("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")


def test_sm3_abcd_x16() -> None:
    # GB/T 32905-2016 Appendix A, example 2 (exactly one 512-bit block before padding).
    assert PureProvider().sm3(b"abcd" * 16) == H("debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=300), cuts=st.lists(st.integers(0, 300), max_size=4))
def test_sm3_incremental_matches_one_shot(data: bytes, cuts: list[int]) -> None:
    h = pure.SM3Hash()
    last = 0
    for cut in sorted(min(c, len(data)) for c in cuts):
        h.update(data[last:cut])
        last = cut
    h.update(data[last:])
    snapshot = h.copy()
    assert h.digest() == pure.sm3(data)
    assert snapshot.hexdigest() == pure.sm3(data).hex()


def test_hmac_sm3_known_answers() -> None:
    # Pinned from OpenSSL 3.0 (hmac.new(..., "sm3")); the second uses a key longer than a block.
    provider = PureProvider()
    assert provider.hmac_sm3(b"key", b"The quick brown fox jumps over the lazy dog") == H(
        "bd4a34077888162b210645b8ebf74b9af357303789357a27c7fc457244ebd398"
    )
    assert provider.hmac_sm3(b"k" * 100, b"abc") == H(
        "2d87dd3ffa1452e8e40d9123a02824fb7dd98ae4a52683287245f1736dc610ef"
    )


@settings(max_examples=20, deadline=None)
@given(key=st.binary(max_size=130), data=st.binary(max_size=130))
def test_hmac_sm3_matches_stdlib_construction(key: bytes, data: bytes) -> None:
    # The standard library's RFC 2104 code driven by the pure SM3 object is a second,
    # independently written HMAC.
    assert pure.hmac_sm3(key, data) == hmac.new(key, data, digestmod=pure.SM3Hash).digest()


def _reference_pbkdf2(password: bytes, salt: bytes, iterations: int, dklen: int) -> bytes:
    """RFC 8018 §5.2 written out naively over the stdlib HMAC."""
    out = b""
    i = 1
    while len(out) < dklen:
        u = hmac.new(password, salt + i.to_bytes(4, "big"), digestmod=pure.SM3Hash).digest()
        t = bytearray(u)
        for _ in range(iterations - 1):
            u = hmac.new(password, u, digestmod=pure.SM3Hash).digest()
            t = bytearray(a ^ b for a, b in zip(t, u, strict=True))
        out += bytes(t)
        i += 1
    return out[:dklen]


def test_pbkdf2_hmac_sm3_known_answers() -> None:
    # Pinned from OpenSSL 3.0 (hashlib.pbkdf2_hmac("sm3", ...)).
    provider = PureProvider()
    assert provider.pbkdf2_hmac_sm3(b"password", b"salt", 1, 32) == H(
        "4612f922a1fdcefaf4312fc6f8f3322b489cbf24f2ea361b44c2bd8fa2c6dcb0"
    )
    assert provider.pbkdf2_hmac_sm3(b"password", b"salt", 1000, 40) == H(
        "e8b635a41dfe5aaab7cf828cff6f3608e22cac59ba16edd70e000b293d00bc9118504f57ab46673d"
    )


@settings(max_examples=10, deadline=None)
@given(
    password=st.binary(max_size=80),
    salt=st.binary(max_size=24),
    iterations=st.integers(1, 4),
    dklen=st.integers(1, 70),
)
def test_pbkdf2_matches_reference(password: bytes, salt: bytes, iterations: int, dklen: int) -> None:
    assert pure.pbkdf2_hmac_sm3(password, salt, iterations, dklen) == _reference_pbkdf2(
        password, salt, iterations, dklen
    )


@pytest.mark.parametrize(("iterations", "dklen"), [(0, 32), (1, 0)])
def test_pbkdf2_rejects_bad_parameters(iterations: int, dklen: int) -> None:
    with pytest.raises(ParameterError):
        pure.pbkdf2_hmac_sm3(b"pw", b"salt", iterations, dklen)


# =============================================================================
# SM4
# =============================================================================

SM4_KEY = H("0123456789abcdeffedcba9876543210")


def test_sm4_single_block() -> None:
    # GB/T 32907-2016 Appendix A, example 1.
    provider = PureProvider()
    assert provider.sm4_ecb_encrypt(SM4_KEY, SM4_KEY) == H("681edf34d206965e86b3e94f536e4246")
    assert provider.sm4_ecb_decrypt(SM4_KEY, H("681edf34d206965e86b3e94f536e4246")) == SM4_KEY


@pytest.mark.slow
def test_sm4_million_iterations() -> None:
    # GB/T 32907-2016 Appendix A, example 2: encrypt 1,000,000 times under one key.
    cipher = pure.SM4BlockCipher(SM4_KEY)
    block = SM4_KEY
    for _ in range(1_000_000):
        block = cipher.encrypt_block(block)
    assert block == H("595298c7c6fd271f0402f804c33d3f66")


def test_sm4_block_cipher_roundtrip_and_length_checks() -> None:
    cipher = pure.SM4BlockCipher(SM4_KEY)
    assert cipher.decrypt_block(cipher.encrypt_block(b"\x00" * 16)) == b"\x00" * 16
    with pytest.raises(ParameterError):
        cipher.encrypt_block(b"short")
    with pytest.raises(ParameterError):
        pure.SM4BlockCipher(b"\x00" * 15)
    with pytest.raises(ParameterError):
        pure.sm4_ecb_encrypt(SM4_KEY, b"\x00" * 17)


def test_sm4_ctr_counter_wraps_at_128_bits() -> None:
    keystream = pure.sm4_ctr(SM4_KEY, b"\xff" * 16, b"\x00" * 32)
    assert keystream == pure.sm4_ecb_encrypt(SM4_KEY, b"\xff" * 16 + b"\x00" * 16)


@settings(max_examples=20, deadline=None)
@given(key=st.binary(min_size=16, max_size=16), iv=st.binary(min_size=16, max_size=16), data=st.binary(max_size=80))
def test_sm4_modes_roundtrip(key: bytes, iv: bytes, data: bytes) -> None:
    provider = PureProvider()
    whole = data[: len(data) - len(data) % 16]
    assert provider.sm4_ecb_decrypt(key, provider.sm4_ecb_encrypt(key, whole)) == whole
    assert provider.sm4_cbc_decrypt(key, iv, provider.sm4_cbc_encrypt(key, iv, whole)) == whole
    assert provider.sm4_ctr(key, iv, provider.sm4_ctr(key, iv, data)) == data
    nonce = iv[:12]
    ciphertext, tag = provider.sm4_gcm_encrypt(key, nonce, data, iv)
    assert len(ciphertext) == len(data)
    assert len(tag) == 16
    assert provider.sm4_gcm_decrypt(key, nonce, ciphertext, tag, iv) == data


# -- GCM (RFC 8998 Appendix A.1, NIST SP 800-38D) -------------------------------

RFC8998_KEY = H("0123456789ABCDEFFEDCBA9876543210")
RFC8998_IV = H("00001234567800000000ABCD")
RFC8998_AAD = H("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
RFC8998_PT = H(
    "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
    "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
)
RFC8998_CT = H(
    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
)
RFC8998_TAG = H("83DE3541E4C2B58177E065A9BF7B62EC")


def test_sm4_gcm_rfc8998() -> None:
    provider = PureProvider()
    assert provider.sm4_gcm_encrypt(RFC8998_KEY, RFC8998_IV, RFC8998_PT, RFC8998_AAD) == (RFC8998_CT, RFC8998_TAG)
    assert provider.sm4_gcm_decrypt(RFC8998_KEY, RFC8998_IV, RFC8998_CT, RFC8998_TAG, RFC8998_AAD) == RFC8998_PT


def test_rfc8998_vector_agrees_with_openssl_file() -> None:
    data = shared_data_dir()
    if data is None:
        pytest.skip("../shared/data absent")
    gcm = [v for v in load_evp_vectors(data / "openssl-evp" / "evpciph_sm4.txt") if v.get("Cipher") == "SM4-GCM"]
    assert len(gcm) == 1
    (vec,) = gcm
    assert evp_bytes(vec["Key"]) == RFC8998_KEY
    assert evp_bytes(vec["IV"]) == RFC8998_IV
    assert evp_bytes(vec["AAD"]) == RFC8998_AAD
    assert evp_bytes(vec["Plaintext"]) == RFC8998_PT
    assert evp_bytes(vec["Ciphertext"]) == RFC8998_CT
    assert evp_bytes(vec["Tag"]) == RFC8998_TAG


@pytest.mark.parametrize(
    ("nonce", "ciphertext", "tag"),
    [
        # Non-96-bit nonces go through GHASH to form J0 (SP 800-38D §7.1); pinned from OpenSSL 3.0.
        (
            bytes(range(8)),
            "5e6a3e70f264627b97c4e11a2651c8b0f71c3d9b5a4a6b056a389d6d0260ec0da6b87dd9034f2bb66331af",
            "98126fbf42ff466f7553c3576c125a6b",
        ),
        (
            bytes(range(60)),
            "3c0b787ab75c6af01de0084827e3937842a9fe87091b816b156a85bef902404a337021b8814dbf6b530670",
            "1df1005b0e3de03fb4342235100a6ffe",
        ),
    ],
    ids=["nonce8", "nonce60"],
)
def test_sm4_gcm_other_nonce_lengths(nonce: bytes, ciphertext: str, tag: str) -> None:
    message = b"The quick brown fox jumps over the lazy dog"
    assert pure.sm4_gcm_encrypt(RFC8998_KEY, nonce, message, b"edubase aad") == (H(ciphertext), H(tag))
    assert pure.sm4_gcm_decrypt(RFC8998_KEY, nonce, H(ciphertext), H(tag), b"edubase aad") == message


def test_sm4_gcm_empty_message() -> None:
    # Pinned from OpenSSL 3.0: tag only, over no data and no AAD.
    assert pure.sm4_gcm_encrypt(RFC8998_KEY, bytes(12), b"", b"") == (b"", H("4e595bf03f23bd10329baf5698e898ec"))


def _flip(data: bytes, index: int = 0) -> bytes:
    buf = bytearray(data)
    buf[index % len(buf)] ^= 0x01
    return bytes(buf)


@pytest.mark.parametrize("what", ["tag", "ciphertext", "aad", "nonce", "key", "short_tag", "truncated_tag"])
def test_sm4_gcm_rejects_tampering(what: str) -> None:
    key, nonce, ct, tag, aad = RFC8998_KEY, RFC8998_IV, RFC8998_CT, RFC8998_TAG, RFC8998_AAD
    if what == "tag":
        tag = _flip(tag, 15)
    elif what == "ciphertext":
        ct = _flip(ct, 40)
    elif what == "aad":
        aad = _flip(aad, 3)
    elif what == "nonce":
        nonce = _flip(nonce, 11)
    elif what == "key":
        key = _flip(key)
    elif what == "short_tag":
        tag = tag[:3]  # below the SP 800-38D minimum
    else:
        tag = _flip(tag[:12], 11)
    with pytest.raises(DecryptionError):
        PureProvider().sm4_gcm_decrypt(key, nonce, ct, tag, aad)


def test_sm4_gcm_accepts_permitted_truncated_tag() -> None:
    assert pure.sm4_gcm_decrypt(RFC8998_KEY, RFC8998_IV, RFC8998_CT, RFC8998_TAG[:12], RFC8998_AAD) == RFC8998_PT


def test_sm4_gcm_rejects_empty_nonce() -> None:
    with pytest.raises(ParameterError):
        pure.sm4_gcm_encrypt(RFC8998_KEY, b"", b"x", b"")


# =============================================================================
# OpenSSL EVP vector files
# =============================================================================

SUPPORTED_CIPHERS = frozenset({"SM4-ECB", "SM4-CBC", "SM4-CTR", "SM4-GCM"})
# Modes the provider interface does not have; counted, never run.
UNSUPPORTED_CIPHERS = frozenset({"SM4-OFB", "SM4-CFB", "SM4-CCM", "SM4-XTS"})
# evpmd_sm3.txt ends with case-insensitivity checks of other digests.
OTHER_DIGESTS = frozenset({"SHA3-256", "SHA512"})

_DATA = shared_data_dir()
_CIPHER_VECTORS = load_evp_vectors(_DATA / "openssl-evp" / "evpciph_sm4.txt") if _DATA else []
_DIGEST_VECTORS = load_evp_vectors(_DATA / "openssl-evp" / "evpmd_sm3.txt") if _DATA else []
_ABSENT = pytest.param(None, marks=pytest.mark.skip(reason="../shared/data absent"), id="shared-data-absent")


def _vector_id(vec: dict[str, str]) -> str:
    name = vec.get("Cipher") or vec.get("Digest") or "?"
    return f"{name}-line{vec['_line']}"


def _params(vectors: list[dict[str, str]]) -> list[Any]:
    return [pytest.param(v, id=_vector_id(v)) for v in vectors] if vectors else [_ABSENT]


_SM3_CASES = _params([v for v in _DIGEST_VECTORS if v.get("Digest", "").upper() == "SM3"])
_CIPHER_CASES = _params([v for v in _CIPHER_VECTORS if v.get("Cipher", "").upper() in SUPPORTED_CIPHERS])


def test_evp_files_are_fully_accounted_for() -> None:
    if _DATA is None:
        pytest.skip("../shared/data absent")
    ciphers = Counter(v.get("Cipher", "").upper() for v in _CIPHER_VECTORS)
    digests = Counter(v.get("Digest", "").upper() for v in _DIGEST_VECTORS)
    # Every block is either run or knowingly left out: a new mode in the file
    # must not vanish silently.
    assert set(ciphers) <= SUPPORTED_CIPHERS | UNSUPPORTED_CIPHERS, ciphers
    assert set(digests) <= {"SM3"} | OTHER_DIGESTS, digests
    run = sum(n for name, n in ciphers.items() if name in SUPPORTED_CIPHERS)
    skipped = sum(n for name, n in ciphers.items() if name in UNSUPPORTED_CIPHERS)
    # As shipped: 1 ECB + 4 CBC + 1 CTR + 1 GCM run; 1 OFB + 1 CFB + 1 CCM + 4 XTS not run.
    assert run >= 7, ciphers
    assert skipped == sum(ciphers[name] for name in UNSUPPORTED_CIPHERS)
    assert ciphers["SM4-GCM"] >= 1
    assert digests["SM3"] >= 8, digests


@pytest.mark.parametrize("vec", _SM3_CASES)
def test_evp_sm3_digest(vec: dict[str, str]) -> None:
    assert PureProvider().sm3(evp_bytes(vec["Input"])) == evp_bytes(vec["Output"])


def _run_cipher_vector(provider: PureProvider, vec: dict[str, str]) -> None:
    """Run one EVP Cipher block both ways, honouring ``Operation`` and ``Result``."""
    mode = vec["Cipher"].upper()
    key = evp_bytes(vec["Key"])
    iv = evp_bytes(vec.get("IV", ""))
    plaintext = evp_bytes(vec.get("Plaintext", ""))
    ciphertext = evp_bytes(vec.get("Ciphertext", ""))
    aad = evp_bytes(vec.get("AAD", ""))
    tag = evp_bytes(vec.get("Tag", ""))
    operation = vec.get("Operation", "").upper()
    expect_failure = vec.get("Result", "").upper() == "CIPHERFINAL_ERROR"

    if operation != "DECRYPT" and not expect_failure:
        if mode == "SM4-ECB":
            assert provider.sm4_ecb_encrypt(key, plaintext) == ciphertext
        elif mode == "SM4-CBC":
            assert provider.sm4_cbc_encrypt(key, iv, plaintext) == ciphertext
        elif mode == "SM4-CTR":
            assert provider.sm4_ctr(key, iv, plaintext) == ciphertext
        else:
            got_ct, got_tag = provider.sm4_gcm_encrypt(key, iv, plaintext, aad)
            assert got_ct == ciphertext
            assert got_tag[: len(tag)] == tag

    if operation == "ENCRYPT":
        return
    if mode == "SM4-GCM":
        if expect_failure:
            with pytest.raises(DecryptionError):
                provider.sm4_gcm_decrypt(key, iv, ciphertext, tag, aad)
        else:
            assert provider.sm4_gcm_decrypt(key, iv, ciphertext, tag, aad) == plaintext
        return
    # Unpadded ECB/CBC/CTR have no way to detect a bad ciphertext.
    assert not expect_failure, f"{mode} cannot report {vec['Result']}"
    if mode == "SM4-ECB":
        assert provider.sm4_ecb_decrypt(key, ciphertext) == plaintext
    elif mode == "SM4-CBC":
        assert provider.sm4_cbc_decrypt(key, iv, ciphertext) == plaintext
    else:
        assert provider.sm4_ctr(key, iv, ciphertext) == plaintext


@pytest.mark.parametrize("vec", _CIPHER_CASES)
def test_evp_sm4_cipher(vec: dict[str, str]) -> None:
    _run_cipher_vector(PureProvider(), vec)


def test_evp_parser_and_expected_failures(tmp_path: Path) -> None:
    # The shipped file has no DECRYPT-only or failing blocks; make sure the runner
    # handles them as OpenSSL's evp_test does.
    path = tmp_path / "gcm.txt"
    path.write_text(
        "# comment\n"
        "Title = synthetic\n\n"
        "Cipher = SM4-GCM\n"
        f"Key = {RFC8998_KEY.hex()}\n"
        f"IV = {RFC8998_IV.hex()}\n"
        f"AAD = {RFC8998_AAD[:10].hex()}\n"
        f"AAD = {RFC8998_AAD[10:].hex()}\n"
        f"Tag = {_flip(RFC8998_TAG).hex()}\n"
        f"Plaintext = {RFC8998_PT.hex()}\n"
        f"Ciphertext =  {RFC8998_CT.hex().upper()}\n"
        "Operation = DECRYPT\n"
        "Result = CIPHERFINAL_ERROR\n"
        "\n"
        "Cipher = SM4-GCM\n"
        f"Key = {RFC8998_KEY.hex()}\n"
        f"IV = {RFC8998_IV.hex()}\n"
        f"AAD = {RFC8998_AAD.hex()}\n"
        f"Tag = {RFC8998_TAG.hex()}\n"
        f"Plaintext = {RFC8998_PT.hex()}\n"
        f"Ciphertext = {RFC8998_CT.hex()}\n"
        "Operation = DECRYPT\n",
        encoding="utf-8",
    )
    vectors = load_evp_vectors(path)
    assert [v["_line"] for v in vectors] == ["4", "15"]
    assert all(v["Title"] == "synthetic" for v in vectors)
    assert evp_bytes(vectors[0]["AAD"]) == RFC8998_AAD
    for vec in vectors:
        _run_cipher_vector(PureProvider(), vec)
    assert evp_bytes('""') == b""
    assert evp_bytes('"abc"') == b"abc"


def test_evp_parser_rejects_repeated_fields(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("Cipher = SM4-ECB\nKey = 00\nKey = 01\n", encoding="utf-8")
    with pytest.raises(ValueError, match="repeated key"):
        load_evp_vectors(path)


# =============================================================================
# SM2 (GB/T 32918; values as in ../shared/data/sm2-vectors.md)
# =============================================================================

REC_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
REC_PX = 0x09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020
REC_PY = 0xCCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13
REC_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
REC_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
REC_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA
REC_C1X = 0x04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73
REC_C1Y = 0xE858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0
REC_C3 = H("59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766")
REC_C2 = H("21886CA989CA9C7D58087307CA93092D651EFA")

EX_SIG_ID = b"ALICE123@YAHOO.COM"
EX_SIG_D = 0x128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263
EX_SIG_PX = 0x0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A
EX_SIG_PY = 0x7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857
EX_SIG_Z = H("F4A38489E32B45B6F876E3AC2168CA392362DC8F23459C1D1146FC3DBFB7BC9A")
EX_SIG_K = 0x6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F
EX_SIG_R = 0x40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1
EX_SIG_S = 0x6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7
EX_ENC_D = 0x1649AB77A00637BD5E2EFE283FBF353534AA7F7CB89463F208DDBC2920BB0DA0
EX_ENC_K = 0x4C62EEFD6ECFC2B95B92FD6C3D9575148AFA17425546D49018E5388D49DD7B4F
EX_ENC_C1X = 0x245C26FB68B1DDDDB12C4B6BF9F2B6D5FE60A383B0D18D1C4144ABF17F6252E7
EX_ENC_C1Y = 0x76CB9264C2A7E88E52B19903FDC47378F605E36811F5C07423A24B84400F01B8
EX_ENC_C3 = H("9C3D7360C30156FAB7C80A0276712DA9D8094A634B766D3A285E07480653426D")
EX_ENC_C2 = H("650053A89B41C418B0C3AAD00D886C00286467")

SIGN_MESSAGE = b"message digest"
ENC_MESSAGE = b"encryption standard"


def _fixed_k(k: int) -> PureProvider:
    return PureProvider(nonce_source=lambda: k)


def _fixed_k_example(k: int) -> PureProvider:
    return PureProvider(GBT32918_EXAMPLE_FP256, nonce_source=lambda: k)


def _private_key(provider: PureProvider, d: int) -> SimpleNamespace:
    """Stand-in for edubase.crypto.sm2.SM2PrivateKey (attributes d, public_key(), _handles)."""
    x, y = provider.public_from_private_raw(d)
    public = SimpleNamespace(x=x, y=y, _handles={})
    return SimpleNamespace(d=d, public_key=lambda: public, _handles={})


def test_sm2_vectors_file_matches_pinned_values() -> None:
    data = shared_data_dir()
    if data is None:
        pytest.skip("../shared/data absent")
    text = (data / "sm2-vectors.md").read_text(encoding="utf-8")
    # The file repeats names (d, k, r, s per section), so compare the sets of values.
    values = {v.upper() for v in re.findall(r"^\s+[A-Za-z][\w.]*\s+=\s+([0-9A-Fa-f]{16,})\s*$", text, re.MULTILINE)}
    pinned = {
        f"{v:064X}" if isinstance(v, int) else v.hex().upper()
        for v in (
            REC_D, REC_PX, REC_PY, REC_K, REC_R, REC_S, REC_C1X, REC_C1Y, REC_C3, REC_C2,
            EX_SIG_D, EX_SIG_PX, EX_SIG_PY, EX_SIG_Z, EX_SIG_K, EX_SIG_R, EX_SIG_S,
            EX_ENC_D, EX_ENC_K, EX_ENC_C1X, EX_ENC_C1Y, EX_ENC_C3, EX_ENC_C2,
        )
    }  # fmt: skip
    curve = GBT32918_EXAMPLE_FP256
    pinned |= {f"{v:064X}" for v in (curve.p, curve.a, curve.b, curve.gx, curve.gy, curve.n)}
    assert values == pinned


def test_sm2_public_key_recommended_curve() -> None:
    assert PureProvider().sm2_public_from_private(REC_D) == (REC_PX, REC_PY)


def test_sm2_public_keys_example_curve() -> None:
    provider = PureProvider(GBT32918_EXAMPLE_FP256)
    assert provider.public_from_private_raw(EX_SIG_D) == (EX_SIG_PX, EX_SIG_PY)
    x, y = provider.public_from_private_raw(EX_ENC_D)
    assert pure.point_on_curve(GBT32918_EXAMPLE_FP256, x, y)


def test_sm2_z_example_curve() -> None:
    assert pure.sm2_z(GBT32918_EXAMPLE_FP256, EX_SIG_ID, EX_SIG_PX, EX_SIG_PY) == EX_SIG_Z


def test_sm2_sign_known_answer_recommended_curve() -> None:
    provider = _fixed_k(REC_K)
    key = _private_key(provider, REC_D)
    assert provider.sm2_sign(key, SIGN_MESSAGE, DEFAULT_SM2_ID) == (REC_R, REC_S)
    assert provider.sm2_verify(key.public_key(), SIGN_MESSAGE, DEFAULT_SM2_ID, REC_R, REC_S)


def test_sm2_sign_known_answer_example_curve() -> None:
    provider = _fixed_k_example(EX_SIG_K)
    assert provider.sign_raw(EX_SIG_D, EX_SIG_PX, EX_SIG_PY, SIGN_MESSAGE, EX_SIG_ID) == (EX_SIG_R, EX_SIG_S)
    e = int.from_bytes(pure.sm3(EX_SIG_Z + SIGN_MESSAGE), "big")
    assert provider.sign_digest_raw(EX_SIG_D, e) == (EX_SIG_R, EX_SIG_S)
    assert provider.verify_raw(EX_SIG_PX, EX_SIG_PY, SIGN_MESSAGE, EX_SIG_ID, EX_SIG_R, EX_SIG_S)
    assert not provider.verify_raw(EX_SIG_PX, EX_SIG_PY, SIGN_MESSAGE, DEFAULT_SM2_ID, EX_SIG_R, EX_SIG_S)


def test_sm2_encrypt_known_answer_recommended_curve() -> None:
    provider = _fixed_k(REC_K)
    key = _private_key(provider, REC_D)
    parts = provider.sm2_encrypt(key.public_key(), ENC_MESSAGE)
    assert parts == SM2CiphertextParts(REC_C1X, REC_C1Y, REC_C3, REC_C2)
    assert PureProvider().sm2_decrypt(key, parts) == ENC_MESSAGE


def test_sm2_encrypt_known_answer_example_curve() -> None:
    provider = _fixed_k_example(EX_ENC_K)
    px, py = provider.public_from_private_raw(EX_ENC_D)
    parts = provider.encrypt_raw(px, py, ENC_MESSAGE)
    assert parts == SM2CiphertextParts(EX_ENC_C1X, EX_ENC_C1Y, EX_ENC_C3, EX_ENC_C2)
    assert PureProvider(GBT32918_EXAMPLE_FP256).decrypt_raw(EX_ENC_D, parts) == ENC_MESSAGE


def test_sm2_kdf_structure() -> None:
    z = b"\x01" * 64
    out = pure.sm2_kdf(z, 70)
    expected = b"".join(pure.sm3(z + ct.to_bytes(4, "big")) for ct in (1, 2, 3))[:70]
    assert out == expected
    assert pure.sm2_kdf(z, 32) == out[:32]
    assert pure.sm2_kdf(z, 0) == b""


def test_sm2_z_rejects_overlong_id() -> None:
    with pytest.raises(ParameterError):
        pure.sm2_z(SM2P256V1, b"x" * 8192, REC_PX, REC_PY)


@pytest.mark.parametrize("curve", [SM2P256V1, GBT32918_EXAMPLE_FP256], ids=lambda c: c.name)
def test_point_arithmetic(curve: Curve) -> None:
    g = (curve.gx, curve.gy)
    assert pure.point_on_curve(curve, *g)
    assert not pure.point_on_curve(curve, curve.gx, curve.gy + 1)
    assert not pure.point_on_curve(curve, curve.gx + curve.p, curve.gy)
    assert pure.base_mult(curve, curve.n) is None
    assert pure.scalar_mult(curve, curve.n, *g) is None
    assert pure.base_mult(curve, curve.n - 1) == (curve.gx, curve.p - curve.gy)
    assert pure.point_add(curve, g, pure.base_mult(curve, curve.n - 1)) is None
    assert pure.point_add(curve, g, g) == pure.base_mult(curve, 2)
    assert pure.point_add(curve, None, g) == g
    for k in (1, 2, 3, 15, 16, 17, 0xDEADBEEF, curve.n // 3, curve.n - 2):
        kg = pure.base_mult(curve, k)
        assert kg == pure.scalar_mult(curve, k, *g)
        assert kg is not None
        assert pure.point_on_curve(curve, *kg)


def test_sm2_rejects_out_of_range_inputs() -> None:
    provider = PureProvider()
    n = SM2P256V1.n
    for d in (0, n - 1, n, -1):
        with pytest.raises(InvalidKey):
            provider.sm2_public_from_private(d)
        with pytest.raises(InvalidKey):
            provider.sign_digest_raw(d, 1)
    with pytest.raises(InvalidKey):
        provider.sign_raw(REC_D, REC_PX, REC_PY ^ 1, b"m", DEFAULT_SM2_ID)
    with pytest.raises(ParameterError):
        provider.encrypt_raw(REC_PX, REC_PY, b"")
    with pytest.raises(InvalidKey):
        provider.encrypt_raw(REC_PX, REC_PY ^ 1, b"m")
    with pytest.raises(ParameterError):
        PureProvider(nonce_source=lambda: n).sign_digest_raw(REC_D, 1)
    with pytest.raises(ParameterError):
        PureProvider(nonce_source=lambda: 0).encrypt_raw(REC_PX, REC_PY, b"m")


def test_sm2_verify_never_raises_on_garbage() -> None:
    provider = PureProvider()
    n, p = SM2P256V1.n, SM2P256V1.p
    args = (SIGN_MESSAGE, DEFAULT_SM2_ID)
    assert provider.verify_raw(REC_PX, REC_PY, *args, REC_R, REC_S)
    for r, s in (
        (0, REC_S),
        (REC_R, 0),
        (n, REC_S),
        (REC_R, n),
        (-REC_R, REC_S),
        (REC_R + n, REC_S),
        (REC_R, n - REC_R),
    ):
        assert not provider.verify_raw(REC_PX, REC_PY, *args, r, s)
    for px, py in ((REC_PX, REC_PY ^ 1), (REC_PX + p, REC_PY), (0, 0), (-1, REC_PY)):
        assert not provider.verify_raw(px, py, *args, REC_R, REC_S)


def test_sm2_decrypt_rejects_bad_c1_and_lengths() -> None:
    parts = SM2CiphertextParts(REC_C1X, REC_C1Y, REC_C3, REC_C2)
    provider = PureProvider()
    for bad in (
        parts._replace(c1y=REC_C1Y ^ 1),
        parts._replace(c1x=REC_C1X + SM2P256V1.p),
        parts._replace(c3=REC_C3[:31]),
        parts._replace(c2=b""),
    ):
        with pytest.raises(DecryptionError):
            provider.decrypt_raw(REC_D, bad)
    with pytest.raises(DecryptionError):
        provider.decrypt_raw(REC_D + 1, parts)


def test_sm2_generate_and_default_nonce() -> None:
    provider = PureProvider()
    d = provider.sm2_generate()
    assert 1 <= d <= SM2P256V1.n - 2
    key = _private_key(provider, d)
    r1, s1 = provider.sm2_sign(key, b"m", DEFAULT_SM2_ID)
    r2, s2 = provider.sm2_sign(key, b"m", DEFAULT_SM2_ID)
    assert (r1, s1) != (r2, s2)  # fresh k each time
    assert provider.sm2_verify(key.public_key(), b"m", DEFAULT_SM2_ID, r1, s1)
    assert provider.sm2_encrypt(key.public_key(), b"m") != provider.sm2_encrypt(key.public_key(), b"m")


def test_pure_module_is_independent_of_openssl() -> None:
    source = Path(pure.__file__).read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"random", "hashlib", "ssl", "ctypes", "cryptography", "_hashlib", "gmssl"}
    assert imported <= {
        "__future__",
        "hmac",
        "secrets",
        "struct",
        "collections",
        "functools",
        "typing",
        "_typeshed",
        "edubase",
    }


# -- property tests ---------------------------------------------------------------

_CURVES = st.sampled_from([SM2P256V1, GBT32918_EXAMPLE_FP256])


@st.composite
def _keypair(draw: st.DrawFn) -> tuple[PureProvider, int, int, int]:
    curve = draw(_CURVES)
    provider = PureProvider(curve)
    d = draw(st.integers(1, curve.n - 2))
    px, py = provider.public_from_private_raw(d)
    return provider, d, px, py


@settings(max_examples=20, deadline=None)
@given(kp=_keypair(), message=st.binary(max_size=64), uid=st.binary(max_size=32), flip=st.integers(0, 1000))
def test_sm2_sign_verify_roundtrip_and_tampering(
    kp: tuple[PureProvider, int, int, int], message: bytes, uid: bytes, flip: int
) -> None:
    provider, d, px, py = kp
    n = provider.curve.n
    r, s = provider.sign_raw(d, px, py, message, uid)
    assert 1 <= r < n
    assert 1 <= s < n
    assert provider.verify_raw(px, py, message, uid, r, s)
    tampered_message = _flip(message, flip) if message else b"\x00"
    assert not provider.verify_raw(px, py, tampered_message, uid, r, s)
    assert not provider.verify_raw(px, py, message, uid + b"!", r, s)
    assert not provider.verify_raw(px, py, message, uid, r % (n - 1) + 1, s)
    assert not provider.verify_raw(px, py, message, uid, r, (s % (n - 1)) + 1)
    assert not provider.verify_raw(px, py, message, uid, s, r)
    other = provider.public_from_private_raw(d % (n - 2) + 1)
    assert not provider.verify_raw(*other, message, uid, r, s)


@settings(max_examples=20, deadline=None)
@given(kp=_keypair(), message=st.binary(min_size=1, max_size=100), flip=st.integers(0, 1000))
def test_sm2_encrypt_decrypt_roundtrip_and_tampering(
    kp: tuple[PureProvider, int, int, int], message: bytes, flip: int
) -> None:
    provider, d, px, py = kp
    parts = provider.encrypt_raw(px, py, message)
    assert pure.point_on_curve(provider.curve, parts.c1x, parts.c1y)
    assert len(parts.c2) == len(message)
    assert len(parts.c3) == 32
    assert provider.decrypt_raw(d, parts) == message
    for bad in (
        parts._replace(c3=_flip(parts.c3, flip)),
        parts._replace(c2=_flip(parts.c2, flip)),
        parts._replace(c2=parts.c2 + b"\x00"),
        parts._replace(c1y=provider.curve.p - parts.c1y),  # -C1: on the curve, wrong point
        parts._replace(c1y=parts.c1y ^ 1),
    ):
        with pytest.raises(DecryptionError):
            provider.decrypt_raw(d, bad)
