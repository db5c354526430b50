"""Minimal ctypes binding to the system OpenSSL 3 ``libcrypto`` for SM2.

Only what the native provider needs: building SM2 ``EVP_PKEY`` objects from
integers, key generation, public-key derivation, sign/verify with a
distinguishing ID and SM3, and encrypt/decrypt in the GM/T 0009 ASN.1 form.

Rules kept throughout:

* every foreign function has ``argtypes``/``restype`` declared, so ctypes never
  guesses an ``int`` for a pointer;
* every return code is checked; a failure drains the (thread-local) OpenSSL
  error queue into the exception detail, so no stale error leaks into a later
  call;
* every object allocated in a call is released in ``finally``; the only
  long-lived native objects are ``EVP_PKEY`` keys owned by :class:`PKey`, the
  SM3 ``EVP_MD`` and the SM2 ``EC_GROUP`` (both read-only after loading);
* no mutable native context is shared between calls, so the functions are
  thread-safe; ctypes releases the GIL for the duration of each foreign call.

Importing this module never raises: if the library is missing, too old or built
without SM2/SM3, :data:`load_error` says why and :func:`available` returns
``(False, reason)``.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import sys
from typing import Any, NoReturn

from edubase.crypto.errors import CryptoError, DecryptionError, InvalidKey, ParameterError

__all__ = [
    "PKey",
    "available",
    "decrypt",
    "encrypt",
    "generate_private",
    "load_error",
    "load_private_key",
    "load_public_key",
    "public_from_private",
    "sign",
    "verify",
    "version",
]

_P = ctypes.c_void_p
_PP = ctypes.POINTER(ctypes.c_void_p)
_S = ctypes.c_char_p
_I = ctypes.c_int
_U = ctypes.c_uint
_SZ = ctypes.c_size_t
_PSZ = ctypes.POINTER(ctypes.c_size_t)
_UL = ctypes.c_ulong
_L = ctypes.c_long

# EVP_PKEY_fromdata selections (include/openssl/evp.h)
_EVP_PKEY_PUBLIC_KEY = 0x86
_EVP_PKEY_KEYPAIR = 0x87
# OSSL_PARAM data types (include/openssl/core.h)
_OSSL_PARAM_UNSIGNED_INTEGER = 2
_OSSL_PARAM_UTF8_STRING = 4
_OSSL_PARAM_OCTET_STRING = 5
_OSSL_PARAM_UNMODIFIED = ctypes.c_size_t(-1).value
# crypto/objects: NID_sm2; point_conversion_form_t POINT_CONVERSION_UNCOMPRESSED
_NID_SM2 = 1172
_POINT_CONVERSION_UNCOMPRESSED = 4
_OPENSSL_VERSION_3 = 0x30000000

_FIELD_BYTES = 32
_MAX_SM2_SIG_DER = 80  # SEQUENCE{INTEGER r, INTEGER s}: at most 72 bytes
_MAX_UID = 8191  # ENTL_A is the ID length in *bits* on 16 bits

# name: (restype, argtypes)
_SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "OpenSSL_version_num": (_UL, []),
    "OpenSSL_version": (_S, [_I]),
    "ERR_get_error": (_UL, []),
    "ERR_error_string_n": (None, [_UL, _S, _SZ]),
    "ERR_clear_error": (None, []),
    "EVP_sm3": (_P, []),
    "EVP_MD_CTX_new": (_P, []),
    "EVP_MD_CTX_free": (None, [_P]),
    "EVP_MD_CTX_set_pkey_ctx": (None, [_P, _P]),
    "EVP_PKEY_free": (None, [_P]),
    "EVP_PKEY_is_a": (_I, [_P, _S]),
    "EVP_PKEY_CTX_new": (_P, [_P, _P]),
    "EVP_PKEY_CTX_new_from_name": (_P, [_P, _S, _S]),
    "EVP_PKEY_CTX_free": (None, [_P]),
    "EVP_PKEY_CTX_set1_id": (_I, [_P, _S, _I]),
    "EVP_PKEY_fromdata_init": (_I, [_P]),
    "EVP_PKEY_fromdata": (_I, [_P, _PP, _I, _P]),
    "EVP_PKEY_pairwise_check": (_I, [_P]),
    "EVP_PKEY_keygen_init": (_I, [_P]),
    "EVP_PKEY_generate": (_I, [_P, _PP]),
    "EVP_PKEY_get_bn_param": (_I, [_P, _S, _PP]),
    "EVP_PKEY_get_octet_string_param": (_I, [_P, _S, _S, _SZ, _PSZ]),
    "EVP_DigestSignInit": (_I, [_P, _PP, _P, _P, _P]),
    "EVP_DigestSign": (_I, [_P, _S, _PSZ, _S, _SZ]),
    "EVP_DigestVerifyInit": (_I, [_P, _PP, _P, _P, _P]),
    "EVP_DigestVerify": (_I, [_P, _S, _SZ, _S, _SZ]),
    "EVP_PKEY_encrypt_init": (_I, [_P]),
    "EVP_PKEY_encrypt": (_I, [_P, _S, _PSZ, _S, _SZ]),
    "EVP_PKEY_decrypt_init": (_I, [_P]),
    "EVP_PKEY_decrypt": (_I, [_P, _S, _PSZ, _S, _SZ]),
    "BN_bin2bn": (_P, [_S, _I, _P]),
    "BN_bn2binpad": (_I, [_P, _S, _I]),
    "BN_clear_free": (None, [_P]),
    # Low-level EC (deprecated in 3.0 but exported by every 3.x libcrypto):
    # the only way to compute dG without the ~370 µs decoder round trip.
    "EC_GROUP_new_by_curve_name": (_P, [_I]),
    "EC_GROUP_free": (None, [_P]),
    "EC_POINT_new": (_P, [_P]),
    "EC_POINT_free": (None, [_P]),
    "EC_POINT_mul": (_I, [_P, _P, _P, _P, _P, _P]),
    "EC_POINT_point2oct": (_SZ, [_P, _P, _I, _S, _SZ, _P]),
}


class _OSSLParam(ctypes.Structure):
    """``struct ossl_param_st`` of include/openssl/core.h."""

    _fields_ = [
        ("key", ctypes.c_char_p),
        ("data_type", ctypes.c_uint),
        ("data", ctypes.c_void_p),
        ("data_size", ctypes.c_size_t),
        ("return_size", ctypes.c_size_t),
    ]


_lib: Any = None
_md_sm3: int | None = None
_sm2_group: int | None = None
_library_path: str = ""
load_error: str | None = None


def _candidates() -> list[str]:
    names = ["libcrypto.so.3", "libcrypto.3.dylib"]
    found = ctypes.util.find_library("crypto")
    if found and found not in names:
        names.append(found)
    return names


def _load() -> None:
    """Locate libcrypto, declare prototypes and check that SM2/SM3 work."""
    global _lib, _md_sm3, _sm2_group, _library_path, load_error
    reasons: list[str] = []
    lib: Any = None
    for name in _candidates():
        try:
            candidate = ctypes.CDLL(name)
        except OSError as exc:
            reasons.append(f"{name}: {exc}")
            continue
        try:
            ver = candidate.OpenSSL_version_num
        except AttributeError:
            reasons.append(f"{name}: not OpenSSL ≥ 1.1 (no OpenSSL_version_num)")
            continue
        ver.restype = _UL
        ver.argtypes = []
        if ver() < _OPENSSL_VERSION_3:
            reasons.append(f"{name}: OpenSSL {ver():#x} is older than 3.0")
            continue
        lib = candidate
        _library_path = name
        break
    if lib is None:
        load_error = (
            "no usable OpenSSL 3 libcrypto found (" + "; ".join(reasons or ["find_library found nothing"]) + ")"
        )
        return
    missing = [fn for fn in _SIGNATURES if not hasattr(lib, fn)]
    if missing:
        load_error = f"{_library_path} lacks {', '.join(missing)}"
        return
    for fn, (restype, argtypes) in _SIGNATURES.items():
        func = getattr(lib, fn)
        func.restype = restype
        func.argtypes = argtypes
    md = lib.EVP_sm3()
    if not md:
        lib.ERR_clear_error()
        load_error = f"{_library_path} was built without SM3"
        return
    ctx = lib.EVP_PKEY_CTX_new_from_name(None, b"SM2", None)
    if not ctx:
        lib.ERR_clear_error()
        load_error = f"{_library_path} has no SM2 key management (built with no-sm2 or FIPS-only provider)"
        return
    lib.EVP_PKEY_CTX_free(ctx)
    group = lib.EC_GROUP_new_by_curve_name(_NID_SM2)
    if not group:
        lib.ERR_clear_error()
        load_error = f"{_library_path} does not know the curve SM2"
        return
    _lib, _md_sm3, _sm2_group = lib, md, group


_load()


def available() -> tuple[bool, str]:
    """Return ``(True, version)`` when usable, else ``(False, reason)``."""
    if _lib is None:
        return False, load_error or "libcrypto not loaded"
    return True, version()


def version() -> str:
    """OpenSSL version string of the loaded library, e.g. ``OpenSSL 3.0.19 27 Jan 2026``."""
    if _lib is None:
        return ""
    raw: bytes | None = _lib.OpenSSL_version(0)
    return raw.decode("ascii", "replace") if raw else ""


def _require() -> Any:
    if _lib is None:
        from edubase.crypto.errors import ProviderUnavailable

        raise ProviderUnavailable(detail=load_error or "libcrypto not loaded")
    return _lib


def _drain_errors() -> str:
    """Pop the thread's OpenSSL error queue into a string (and leave it empty)."""
    lib = _lib
    if lib is None:
        return ""
    parts: list[str] = []
    buf = ctypes.create_string_buffer(256)
    for _ in range(32):
        code = lib.ERR_get_error()
        if not code:
            break
        lib.ERR_error_string_n(code, buf, 256)
        parts.append(buf.value.decode("ascii", "replace"))
    lib.ERR_clear_error()
    return "; ".join(parts)


def _fail(exc_type: type[CryptoError], what: str) -> NoReturn:
    detail = _drain_errors()
    raise exc_type(detail=f"{what}: {detail}" if detail else what)


class PKey:
    """Owner of one SM2 ``EVP_PKEY``; frees it when garbage-collected.

    Shared read-only between threads: every operation makes its own contexts.
    """

    __slots__ = ("_free", "has_private", "ptr")

    def __init__(self, ptr: int, *, has_private: bool) -> None:
        self.ptr: int | None = ptr
        self.has_private = has_private
        # Keep a reference so that freeing still works during interpreter shutdown.
        self._free: Any = _lib.EVP_PKEY_free

    def close(self) -> None:
        """Free the native key now (idempotent)."""
        ptr, self.ptr = self.ptr, None
        if ptr:
            self._free(ptr)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # never raise from a finaliser
            self.close()

    def __repr__(self) -> str:
        kind = "private" if self.has_private else "public"
        return f"<PKey SM2 {kind} {'freed' if not self.ptr else hex(self.ptr)}>"


def _point_bytes(x: int, y: int) -> bytes:
    try:
        return b"\x04" + x.to_bytes(_FIELD_BYTES, "big") + y.to_bytes(_FIELD_BYTES, "big")
    except (OverflowError, AttributeError) as exc:
        raise InvalidKey(detail="public key coordinate out of range") from exc


def _fromdata(params: ctypes.Array[_OSSLParam], selection: int, what: str) -> int:
    lib = _lib
    ctx = lib.EVP_PKEY_CTX_new_from_name(None, b"SM2", None)
    pkey = ctypes.c_void_p()
    try:
        if not ctx:
            _fail(InvalidKey, f"{what}: EVP_PKEY_CTX_new_from_name")
        if lib.EVP_PKEY_fromdata_init(ctx) != 1:
            _fail(InvalidKey, f"{what}: EVP_PKEY_fromdata_init")
        if lib.EVP_PKEY_fromdata(ctx, ctypes.byref(pkey), selection, params) != 1 or not pkey.value:
            _fail(InvalidKey, f"{what}: EVP_PKEY_fromdata")
        if lib.EVP_PKEY_is_a(pkey.value, b"SM2") != 1:
            lib.EVP_PKEY_free(pkey.value)
            _fail(InvalidKey, f"{what}: OpenSSL did not build an SM2 key")
        return int(pkey.value)
    finally:
        lib.EVP_PKEY_CTX_free(ctx)


def load_public_key(x: int, y: int) -> PKey:
    """Build an SM2 public key; OpenSSL rejects points that are not on the curve."""
    _require()
    point = _point_bytes(x, y)
    group = ctypes.create_string_buffer(b"SM2", 3)
    pub = ctypes.create_string_buffer(point, len(point))
    params = (_OSSLParam * 3)(
        _OSSLParam(b"group", _OSSL_PARAM_UTF8_STRING, ctypes.cast(group, _P), 3, _OSSL_PARAM_UNMODIFIED),
        _OSSLParam(b"pub", _OSSL_PARAM_OCTET_STRING, ctypes.cast(pub, _P), len(point), _OSSL_PARAM_UNMODIFIED),
        _OSSLParam(None, 0, None, 0, 0),
    )
    return PKey(_fromdata(params, _EVP_PKEY_PUBLIC_KEY, "SM2 public key"), has_private=False)


def load_private_key(d: int, x: int, y: int, *, check: bool = True) -> PKey:
    """Build an SM2 key pair from d and its public point (x, y).

    With ``check`` (default) OpenSSL verifies that (x, y) = dG and that d is in
    range (``EVP_PKEY_pairwise_check``), once per key.
    """
    lib = _require()
    point = _point_bytes(x, y)
    try:
        priv_le = d.to_bytes(_FIELD_BYTES, sys.byteorder)  # OSSL_PARAM integers are native-endian
    except (OverflowError, AttributeError) as exc:
        raise InvalidKey(detail="private scalar out of range") from exc
    group = ctypes.create_string_buffer(b"SM2", 3)
    pub = ctypes.create_string_buffer(point, len(point))
    priv = ctypes.create_string_buffer(priv_le, _FIELD_BYTES)
    try:
        params = (_OSSLParam * 4)(
            _OSSLParam(b"group", _OSSL_PARAM_UTF8_STRING, ctypes.cast(group, _P), 3, _OSSL_PARAM_UNMODIFIED),
            _OSSLParam(b"pub", _OSSL_PARAM_OCTET_STRING, ctypes.cast(pub, _P), len(point), _OSSL_PARAM_UNMODIFIED),
            _OSSLParam(
                b"priv", _OSSL_PARAM_UNSIGNED_INTEGER, ctypes.cast(priv, _P), _FIELD_BYTES, _OSSL_PARAM_UNMODIFIED
            ),
            _OSSLParam(None, 0, None, 0, 0),
        )
        handle = PKey(_fromdata(params, _EVP_PKEY_KEYPAIR, "SM2 private key"), has_private=True)
    finally:
        ctypes.memset(priv, 0, _FIELD_BYTES)
    if check:
        ctx = lib.EVP_PKEY_CTX_new(handle.ptr, None)
        try:
            if not ctx:
                _fail(InvalidKey, "EVP_PKEY_CTX_new")
            if lib.EVP_PKEY_pairwise_check(ctx) != 1:
                handle.close()
                _fail(InvalidKey, "public key does not match the private scalar")
        finally:
            lib.EVP_PKEY_CTX_free(ctx)
    return handle


def public_from_private(d: int) -> bytes:
    """Return the uncompressed point ``04‖x‖y`` of dG (constant-time ladder in libcrypto)."""
    lib = _require()
    try:
        scalar = d.to_bytes(_FIELD_BYTES, "big")
    except (OverflowError, AttributeError) as exc:
        raise InvalidKey(detail="private scalar out of range") from exc
    bn = lib.BN_bin2bn(scalar, _FIELD_BYTES, None)
    point = lib.EC_POINT_new(_sm2_group)
    try:
        if not bn or not point:
            _fail(CryptoError, "BN_bin2bn/EC_POINT_new")
        if lib.EC_POINT_mul(_sm2_group, point, bn, None, None, None) != 1:
            _fail(InvalidKey, "EC_POINT_mul")
        out = ctypes.create_string_buffer(1 + 2 * _FIELD_BYTES)
        n = lib.EC_POINT_point2oct(_sm2_group, point, _POINT_CONVERSION_UNCOMPRESSED, out, len(out), None)
        if n != 1 + 2 * _FIELD_BYTES:
            _fail(InvalidKey, "EC_POINT_point2oct (point at infinity?)")
        return out.raw
    finally:
        lib.EC_POINT_free(point)
        lib.BN_clear_free(bn)


def generate_private() -> int:
    """Generate an SM2 key with OpenSSL's DRBG and return its private scalar d."""
    lib = _require()
    ctx = lib.EVP_PKEY_CTX_new_from_name(None, b"SM2", None)
    pkey = ctypes.c_void_p()
    bn = ctypes.c_void_p()
    buf = ctypes.create_string_buffer(_FIELD_BYTES)
    try:
        if not ctx:
            _fail(CryptoError, "EVP_PKEY_CTX_new_from_name(SM2)")
        if lib.EVP_PKEY_keygen_init(ctx) != 1:
            _fail(CryptoError, "EVP_PKEY_keygen_init")
        if lib.EVP_PKEY_generate(ctx, ctypes.byref(pkey)) != 1 or not pkey.value:
            _fail(CryptoError, "EVP_PKEY_generate")
        if lib.EVP_PKEY_get_bn_param(pkey, b"priv", ctypes.byref(bn)) != 1 or not bn.value:
            _fail(CryptoError, "EVP_PKEY_get_bn_param(priv)")
        if lib.BN_bn2binpad(bn, buf, _FIELD_BYTES) != _FIELD_BYTES:
            _fail(CryptoError, "BN_bn2binpad")
        return int.from_bytes(buf.raw, "big")
    finally:
        ctypes.memset(buf, 0, _FIELD_BYTES)
        if bn.value:
            lib.BN_clear_free(bn)
        if pkey.value:
            lib.EVP_PKEY_free(pkey)
        lib.EVP_PKEY_CTX_free(ctx)


def _uid_too_long() -> NoReturn:
    raise ParameterError(detail=f"SM2 distinguishing ID longer than {_MAX_UID} bytes")


def sign(key: PKey, message: bytes, uid: bytes) -> bytes:
    """Sign ``message`` with SM2/SM3 and ``uid`` in Z_A; return the DER signature."""
    if not key.has_private:
        raise InvalidKey(detail="signing needs a private key")
    if len(uid) > _MAX_UID:
        _uid_too_long()
    if type(message) is not bytes:
        message = bytes(message)
    if type(uid) is not bytes:
        uid = bytes(uid)
    lib = _lib
    mctx = lib.EVP_MD_CTX_new()
    pctx = lib.EVP_PKEY_CTX_new(key.ptr, None)
    try:
        if not mctx or not pctx:
            _fail(CryptoError, "EVP_MD_CTX_new/EVP_PKEY_CTX_new")
        if lib.EVP_PKEY_CTX_set1_id(pctx, uid, len(uid)) <= 0:
            _fail(CryptoError, "EVP_PKEY_CTX_set1_id")
        lib.EVP_MD_CTX_set_pkey_ctx(mctx, pctx)
        if lib.EVP_DigestSignInit(mctx, None, _md_sm3, None, key.ptr) != 1:
            _fail(CryptoError, "EVP_DigestSignInit")
        sig = ctypes.create_string_buffer(_MAX_SM2_SIG_DER)
        siglen = ctypes.c_size_t(_MAX_SM2_SIG_DER)
        if lib.EVP_DigestSign(mctx, sig, ctypes.byref(siglen), message, len(message)) != 1:
            _fail(CryptoError, "EVP_DigestSign")
        return sig.raw[: siglen.value]
    finally:
        # EVP_MD_CTX_set_pkey_ctx marks pctx as caller-owned: free both, mctx first.
        lib.EVP_MD_CTX_free(mctx)
        lib.EVP_PKEY_CTX_free(pctx)


def verify(key: PKey, message: bytes, uid: bytes, der: bytes) -> bool:
    """Return True only if ``der`` is a valid SM2/SM3 signature; False for anything else."""
    if len(uid) > _MAX_UID:
        _uid_too_long()
    if type(message) is not bytes:
        message = bytes(message)
    if type(uid) is not bytes:
        uid = bytes(uid)
    if type(der) is not bytes:
        der = bytes(der)
    lib = _lib
    mctx = lib.EVP_MD_CTX_new()
    pctx = lib.EVP_PKEY_CTX_new(key.ptr, None)
    try:
        if not mctx or not pctx:
            _fail(CryptoError, "EVP_MD_CTX_new/EVP_PKEY_CTX_new")
        if lib.EVP_PKEY_CTX_set1_id(pctx, uid, len(uid)) <= 0:
            _fail(CryptoError, "EVP_PKEY_CTX_set1_id")
        lib.EVP_MD_CTX_set_pkey_ctx(mctx, pctx)
        if lib.EVP_DigestVerifyInit(mctx, None, _md_sm3, None, key.ptr) != 1:
            _fail(CryptoError, "EVP_DigestVerifyInit")
        if lib.EVP_DigestVerify(mctx, der, len(der), message, len(message)) == 1:
            return True
        lib.ERR_clear_error()
        return False
    finally:
        lib.EVP_MD_CTX_free(mctx)
        lib.EVP_PKEY_CTX_free(pctx)


def encrypt(key: PKey, message: bytes) -> bytes:
    """SM2-encrypt ``message``; return the GM/T 0009 DER ``SEQUENCE{x, y, C3, C2}``."""
    if type(message) is not bytes:
        message = bytes(message)
    lib = _lib
    ctx = lib.EVP_PKEY_CTX_new(key.ptr, None)
    try:
        if not ctx:
            _fail(CryptoError, "EVP_PKEY_CTX_new")
        if lib.EVP_PKEY_encrypt_init(ctx) != 1:
            _fail(CryptoError, "EVP_PKEY_encrypt_init")
        outlen = ctypes.c_size_t(0)
        if lib.EVP_PKEY_encrypt(ctx, None, ctypes.byref(outlen), message, len(message)) != 1:
            _fail(CryptoError, "EVP_PKEY_encrypt (size)")
        out = ctypes.create_string_buffer(outlen.value)
        if lib.EVP_PKEY_encrypt(ctx, out, ctypes.byref(outlen), message, len(message)) != 1:
            _fail(CryptoError, "EVP_PKEY_encrypt")
        return out.raw[: outlen.value]
    finally:
        lib.EVP_PKEY_CTX_free(ctx)


def decrypt(key: PKey, der: bytes) -> bytes:
    """Decrypt a GM/T 0009 DER ciphertext; ``DecryptionError`` on any failure."""
    if not key.has_private:
        raise InvalidKey(detail="decryption needs a private key")
    if type(der) is not bytes:
        der = bytes(der)
    lib = _lib
    ctx = lib.EVP_PKEY_CTX_new(key.ptr, None)
    try:
        if not ctx:
            _fail(CryptoError, "EVP_PKEY_CTX_new")
        if lib.EVP_PKEY_decrypt_init(ctx) != 1:
            _fail(CryptoError, "EVP_PKEY_decrypt_init")
        # The plaintext is shorter than its DER ciphertext, so len(der) always suffices.
        outlen = ctypes.c_size_t(len(der))
        out = ctypes.create_string_buffer(len(der))
        if lib.EVP_PKEY_decrypt(ctx, out, ctypes.byref(outlen), der, len(der)) != 1:
            _fail(DecryptionError, "EVP_PKEY_decrypt")
        result = out.raw[: outlen.value]
        ctypes.memset(out, 0, len(der))
        return result
    finally:
        lib.EVP_PKEY_CTX_free(ctx)
