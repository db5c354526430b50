"""Known-answer self-test run through every provider (``edubase crypto selftest``).

Vectors: GB/T 32905 (SM3), GB/T 32907 (SM4, including the 10^6-iteration vector),
RFC 8998 Appendix A (SM4-GCM), GB/T 32918 signature and encryption examples on the
recommended curve. A provider that cannot take a fixed ephemeral k (OpenSSL) is
checked by verifying the standard's signature and decrypting the standard's
ciphertext instead, and by cross-checking with the other providers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from edubase.crypto import encoding
from edubase.crypto.errors import CryptoError, DecryptionError, InvalidSignature
from edubase.crypto.providers import CryptoProvider, available_providers
from edubase.crypto.sm2 import SM2PrivateKey, SM2PublicKey
from edubase.crypto.sm3 import sm3
from edubase.crypto.sm4 import SM4GCM, sm4_ecb_encrypt_blocks

SM2_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
SM2_PX = 0x09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020
SM2_PY = 0xCCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13
SM2_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
SM2_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
SM2_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA
SM2_C1X = 0x04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73
SM2_C1Y = 0xE858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0
SM2_C3 = bytes.fromhex("59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766")
SM2_C2 = bytes.fromhex("21886CA989CA9C7D58087307CA93092D651EFA")

SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
GCM_KEY = SM4_KEY
GCM_IV = bytes.fromhex("00001234567800000000ABCD")
GCM_AAD = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
GCM_PT = bytes.fromhex(
    "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
    "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
)
GCM_CT = bytes.fromhex(
    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
)
GCM_TAG = bytes.fromhex("83DE3541E4C2B58177E065A9BF7B62EC")


@dataclass(frozen=True)
class Result:
    """Outcome of one vector on one provider."""

    provider: str
    name: str
    ok: bool
    detail: str
    seconds: float
    skipped: bool = False


class _VectorFailed(AssertionError):
    pass


def _expect(cond: bool, detail: str) -> None:
    if not cond:
        raise _VectorFailed(detail)


def _vectors(provider: CryptoProvider, *, quick: bool) -> Iterator[tuple[str, Callable[[], None] | None]]:
    p = provider

    def sm3_abc() -> None:
        got = sm3(b"abc", provider=p).hex()
        _expect(got == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0", got)

    def sm3_abcd() -> None:
        got = sm3(b"abcd" * 16, provider=p).hex()
        _expect(got == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732", got)

    def sm4_once() -> None:
        got = sm4_ecb_encrypt_blocks(SM4_KEY, SM4_KEY, provider=p).hex()
        _expect(got == "681edf34d206965e86b3e94f536e4246", got)

    def sm4_million() -> None:
        block = SM4_KEY
        encrypt = p.sm4_ecb_encrypt
        for _ in range(1_000_000):
            block = encrypt(SM4_KEY, block)
        _expect(block.hex() == "595298c7c6fd271f0402f804c33d3f66", block.hex())

    def gcm() -> None:
        ct, tag = SM4GCM(GCM_KEY, provider=p).encrypt_with_nonce(GCM_IV, GCM_PT, GCM_AAD)
        _expect(ct == GCM_CT and tag == GCM_TAG, f"{ct.hex()} {tag.hex()}")
        _expect(SM4GCM(GCM_KEY, provider=p).decrypt(GCM_IV + GCM_CT + GCM_TAG, GCM_AAD) == GCM_PT, "decrypt")
        try:
            SM4GCM(GCM_KEY, provider=p).decrypt(GCM_IV + GCM_CT + GCM_TAG, GCM_AAD + b"x")
        except DecryptionError:
            return
        raise _VectorFailed("tampered AAD accepted")

    def sm2_public() -> None:
        key = SM2PrivateKey(SM2_D, provider=p)
        _expect((key.public_key().x, key.public_key().y) == (SM2_PX, SM2_PY), "public key from d")

    def sm2_verify_vector() -> None:
        pub = SM2PublicKey(SM2_PX, SM2_PY)
        pub.verify(b"message digest", encoding.signature_to_raw(SM2_R, SM2_S), fmt="raw", provider=p)
        try:
            pub.verify(b"message digesT", encoding.signature_to_raw(SM2_R, SM2_S), fmt="raw", provider=p)
        except InvalidSignature:
            return
        raise _VectorFailed("altered message verified")

    def sm2_decrypt_vector() -> None:
        key = SM2PrivateKey(SM2_D, provider=p)
        blob = encoding.ciphertext_to_bytes(SM2_C1X, SM2_C1Y, SM2_C3, SM2_C2)
        _expect(key.decrypt(blob, provider=p) == b"encryption standard", "decrypt")

    def sm2_fixed_k() -> None:
        from edubase.crypto.providers.pure import PureProvider

        seam = PureProvider(nonce_source=lambda: SM2_K)
        key = SM2PrivateKey(SM2_D, provider=seam)
        sig = key.sign(b"message digest", fmt="raw", provider=seam)
        _expect(encoding.signature_from_raw(sig) == (SM2_R, SM2_S), sig.hex())
        ct = key.public_key().encrypt(b"encryption standard", provider=seam)
        _expect(ct == encoding.ciphertext_to_bytes(SM2_C1X, SM2_C1Y, SM2_C3, SM2_C2), ct.hex())

    def sm2_cross() -> None:
        key = SM2PrivateKey.generate(provider=p)
        message = b"edubase cross-provider check"
        for other in available_providers():
            sig = key.sign(message, provider=p)
            key.public_key().verify(message, sig, provider=other)
            sig2 = key.sign(message, provider=other)
            key.public_key().verify(message, sig2, provider=p)
            ct = key.public_key().encrypt(message, provider=other)
            _expect(key.decrypt(ct, provider=p) == message, f"decrypt of {other.name} ciphertext")

    yield "SM3 abc (GB/T 32905)", sm3_abc
    yield "SM3 abcd×16 (GB/T 32905)", sm3_abcd
    yield "SM4 单次加密 (GB/T 32907)", sm4_once
    # about 5 s natively and 50 s in pure Python: the pure run is opt-in (``full``)
    yield "SM4 10^6 次迭代 (GB/T 32907)", None if quick else sm4_million
    yield "SM4-GCM (RFC 8998 附录 A)", gcm
    yield "SM2 由私钥导出公钥 (GB/T 32918)", sm2_public
    yield "SM2 验证标准签名 (GB/T 32918)", sm2_verify_vector
    yield "SM2 解密标准密文 (GB/T 32918)", sm2_decrypt_vector
    if provider.name == "pure":
        yield "SM2 固定 k 签名与加密 (GB/T 32918)", sm2_fixed_k
    yield "SM2 跨提供者互验", sm2_cross


def run_selftest(
    *, quick: bool = False, full: bool = False, providers: list[CryptoProvider] | None = None
) -> list[Result]:
    """Run every vector through every available provider; never raises for a failing vector.

    ``quick`` skips the 10^6-iteration SM4 vector everywhere; without ``full`` it is
    skipped on slow (non-native) providers only.
    """
    results = []
    for provider in providers or available_providers():
        slow_skip = quick or (not full and not provider.native)
        for name, check in _vectors(provider, quick=slow_skip):
            if check is None:
                results.append(Result(provider.name, name, True, "已跳过（--full 运行）", 0.0, skipped=True))
                continue
            start = time.perf_counter()
            try:
                check()
                ok, detail = True, ""
            except (_VectorFailed, CryptoError) as exc:
                ok, detail = False, str(exc) or type(exc).__name__
            results.append(Result(provider.name, name, ok, detail, time.perf_counter() - start))
    return results
