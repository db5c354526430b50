"""Wire formats for SM2: keys (PKCS#8, SEC1, SubjectPublicKeyInfo in DER/PEM),
signatures (DER SEQUENCE{r, s} and raw r‖s) and ciphertexts (C1C3C2, legacy
C1C2C3, and the GM/T 0009 ASN.1 form that OpenSSL emits).

Keys use the algorithm id-ecPublicKey with the named curve sm2p256v1
(OID 1.2.156.10197.1.301), exactly as ``openssl genpkey -algorithm EC -pkeyopt
ec_paramgen_curve:SM2`` writes them, so ``openssl`` 3 reads what we write and back.
"""

from __future__ import annotations

import base64
import binascii
import re

from asn1crypto import core, keys

from edubase.crypto.curves import EC_PUBLIC_KEY_OID, SM2_CURVE_OID, SM2P256V1
from edubase.crypto.errors import DecryptionError, KeyFormatError, MalformedSignature, ParameterError

_CURVE = SM2P256V1
_SIZE = _CURVE.size

keys.NamedCurve.register("sm2p256v1", SM2_CURVE_OID, _SIZE)


class _DSSSig(core.Sequence):
    _fields = [("r", core.Integer), ("s", core.Integer)]


class _SM2Cipher(core.Sequence):
    """GM/T 0009-2012 SM2Cipher: x, y of C1, hash (C3), ciphertext (C2)."""

    _fields = [
        ("x", core.Integer),
        ("y", core.Integer),
        ("hash", core.OctetString),
        ("ciphertext", core.OctetString),
    ]


# --- signatures -----------------------------------------------------------------


def signature_to_der(r: int, s: int) -> bytes:
    """Encode (r, s) as DER SEQUENCE{INTEGER r, INTEGER s}."""
    return bytes(_DSSSig({"r": r, "s": s}).dump())


def signature_from_der(data: bytes) -> tuple[int, int]:
    """Decode a strict DER signature; raise ``MalformedSignature`` on anything else."""
    try:
        parsed = _DSSSig.load(bytes(data), strict=True)
        r, s = int(parsed["r"].native), int(parsed["s"].native)
    except (ValueError, TypeError, KeyError) as exc:
        raise MalformedSignature(detail="DER 解析失败") from exc
    if parsed.dump(force=True) != bytes(data):
        raise MalformedSignature(detail="不是规范的 DER 编码")
    _check_rs(r, s)
    return r, s


def signature_to_raw(r: int, s: int) -> bytes:
    """Encode (r, s) as 64 bytes r‖s."""
    return r.to_bytes(_SIZE, "big") + s.to_bytes(_SIZE, "big")


def signature_from_raw(data: bytes) -> tuple[int, int]:
    """Decode 64-byte r‖s; raise ``MalformedSignature`` on a wrong length."""
    if len(data) != 2 * _SIZE:
        raise MalformedSignature(detail=f"r‖s 签名应为 {2 * _SIZE} 字节，实际 {len(data)} 字节")
    r, s = int.from_bytes(data[:_SIZE], "big"), int.from_bytes(data[_SIZE:], "big")
    _check_rs(r, s)
    return r, s


def _check_rs(r: int, s: int) -> None:
    if not (1 <= r < _CURVE.n and 1 <= s < _CURVE.n):
        raise MalformedSignature(detail="r 或 s 超出取值范围")


# --- ciphertexts -----------------------------------------------------------------

ORDERS = ("c1c3c2", "c1c2c3")


def ciphertext_to_bytes(c1x: int, c1y: int, c3: bytes, c2: bytes, *, order: str = "c1c3c2") -> bytes:
    """Serialise as 04‖x‖y followed by C3‖C2 (GB/T 32918-2016) or C2‖C3 (legacy)."""
    c1 = b"\x04" + c1x.to_bytes(_SIZE, "big") + c1y.to_bytes(_SIZE, "big")
    if order == "c1c3c2":
        return c1 + c3 + c2
    if order == "c1c2c3":
        return c1 + c2 + c3
    raise ParameterError(detail=f"未知的密文顺序 {order!r}，应为 c1c3c2 或 c1c2c3")


def ciphertext_from_bytes(data: bytes, *, order: str = "c1c3c2") -> tuple[int, int, bytes, bytes]:
    """Parse a raw SM2 ciphertext into (C1.x, C1.y, C3, C2)."""
    if order not in ORDERS:
        raise ParameterError(detail=f"未知的密文顺序 {order!r}，应为 c1c3c2 或 c1c2c3")
    head = 1 + 2 * _SIZE
    if len(data) < head + 32 + 1 or data[0] != 0x04:
        raise DecryptionError(detail="密文过短或 C1 不是未压缩点")
    c1x = int.from_bytes(data[1 : 1 + _SIZE], "big")
    c1y = int.from_bytes(data[1 + _SIZE : head], "big")
    rest = data[head:]
    if order == "c1c3c2":
        return c1x, c1y, rest[:32], rest[32:]
    return c1x, c1y, rest[-32:], rest[:-32]


def ciphertext_to_der(c1x: int, c1y: int, c3: bytes, c2: bytes) -> bytes:
    """Encode as the GM/T 0009 ASN.1 SM2Cipher structure (what OpenSSL emits)."""
    return bytes(_SM2Cipher({"x": c1x, "y": c1y, "hash": c3, "ciphertext": c2}).dump())


def ciphertext_from_der(data: bytes) -> tuple[int, int, bytes, bytes]:
    """Decode a GM/T 0009 SM2Cipher structure."""
    try:
        parsed = _SM2Cipher.load(bytes(data), strict=True)
        x, y = int(parsed["x"].native), int(parsed["y"].native)
        c3, c2 = bytes(parsed["hash"].native), bytes(parsed["ciphertext"].native)
    except (ValueError, TypeError, KeyError) as exc:
        raise DecryptionError(detail="ASN.1 密文解析失败") from exc
    if len(c3) != 32 or not c2:
        raise DecryptionError(detail="密文结构长度错误")
    return x, y, c3, c2


# --- keys ------------------------------------------------------------------------

_PEM_RE = re.compile(rb"-----BEGIN ([A-Z ]+)-----\s*(.+?)\s*-----END \1-----", re.DOTALL)


def pem_decode(data: bytes) -> tuple[str, bytes]:
    """Return (label, DER) of the first PEM block; raise ``KeyFormatError`` if none."""
    match = _PEM_RE.search(data)
    if match is None:
        raise KeyFormatError(detail="不是 PEM 格式")
    body = match.group(2)
    if b"Proc-Type" in body:
        raise KeyFormatError(detail="不支持传统加密 PEM，请使用未加密 PKCS#8")
    try:
        der = base64.b64decode(b"".join(body.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError(detail="PEM Base64 内容损坏") from exc
    return match.group(1).decode("ascii"), der


def pem_encode(label: str, der: bytes) -> bytes:
    """Wrap DER in a PEM block with 64-character lines."""
    b64 = base64.b64encode(der)
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return (
        b"-----BEGIN " + label.encode() + b"-----\n" + b"\n".join(lines) + b"\n-----END " + label.encode() + b"-----\n"
    )


def _point(x: int, y: int) -> bytes:
    return b"\x04" + x.to_bytes(_SIZE, "big") + y.to_bytes(_SIZE, "big")


def parse_point(data: bytes) -> tuple[int, int]:
    """Parse an uncompressed point 04‖x‖y (compressed points are refused)."""
    if len(data) != 1 + 2 * _SIZE or data[0] != 0x04:
        raise KeyFormatError(detail="公钥点必须是 65 字节未压缩格式 04‖x‖y")
    return int.from_bytes(data[1 : 1 + _SIZE], "big"), int.from_bytes(data[1 + _SIZE :], "big")


def _sm2_algorithm() -> keys.PrivateKeyAlgorithm:
    return keys.PrivateKeyAlgorithm(
        {"algorithm": EC_PUBLIC_KEY_OID, "parameters": keys.ECDomainParameters(("named", SM2_CURVE_OID))}
    )


def private_key_to_der(d: int, x: int, y: int) -> bytes:
    """PKCS#8 PrivateKeyInfo (unencrypted) holding a SEC1 ECPrivateKey with its public key."""
    ec = keys.ECPrivateKey(
        {
            "version": "ecPrivkeyVer1",
            "private_key": d,
            "parameters": keys.ECDomainParameters(("named", SM2_CURVE_OID)),
            "public_key": _point(x, y),
        }
    )
    info = keys.PrivateKeyInfo({"version": 0, "private_key_algorithm": _sm2_algorithm(), "private_key": ec})
    return bytes(info.dump())


def public_key_to_der(x: int, y: int) -> bytes:
    """SubjectPublicKeyInfo with id-ecPublicKey and the sm2p256v1 curve."""
    info = keys.PublicKeyInfo(
        {
            "algorithm": keys.PublicKeyAlgorithm(
                {"algorithm": EC_PUBLIC_KEY_OID, "parameters": keys.ECDomainParameters(("named", SM2_CURVE_OID))}
            ),
            "public_key": _point(x, y),
        }
    )
    return bytes(info.dump())


def _check_curve(params: keys.ECDomainParameters | None) -> None:
    if params is None or params.name != "named" or params.chosen.dotted != SM2_CURVE_OID:
        raise KeyFormatError(detail="不是 SM2 曲线（1.2.156.10197.1.301）的密钥")


def private_key_from_der(der: bytes) -> tuple[int, tuple[int, int] | None]:
    """Parse PKCS#8 or SEC1 DER; return (d, public point or None if absent)."""
    ec: keys.ECPrivateKey
    try:
        try:
            info = keys.PrivateKeyInfo.load(der, strict=True)
            algo = info["private_key_algorithm"]
            if algo["algorithm"].dotted != EC_PUBLIC_KEY_OID:
                raise KeyFormatError(detail=f"密钥类型为 {algo['algorithm'].native}，不是 SM2/EC 密钥")
            _check_curve(algo["parameters"])
            ec = info["private_key"].parsed
        except KeyFormatError:
            raise
        except (ValueError, TypeError):
            ec = keys.ECPrivateKey.load(der, strict=True)
            params = ec["parameters"]
            if params.native is not None:
                _check_curve(params)
        d = int.from_bytes(ec["private_key"].contents.lstrip(b"\x00") or b"\x00", "big")
        pub_raw = ec["public_key"]
        pub = parse_point(bytes(pub_raw.native)) if pub_raw.native is not None else None
    except KeyFormatError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise KeyFormatError(detail="私钥 DER 结构损坏") from exc
    if not 1 <= d <= _CURVE.n - 2:
        raise KeyFormatError(detail="私钥 d 超出 [1, n-2]")
    return d, pub


def public_key_from_der(der: bytes) -> tuple[int, int]:
    """Parse SubjectPublicKeyInfo DER with an SM2 public key."""
    try:
        info = keys.PublicKeyInfo.load(der, strict=True)
        algo = info["algorithm"]
        if algo["algorithm"].dotted != EC_PUBLIC_KEY_OID:
            raise KeyFormatError(detail=f"公钥类型为 {algo['algorithm'].native}，不是 SM2/EC 公钥")
        _check_curve(algo["parameters"])
        return parse_point(bytes(info["public_key"].native))
    except KeyFormatError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise KeyFormatError(detail="公钥 DER 结构损坏") from exc
