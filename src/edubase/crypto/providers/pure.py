"""Pure-Python provider: an independent test oracle for SM2, SM3 and SM4.

Everything here is written from the standards alone, without OpenSSL, ``hashlib``
or ``cryptography``, so that a bug in the native stack cannot hide by agreeing
with itself:

* SM3 hash: GB/T 32905-2016; HMAC-SM3: RFC 2104; PBKDF2: RFC 8018 §5.2.
* SM4 block cipher: GB/T 32907-2016; modes ECB/CBC/CTR: NIST SP 800-38A;
  GCM and GHASH: NIST SP 800-38D (as used for SM4 by RFC 8998).
* SM2 public-key algorithms: GB/T 32918.1-.5-2016/2017 (signature: part 2,
  encryption and KDF: part 4, recommended curve: part 5), on any short-Weierstrass
  ``Curve`` so that the example curve of the standard can be tested too.

It is slow and *not* side-channel resistant (secret-dependent branches and table
look-ups everywhere): never select it for production data. The only randomness
comes from :mod:`secrets`; tests may inject the SM2 ephemeral ``k`` through
``PureProvider(nonce_source=...)``.
"""

from __future__ import annotations

import hmac
import secrets
import struct
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from edubase.crypto.curves import SM2P256V1, Curve
from edubase.crypto.errors import CryptoError, DecryptionError, InvalidKey, ParameterError
from edubase.crypto.providers.base import CryptoProvider, SM2CiphertextParts

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = [
    "PureProvider",
    "SM3Hash",
    "SM4BlockCipher",
    "base_mult",
    "hmac_sm3",
    "pbkdf2_hmac_sm3",
    "point_add",
    "point_on_curve",
    "scalar_mult",
    "sm2_kdf",
    "sm2_z",
    "sm3",
    "sm4_cbc_decrypt",
    "sm4_cbc_encrypt",
    "sm4_ctr",
    "sm4_ecb_decrypt",
    "sm4_ecb_encrypt",
    "sm4_gcm_decrypt",
    "sm4_gcm_encrypt",
]

_M32 = 0xFFFFFFFF
_M128 = (1 << 128) - 1

# A CSPRNG repeats a rejected k with probability ~2^-256; a bounded loop turns a
# broken test ``nonce_source`` (one that keeps returning a rejected k) into an
# error instead of a hang.
_MAX_NONCE_ATTEMPTS = 64


def _rotl(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _M32


def _xor_bytes(a: bytes, b: bytes) -> bytes:
    """XOR ``a`` with the first ``len(a)`` bytes of ``b``."""
    n = len(a)
    if n == 0:
        return b""
    return (int.from_bytes(a, "big") ^ int.from_bytes(b[:n], "big")).to_bytes(n, "big")


# =============================================================================
# SM3 (GB/T 32905-2016)
# =============================================================================

_SM3_IV = (
    0x7380166F,
    0x4914B2B9,
    0x172442D7,
    0xDA8A0600,
    0xA96F30BC,
    0x163138AA,
    0xE38DEE4D,
    0xB0FB0E4E,
)
# T_j <<< (j mod 32), precomputed because it does not depend on the data.
_SM3_TJ = tuple(_rotl(0x79CC4519 if j < 16 else 0x7A879D8A, j) for j in range(64))
_SM3_BLOCK = struct.Struct(">16I")


def _sm3_compress(v: tuple[int, ...], block: bytes) -> tuple[int, ...]:
    """Compression function CF(V, B) of GB/T 32905 §5.3.3 for one 64-byte block."""
    w = list(_SM3_BLOCK.unpack(block))
    for j in range(16, 68):
        x = w[j - 16] ^ w[j - 9] ^ (((w[j - 3] << 15) | (w[j - 3] >> 17)) & _M32)
        y = w[j - 13]
        w.append(
            x
            ^ (((x << 15) | (x >> 17)) & _M32)
            ^ (((x << 23) | (x >> 9)) & _M32)
            ^ (((y << 7) | (y >> 25)) & _M32)
            ^ w[j - 6]
        )
    a, b, c, d, e, f, g, h = v
    tj = _SM3_TJ
    for j in range(64):
        a12 = ((a << 12) | (a >> 20)) & _M32
        ss1 = (a12 + e + tj[j]) & _M32
        ss1 = ((ss1 << 7) | (ss1 >> 25)) & _M32
        ss2 = ss1 ^ a12
        if j < 16:
            ff = a ^ b ^ c
            gg = e ^ f ^ g
        else:
            ff = (a & b) | (a & c) | (b & c)
            gg = (e & f) | (~e & g)
        tt1 = (ff + d + ss2 + (w[j] ^ w[j + 4])) & _M32
        tt2 = (gg + h + ss1 + w[j]) & _M32
        d = c
        c = ((b << 9) | (b >> 23)) & _M32
        b = a
        a = tt1
        h = g
        g = ((f << 19) | (f >> 13)) & _M32
        f = e
        e = tt2 ^ (((tt2 << 9) | (tt2 >> 23)) & _M32) ^ (((tt2 << 17) | (tt2 >> 15)) & _M32)
    return (
        a ^ v[0],
        b ^ v[1],
        c ^ v[2],
        d ^ v[3],
        e ^ v[4],
        f ^ v[5],
        g ^ v[6],
        h ^ v[7],
    )


class SM3Hash:
    """Incremental SM3 (GB/T 32905) with the ``hashlib`` object protocol.

    The protocol (``update``/``copy``/``digest``/``block_size``) lets the standard
    library's :mod:`hmac` use it as ``digestmod``, which tests use as a second,
    independent HMAC construction; ``copy`` also lets HMAC and PBKDF2 reuse the
    keyed inner/outer states instead of rehashing the padded key every time.
    """

    name = "sm3"
    digest_size = 32
    block_size = 64

    def __init__(self, data: bytes = b"") -> None:
        self._v: tuple[int, ...] = _SM3_IV
        self._buf = b""
        self._length = 0
        if data:
            self.update(data)

    def update(self, data: ReadableBuffer, /) -> None:
        """Absorb ``data`` (any bytes-like object)."""
        chunk = bytes(data)
        self._length += len(chunk)
        buf = self._buf + chunk
        v = self._v
        full = len(buf) - len(buf) % 64
        for i in range(0, full, 64):
            v = _sm3_compress(v, buf[i : i + 64])
        self._v = v
        self._buf = buf[full:]

    def copy(self) -> SM3Hash:
        """Return an independent copy of the current state."""
        other = SM3Hash()
        other._v = self._v
        other._buf = self._buf
        other._length = self._length
        return other

    def digest(self) -> bytes:
        """Return the digest of everything absorbed so far (state is kept)."""
        # Padding per GB/T 32905 §5.2: 1 bit, zeros, then the 64-bit bit length.
        bit_len = (self._length * 8) & ((1 << 64) - 1)
        tail = self._buf + b"\x80" + b"\x00" * ((55 - len(self._buf)) % 64) + bit_len.to_bytes(8, "big")
        v = self._v
        for i in range(0, len(tail), 64):
            v = _sm3_compress(v, tail[i : i + 64])
        return b"".join(x.to_bytes(4, "big") for x in v)

    def hexdigest(self) -> str:
        """Return the digest as lowercase hex."""
        return self.digest().hex()


def sm3(data: bytes) -> bytes:
    """Return the 32-byte SM3 digest of ``data`` (GB/T 32905-2016)."""
    return SM3Hash(data).digest()


def _hmac_states(key: bytes) -> tuple[SM3Hash, SM3Hash]:
    """Return the SM3 states after absorbing ``K xor ipad`` and ``K xor opad`` (RFC 2104)."""
    if len(key) > 64:
        key = sm3(key)
    key = key.ljust(64, b"\x00")
    inner = SM3Hash(bytes(b ^ 0x36 for b in key))
    outer = SM3Hash(bytes(b ^ 0x5C for b in key))
    return inner, outer


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """Return HMAC-SM3 of ``data`` (RFC 2104 with SM3, 64-byte block, 32-byte output)."""
    inner, outer = _hmac_states(key)
    inner.update(data)
    outer.update(inner.digest())
    return outer.digest()


def pbkdf2_hmac_sm3(password: bytes, salt: bytes, iterations: int, dklen: int) -> bytes:
    """Return PBKDF2 (RFC 8018 §5.2) with HMAC-SM3 as the PRF."""
    if iterations < 1:
        raise ParameterError(detail="PBKDF2 迭代次数必须为正")
    if dklen < 1 or dklen > _M32 * 32:
        raise ParameterError(detail="PBKDF2 输出长度无效")
    inner0, outer0 = _hmac_states(password)

    def prf(msg: bytes) -> bytes:
        inner = inner0.copy()
        inner.update(msg)
        outer = outer0.copy()
        outer.update(inner.digest())
        return outer.digest()

    out = bytearray()
    block_index = 1
    while len(out) < dklen:
        u = prf(salt + block_index.to_bytes(4, "big"))
        acc = int.from_bytes(u, "big")
        for _ in range(iterations - 1):
            u = prf(u)
            acc ^= int.from_bytes(u, "big")
        out += acc.to_bytes(32, "big")
        block_index += 1
    return bytes(out[:dklen])


# =============================================================================
# SM4 (GB/T 32907-2016)
# =============================================================================

_SM4_SBOX = bytes.fromhex(
    "d690e9fecce13db716b614c228fb2c052b679a762abe04c3aa44132649860699"
    "9c4250f491ef987a33540b43edcfac62e4b31ca9c908e89580df94fa758f3fa6"
    "4707a7fcf37317ba83593c19e6854fa8686b81b27164da8bf8eb0f4b70569d35"
    "1e240e5e6358d1a225227c3b01217887d40046579fd327524c3602e7a0c4c89e"
    "eabf8ad240c738b5a3f7f2cef96115a1e0ae5da49b341a55ad933230f58cb1e3"
    "1df6e22e8266ca60c02923ab0d534e6fd5db3745defd8e2f03ff6a726d6c5b51"
    "8d1baf92bbddbc7f11d95c411f105ad80ac13188a5cd7bbd2d74d012b8e5b4b0"
    "8969974a0c96777e65b9f109c56ec68418f07dec3adc4d2079ee5f3ed7cb3948"
)
_SM4_FK = (0xA3B1BAC6, 0x56AA3350, 0x677D9197, 0xB27022DC)
# CK_i byte j = (4i + j) * 7 mod 256 (GB/T 32907 §7.3).
_SM4_CK = tuple(int.from_bytes(bytes(((4 * i + j) * 7) % 256 for j in range(4)), "big") for i in range(32))


def _sm4_l(b: int) -> int:
    """Linear transform L of the round function (GB/T 32907 §6.2)."""
    return b ^ _rotl(b, 2) ^ _rotl(b, 10) ^ _rotl(b, 18) ^ _rotl(b, 24)


def _sm4_l_key(b: int) -> int:
    """Linear transform L' of the key schedule (GB/T 32907 §7.3)."""
    return b ^ _rotl(b, 13) ^ _rotl(b, 23)


def _sm4_tau(a: int) -> int:
    s = _SM4_SBOX
    return (s[a >> 24] << 24) | (s[(a >> 16) & 255] << 16) | (s[(a >> 8) & 255] << 8) | s[a & 255]


# L is linear over XOR and tau works byte by byte, so T(x) = L(tau(x)) splits into
# four 256-entry tables: this is what makes a million-block test bearable.
_T0 = tuple(_sm4_l(_SM4_SBOX[i] << 24) for i in range(256))
_T1 = tuple(_sm4_l(_SM4_SBOX[i] << 16) for i in range(256))
_T2 = tuple(_sm4_l(_SM4_SBOX[i] << 8) for i in range(256))
_T3 = tuple(_sm4_l(_SM4_SBOX[i]) for i in range(256))


def _sm4_round_keys(key: bytes) -> tuple[int, ...]:
    """Key expansion of GB/T 32907 §7.3; returns rk_0..rk_31."""
    if len(key) != 16:
        raise ParameterError(detail="SM4 密钥必须为 16 字节")
    k = [w ^ fk for w, fk in zip(struct.unpack(">4I", key), _SM4_FK, strict=True)]
    for i in range(32):
        k.append(k[i] ^ _sm4_l_key(_sm4_tau(k[i + 1] ^ k[i + 2] ^ k[i + 3] ^ _SM4_CK[i])))
    return tuple(k[4:])


def _sm4_block(rk: tuple[int, ...], x: int) -> int:
    """Encrypt (or, with reversed ``rk``, decrypt) one block given as a 128-bit int."""
    t0, t1, t2, t3 = _T0, _T1, _T2, _T3
    x0 = x >> 96
    x1 = (x >> 64) & _M32
    x2 = (x >> 32) & _M32
    x3 = x & _M32
    for i in range(0, 32, 4):
        t = x1 ^ x2 ^ x3 ^ rk[i]
        x0 ^= t0[t >> 24] ^ t1[(t >> 16) & 255] ^ t2[(t >> 8) & 255] ^ t3[t & 255]
        t = x2 ^ x3 ^ x0 ^ rk[i + 1]
        x1 ^= t0[t >> 24] ^ t1[(t >> 16) & 255] ^ t2[(t >> 8) & 255] ^ t3[t & 255]
        t = x3 ^ x0 ^ x1 ^ rk[i + 2]
        x2 ^= t0[t >> 24] ^ t1[(t >> 16) & 255] ^ t2[(t >> 8) & 255] ^ t3[t & 255]
        t = x0 ^ x1 ^ x2 ^ rk[i + 3]
        x3 ^= t0[t >> 24] ^ t1[(t >> 16) & 255] ^ t2[(t >> 8) & 255] ^ t3[t & 255]
    # The reverse transform R: output (X35, X34, X33, X32).
    return (x3 << 96) | (x2 << 64) | (x1 << 32) | x0


def _blocks(data: bytes) -> list[int]:
    if len(data) % 16:
        raise ParameterError(detail="数据长度必须是 16 字节的整数倍")
    return [int.from_bytes(data[i : i + 16], "big") for i in range(0, len(data), 16)]


def _join(blocks: list[int]) -> bytes:
    return b"".join(b.to_bytes(16, "big") for b in blocks)


class SM4BlockCipher:
    """Bare SM4 block cipher (GB/T 32907) with the key schedule done once."""

    block_size = 16

    def __init__(self, key: bytes) -> None:
        self._rk = _sm4_round_keys(key)
        self._rk_dec = self._rk[::-1]

    def encrypt_block(self, block: bytes) -> bytes:
        """Encrypt exactly one 16-byte block."""
        if len(block) != 16:
            raise ParameterError(detail="SM4 分组必须为 16 字节")
        return _sm4_block(self._rk, int.from_bytes(block, "big")).to_bytes(16, "big")

    def decrypt_block(self, block: bytes) -> bytes:
        """Decrypt exactly one 16-byte block."""
        if len(block) != 16:
            raise ParameterError(detail="SM4 分组必须为 16 字节")
        return _sm4_block(self._rk_dec, int.from_bytes(block, "big")).to_bytes(16, "big")


def sm4_ecb_encrypt(key: bytes, data: bytes) -> bytes:
    """SM4-ECB encryption of whole blocks, no padding (SP 800-38A §6.1)."""
    rk = _sm4_round_keys(key)
    return _join([_sm4_block(rk, b) for b in _blocks(data)])


def sm4_ecb_decrypt(key: bytes, data: bytes) -> bytes:
    """SM4-ECB decryption of whole blocks, no padding (SP 800-38A §6.1)."""
    rk = _sm4_round_keys(key)[::-1]
    return _join([_sm4_block(rk, b) for b in _blocks(data)])


def _check_iv(iv: bytes) -> int:
    if len(iv) != 16:
        raise ParameterError(detail="SM4 IV/计数器块必须为 16 字节")
    return int.from_bytes(iv, "big")


def sm4_cbc_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """SM4-CBC encryption of whole blocks, no padding (SP 800-38A §6.2)."""
    rk = _sm4_round_keys(key)
    prev = _check_iv(iv)
    out = []
    for b in _blocks(data):
        prev = _sm4_block(rk, b ^ prev)
        out.append(prev)
    return _join(out)


def sm4_cbc_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """SM4-CBC decryption of whole blocks, no padding (SP 800-38A §6.2)."""
    rk = _sm4_round_keys(key)[::-1]
    prev = _check_iv(iv)
    out = []
    for c in _blocks(data):
        out.append(_sm4_block(rk, c) ^ prev)
        prev = c
    return _join(out)


def _keystream(rk: tuple[int, ...], counter: int, length: int, incr: Callable[[int], int]) -> bytes:
    out = []
    for _ in range((length + 15) // 16):
        out.append(_sm4_block(rk, counter).to_bytes(16, "big"))
        counter = incr(counter)
    return b"".join(out)


def _inc128(cb: int) -> int:
    return (cb + 1) & _M128


def _inc32(cb: int) -> int:
    # GCM increments only the low 32 bits (SP 800-38D §6.2), unlike plain CTR.
    return (cb & ~_M32 & _M128) | ((cb + 1) & _M32)


def sm4_ctr(key: bytes, counter_block: bytes, data: bytes) -> bytes:
    """SM4-CTR with a 128-bit big-endian counter (SP 800-38A §6.5); encrypts and decrypts."""
    rk = _sm4_round_keys(key)
    cb = _check_iv(counter_block)
    return _xor_bytes(data, _keystream(rk, cb, len(data), _inc128))


# -- GCM (NIST SP 800-38D) -----------------------------------------------------

_GCM_R = 0xE1 << 120
# SP 800-38D §5.2.1.2: the tag lengths GCM permits.
_GCM_TAG_LENGTHS = frozenset({4, 8, 12, 13, 14, 15, 16})


class _GHash:
    """GHASH_H (SP 800-38D §6.4) over GF(2^128) with the spec's reflected bit order."""

    def __init__(self, h: int) -> None:
        # by_bit[j] = H * x^(127-j): the product with X is then the XOR of the
        # entries for the set bits of X, so each block needs no shifting.
        table = []
        v = h
        for _ in range(128):
            table.append(v)
            v = (v >> 1) ^ _GCM_R if v & 1 else v >> 1
        self._by_bit = table[::-1]

    def mul(self, x: int) -> int:
        z = 0
        by_bit = self._by_bit
        while x:
            low = x & -x
            z ^= by_bit[low.bit_length() - 1]
            x ^= low
        return z

    def digest(self, data: bytes) -> int:
        """GHASH of ``data`` zero-padded to whole blocks."""
        y = 0
        if len(data) % 16:
            data = data + b"\x00" * (16 - len(data) % 16)
        for i in range(0, len(data), 16):
            y = self.mul(y ^ int.from_bytes(data[i : i + 16], "big"))
        return y


def _gcm_setup(key: bytes, nonce: bytes) -> tuple[tuple[int, ...], _GHash, int]:
    rk = _sm4_round_keys(key)
    if not nonce:
        raise ParameterError(detail="GCM nonce 不能为空")
    ghash = _GHash(_sm4_block(rk, 0))
    if len(nonce) == 12:
        j0 = (int.from_bytes(nonce, "big") << 32) | 1
    else:
        # Other IV lengths are hashed into J0 (SP 800-38D §7.1 step 2).
        j0 = ghash.digest(nonce + b"\x00" * ((16 - len(nonce) % 16) % 16) + (8 * len(nonce)).to_bytes(16, "big"))
    return rk, ghash, j0


def _gcm_tag(rk: tuple[int, ...], ghash: _GHash, j0: int, aad: bytes, ciphertext: bytes) -> bytes:
    s = ghash.digest(
        aad
        + b"\x00" * ((16 - len(aad) % 16) % 16)
        + ciphertext
        + b"\x00" * ((16 - len(ciphertext) % 16) % 16)
        + (8 * len(aad)).to_bytes(8, "big")
        + (8 * len(ciphertext)).to_bytes(8, "big")
    )
    return (_sm4_block(rk, j0) ^ s).to_bytes(16, "big")


def sm4_gcm_encrypt(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """SM4-GCM authenticated encryption (SP 800-38D §7.1, RFC 8998); returns (C, 16-byte tag)."""
    rk, ghash, j0 = _gcm_setup(key, nonce)
    ciphertext = _xor_bytes(data, _keystream(rk, _inc32(j0), len(data), _inc32))
    return ciphertext, _gcm_tag(rk, ghash, j0, aad, ciphertext)


def sm4_gcm_decrypt(key: bytes, nonce: bytes, ciphertext: bytes, tag: bytes, aad: bytes) -> bytes:
    """SM4-GCM authenticated decryption (SP 800-38D §7.2); raises ``DecryptionError`` on mismatch."""
    rk, ghash, j0 = _gcm_setup(key, nonce)
    if len(tag) not in _GCM_TAG_LENGTHS:
        raise DecryptionError(detail="GCM 认证标签长度无效")
    expected = _gcm_tag(rk, ghash, j0, aad, ciphertext)[: len(tag)]
    # Constant-time comparison so the oracle does not model a timing leak that the
    # production provider must not have either.
    if not hmac.compare_digest(expected, tag):
        raise DecryptionError(detail="GCM 认证标签不匹配")
    return _xor_bytes(ciphertext, _keystream(rk, _inc32(j0), len(ciphertext), _inc32))


# =============================================================================
# SM2 (GB/T 32918-2016) elliptic-curve arithmetic
# =============================================================================

# Jacobian (X, Y, Z) stands for the affine point (X/Z^2, Y/Z^3); Z == 0 is the
# point at infinity. Affine points are (x, y) tuples; None is the point at infinity.
_Jac = tuple[int, int, int]
_Affine = tuple[int, int]
_INF: _Jac = (1, 1, 0)


def point_on_curve(curve: Curve, x: int, y: int) -> bool:
    """Return True if (x, y) is an affine point of ``curve`` with coordinates in [0, p-1]."""
    p = curve.p
    if not (0 <= x < p and 0 <= y < p):
        return False
    return (y * y - (x * x * x + curve.a * x + curve.b)) % p == 0


def _jac_double(curve: Curve, pt: _Jac) -> _Jac:
    x1, y1, z1 = pt
    if z1 == 0 or y1 == 0:
        return _INF
    p = curve.p
    yy = y1 * y1 % p
    s = 4 * x1 * yy % p
    zz = z1 * z1 % p
    # a = -3 (sm2p256v1): 3X^2 - 3Z^4 = 3(X - Z^2)(X + Z^2) saves a squaring.
    m = 3 * (x1 - zz) * (x1 + zz) % p if curve.a == p - 3 else (3 * x1 * x1 + curve.a * zz * zz) % p
    x3 = (m * m - 2 * s) % p
    y3 = (m * (s - x3) - 8 * yy * yy) % p
    z3 = 2 * y1 * z1 % p
    return (x3, y3, z3)


def _jac_add(curve: Curve, p1: _Jac, p2: _Jac) -> _Jac:
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    if z1 == 0:
        return p2
    if z2 == 0:
        return p1
    p = curve.p
    z1z1 = z1 * z1 % p
    z2z2 = z2 * z2 % p
    u1 = x1 * z2z2 % p
    u2 = x2 * z1z1 % p
    s1 = y1 * z2 * z2z2 % p
    s2 = y2 * z1 * z1z1 % p
    h = (u2 - u1) % p
    r = (s2 - s1) % p
    if h == 0:
        # Same x: either the same point (double) or inverses (infinity).
        return _jac_double(curve, p1) if r == 0 else _INF
    hh = h * h % p
    hhh = h * hh % p
    v = u1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    y3 = (r * (v - x3) - s1 * hhh) % p
    z3 = z1 * z2 * h % p
    return (x3, y3, z3)


def _jac_add_affine(curve: Curve, p1: _Jac, x2: int, y2: int) -> _Jac:
    """Mixed addition (Z2 = 1), the cheap case used with precomputed affine tables."""
    x1, y1, z1 = p1
    if z1 == 0:
        return (x2, y2, 1)
    p = curve.p
    z1z1 = z1 * z1 % p
    u2 = x2 * z1z1 % p
    s2 = y2 * z1 * z1z1 % p
    h = (u2 - x1) % p
    r = (s2 - y1) % p
    if h == 0:
        return _jac_double(curve, p1) if r == 0 else _INF
    hh = h * h % p
    hhh = h * hh % p
    v = x1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    y3 = (r * (v - x3) - y1 * hhh) % p
    z3 = z1 * h % p
    return (x3, y3, z3)


def _to_affine(curve: Curve, pt: _Jac) -> _Affine | None:
    x, y, z = pt
    if z == 0:
        return None
    p = curve.p
    zi = pow(z, -1, p)
    zi2 = zi * zi % p
    return (x * zi2 % p, y * zi2 * zi % p)


_WINDOW = 4


@lru_cache(maxsize=8)
def _base_table(curve: Curve) -> tuple[tuple[_Affine, ...], ...]:
    """Affine multiples j * 2^(4i) * G for j = 1..15, one row per 4-bit window.

    With this table k*G costs one mixed addition per window and no doublings,
    which is what makes pure-Python signing run at hundreds per second.
    """
    rows = []
    base: _Jac = (curve.gx, curve.gy, 1)
    for _ in range((curve.n.bit_length() + _WINDOW - 1) // _WINDOW):
        row: list[_Affine] = []
        acc = base
        for _j in range(1, 1 << _WINDOW):
            aff = _to_affine(curve, acc)
            if aff is None:  # only for a degenerate curve whose G has tiny order
                raise ParameterError(detail="基点阶数异常")
            row.append(aff)
            acc = _jac_add(curve, acc, base)
        rows.append(tuple(row))
        for _ in range(_WINDOW):
            base = _jac_double(curve, base)
    return tuple(rows)


def _base_mult_jac(curve: Curve, k: int) -> _Jac:
    k %= curve.n
    acc = _INF
    for row in _base_table(curve):
        digit = k & ((1 << _WINDOW) - 1)
        if digit:
            x, y = row[digit - 1]
            acc = _jac_add_affine(curve, acc, x, y)
        k >>= _WINDOW
    return acc


def _mult_jac(curve: Curve, k: int, x: int, y: int) -> _Jac:
    """k * (x, y) by a fixed 4-bit window, left to right."""
    if k < 0:
        raise ParameterError(detail="标量不能为负")
    pre: list[_Jac] = [_INF, (x, y, 1)]
    for _ in range(2, 1 << _WINDOW):
        pre.append(_jac_add_affine(curve, pre[-1], x, y))
    acc = _INF
    top = ((k.bit_length() + _WINDOW - 1) // _WINDOW) * _WINDOW
    for shift in range(top - _WINDOW, -1, -_WINDOW):
        for _ in range(_WINDOW):
            acc = _jac_double(curve, acc)
        digit = (k >> shift) & ((1 << _WINDOW) - 1)
        if digit:
            acc = _jac_add(curve, acc, pre[digit])
    return acc


def base_mult(curve: Curve, k: int) -> _Affine | None:
    """Return k*G on ``curve`` (None for the point at infinity)."""
    return _to_affine(curve, _base_mult_jac(curve, k))


def scalar_mult(curve: Curve, k: int, x: int, y: int) -> _Affine | None:
    """Return k*(x, y) on ``curve`` (None for the point at infinity); the point is not validated."""
    return _to_affine(curve, _mult_jac(curve, k, x, y))


def point_add(curve: Curve, p1: _Affine | None, p2: _Affine | None) -> _Affine | None:
    """Return p1 + p2 for affine points (None is the point at infinity)."""
    j1: _Jac = _INF if p1 is None else (p1[0], p1[1], 1)
    j2: _Jac = _INF if p2 is None else (p2[0], p2[1], 1)
    return _to_affine(curve, _jac_add(curve, j1, j2))


def _int_bytes(curve: Curve, v: int) -> bytes:
    return v.to_bytes(curve.size, "big")


def sm2_z(curve: Curve, uid: bytes, px: int, py: int) -> bytes:
    """Return Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) (GB/T 32918.2 §5.5)."""
    entl = len(uid) * 8
    if entl > 0xFFFF:
        raise ParameterError(detail="SM2 用户标识过长（最多 8191 字节）")
    return sm3(
        entl.to_bytes(2, "big")
        + uid
        + b"".join(_int_bytes(curve, v) for v in (curve.a, curve.b, curve.gx, curve.gy, px, py))
    )


def sm2_kdf(z: bytes, klen: int) -> bytes:
    """Return ``klen`` bytes of the SM3-based KDF of GB/T 32918.4 §5.4.3.

    Ha_i = SM3(Z ‖ ct) with a 32-bit big-endian counter ct starting at 1.
    """
    if klen < 0 or klen > _M32 * 32:
        raise ParameterError(detail="KDF 输出长度无效")
    blocks = [sm3(z + ct.to_bytes(4, "big")) for ct in range(1, (klen + 31) // 32 + 1)]
    return b"".join(blocks)[:klen]


# =============================================================================
# Provider
# =============================================================================


# The key classes of ``edubase.crypto.sm2`` satisfy these structurally. Naming
# them instead, even only for the type checker, would make this module depend on
# ``sm2`` and through it on the native provider, which the import contract
# "pure provider is independent of OpenSSL-backed code" forbids.
class _PublicKeyLike(Protocol):
    @property
    def x(self) -> int: ...

    @property
    def y(self) -> int: ...


class _PrivateKeyLike(Protocol):
    @property
    def d(self) -> int: ...

    def public_key(self) -> _PublicKeyLike: ...


class PureProvider(CryptoProvider):
    """Pure-Python provider; the test oracle for the native one.

    ``curve`` selects the SM2 curve (the example curve of GB/T 32918 for
    known-answer tests). ``nonce_source`` is a test-only seam returning the next
    ephemeral k for signing and encryption; by default k is drawn from
    :mod:`secrets`.
    """

    name = "pure"
    native = False

    def __init__(self, curve: Curve = SM2P256V1, nonce_source: Callable[[], int] | None = None) -> None:
        self.curve = curve
        self._nonce_source = nonce_source

    # -- SM3 ------------------------------------------------------------------
    def sm3(self, data: bytes) -> bytes:
        """SM3 digest (GB/T 32905)."""
        return sm3(data)

    def hmac_sm3(self, key: bytes, data: bytes) -> bytes:
        """HMAC-SM3 (RFC 2104)."""
        return hmac_sm3(key, data)

    def pbkdf2_hmac_sm3(self, password: bytes, salt: bytes, iterations: int, dklen: int) -> bytes:
        """PBKDF2-HMAC-SM3 (RFC 8018)."""
        return pbkdf2_hmac_sm3(password, salt, iterations, dklen)

    # -- SM4 ------------------------------------------------------------------
    def sm4_ecb_encrypt(self, key: bytes, data: bytes) -> bytes:
        """SM4-ECB encryption (GB/T 32907)."""
        return sm4_ecb_encrypt(key, data)

    def sm4_ecb_decrypt(self, key: bytes, data: bytes) -> bytes:
        """SM4-ECB decryption (GB/T 32907)."""
        return sm4_ecb_decrypt(key, data)

    def sm4_cbc_encrypt(self, key: bytes, iv: bytes, data: bytes) -> bytes:
        """SM4-CBC encryption (GB/T 32907)."""
        return sm4_cbc_encrypt(key, iv, data)

    def sm4_cbc_decrypt(self, key: bytes, iv: bytes, data: bytes) -> bytes:
        """SM4-CBC decryption (GB/T 32907)."""
        return sm4_cbc_decrypt(key, iv, data)

    def sm4_ctr(self, key: bytes, counter_block: bytes, data: bytes) -> bytes:
        """SM4-CTR keystream XOR (GB/T 32907, SP 800-38A)."""
        return sm4_ctr(key, counter_block, data)

    def sm4_gcm_encrypt(self, key: bytes, nonce: bytes, data: bytes, aad: bytes) -> tuple[bytes, bytes]:
        """SM4-GCM encryption (SP 800-38D, RFC 8998)."""
        return sm4_gcm_encrypt(key, nonce, data, aad)

    def sm4_gcm_decrypt(self, key: bytes, nonce: bytes, ciphertext: bytes, tag: bytes, aad: bytes) -> bytes:
        """SM4-GCM decryption (SP 800-38D, RFC 8998)."""
        return sm4_gcm_decrypt(key, nonce, ciphertext, tag, aad)

    # -- SM2 on raw integers (any curve) ----------------------------------------
    def _next_k(self) -> int:
        n = self.curve.n
        if self._nonce_source is None:
            return secrets.randbelow(n - 1) + 1
        k = self._nonce_source()
        if not 1 <= k <= n - 1:
            raise ParameterError(detail="注入的 SM2 随机数 k 超出 [1, n-1]")
        return k

    def _check_private(self, d: int) -> None:
        # d = n-1 would make (1 + d) non-invertible mod n (GB/T 32918.1 §6.1).
        if not 1 <= d <= self.curve.n - 2:
            raise InvalidKey(detail="SM2 私钥不在 [1, n-2] 范围内")

    def public_from_private_raw(self, d: int) -> tuple[int, int]:
        """Return P = dG on this provider's curve."""
        self._check_private(d)
        pt = base_mult(self.curve, d)
        if pt is None:  # pragma: no cover - impossible for d in [1, n-2]
            raise InvalidKey(detail="SM2 公钥为无穷远点")
        return pt

    def digest_for(self, px: int, py: int, message: bytes, uid: bytes) -> int:
        """Return e = SM3(Z_A ‖ M) as an integer (GB/T 32918.2 §6.1 steps A1-A2)."""
        return int.from_bytes(sm3(sm2_z(self.curve, uid, px, py) + message), "big")

    def sign_digest_raw(self, d: int, e: int) -> tuple[int, int]:
        """Sign the message digest ``e`` with private scalar ``d`` (GB/T 32918.2 §6.1 A3-A7)."""
        self._check_private(d)
        n = self.curve.n
        inv = pow(1 + d, -1, n)
        for _ in range(_MAX_NONCE_ATTEMPTS):
            k = self._next_k()
            pt = base_mult(self.curve, k)
            if pt is None:  # pragma: no cover - k in [1, n-1] never gives infinity
                continue
            r = (e + pt[0]) % n
            if r == 0 or r + k == n:
                continue
            s = inv * (k - r * d) % n
            if s == 0:
                continue
            return r, s
        raise CryptoError(detail="SM2 签名随机数多次被拒绝")

    def sign_raw(self, d: int, px: int, py: int, message: bytes, uid: bytes) -> tuple[int, int]:
        """Sign ``message`` under ``uid`` with ``d`` whose public key is (px, py)."""
        if not point_on_curve(self.curve, px, py):
            raise InvalidKey(detail="SM2 公钥不在曲线上")
        return self.sign_digest_raw(d, self.digest_for(px, py, message, uid))

    def verify_digest_raw(self, px: int, py: int, e: int, r: int, s: int) -> bool:
        """Verify (r, s) on digest ``e`` (GB/T 32918.2 §7.1 B1, B2, B5-B7); never raises."""
        curve = self.curve
        n = curve.n
        if not (1 <= r <= n - 1 and 1 <= s <= n - 1):
            return False
        if not point_on_curve(curve, px, py):
            return False
        t = (r + s) % n
        if t == 0:
            return False
        sum_pt = _to_affine(curve, _jac_add(curve, _base_mult_jac(curve, s), _mult_jac(curve, t, px, py)))
        if sum_pt is None:
            return False
        return (e + sum_pt[0]) % n == r

    def verify_raw(self, px: int, py: int, message: bytes, uid: bytes, r: int, s: int) -> bool:
        """Verify (r, s) for ``message`` and ``uid`` under public key (px, py); never raises for a bad signature."""
        if not point_on_curve(self.curve, px, py):
            return False
        return self.verify_digest_raw(px, py, self.digest_for(px, py, message, uid), r, s)

    def encrypt_raw(self, px: int, py: int, message: bytes) -> SM2CiphertextParts:
        """Encrypt to public key (px, py) (GB/T 32918.4 §6.1)."""
        curve = self.curve
        if not message:
            raise ParameterError(detail="SM2 不能加密空消息")
        if not point_on_curve(curve, px, py):
            raise InvalidKey(detail="SM2 公钥不在曲线上")
        for _ in range(_MAX_NONCE_ATTEMPTS):
            k = self._next_k()
            c1 = base_mult(curve, k)
            shared = scalar_mult(curve, k, px, py)
            if c1 is None or shared is None:  # pragma: no cover - cofactor 1, k in [1, n-1]
                continue
            x2 = _int_bytes(curve, shared[0])
            y2 = _int_bytes(curve, shared[1])
            t = sm2_kdf(x2 + y2, len(message))
            if not any(t):
                continue
            return SM2CiphertextParts(c1[0], c1[1], sm3(x2 + message + y2), _xor_bytes(message, t))
        raise CryptoError(detail="SM2 加密随机数多次被拒绝")

    def decrypt_raw(self, d: int, parts: SM2CiphertextParts) -> bytes:
        """Decrypt with private scalar ``d`` (GB/T 32918.4 §7.1); raise ``DecryptionError`` on any failure."""
        self._check_private(d)
        curve = self.curve
        if not point_on_curve(curve, parts.c1x, parts.c1y):
            raise DecryptionError(detail="C1 不在曲线上")
        if len(parts.c3) != 32 or not parts.c2:
            raise DecryptionError(detail="密文长度无效")
        shared = scalar_mult(curve, d, parts.c1x, parts.c1y)
        if shared is None:  # pragma: no cover - cofactor 1 and d < n
            raise DecryptionError(detail="C1 阶数异常")
        x2 = _int_bytes(curve, shared[0])
        y2 = _int_bytes(curve, shared[1])
        t = sm2_kdf(x2 + y2, len(parts.c2))
        if not any(t):
            raise DecryptionError(detail="KDF 输出全零")
        message = _xor_bytes(parts.c2, t)
        if not hmac.compare_digest(sm3(x2 + message + y2), parts.c3):
            raise DecryptionError(detail="C3 校验失败")
        return message

    # -- SM2 through key objects (CryptoProvider interface) -----------------------
    def sm2_generate(self) -> int:
        """Return a fresh d in [1, n-2] from :mod:`secrets`."""
        return secrets.randbelow(self.curve.n - 2) + 1

    def sm2_public_from_private(self, d: int) -> tuple[int, int]:
        """Return dG (GB/T 32918.1 §6.1)."""
        return self.public_from_private_raw(d)

    def sm2_sign(self, key: _PrivateKeyLike, message: bytes, uid: bytes) -> tuple[int, int]:
        """Sign with Z_A from ``uid`` and the key's public point (GB/T 32918.2)."""
        pub = key.public_key()
        return self.sign_raw(key.d, pub.x, pub.y, message, uid)

    def sm2_verify(self, key: _PublicKeyLike, message: bytes, uid: bytes, r: int, s: int) -> bool:
        """Verify (GB/T 32918.2); False for any invalid signature."""
        return self.verify_raw(key.x, key.y, message, uid, r, s)

    def sm2_encrypt(self, key: _PublicKeyLike, message: bytes) -> SM2CiphertextParts:
        """Encrypt (GB/T 32918.4)."""
        return self.encrypt_raw(key.x, key.y, message)

    def sm2_decrypt(self, key: _PrivateKeyLike, parts: SM2CiphertextParts) -> bytes:
        """Decrypt (GB/T 32918.4)."""
        return self.decrypt_raw(key.d, parts)
