"""Electronic certificate identifiers (电子证照标识) after GB/T 36904-2018.

Text form::

    1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check>

- ``1.2.156.3005.2`` is the fixed root (证照根代码).
- type code (证照类型代码): the 18-character unified social credit code (统一社会信用代码, GB 32100)
  of the authority that defines the certificate type, followed by a type suffix of 1–8 characters
  ``[0-9A-Z]`` (e.g. ``91410000MA00000000`` + ``001``).
- issuer code (颁证单位代码): the issuer's 18-character unified social credit code; its GB 32100
  MOD 31 check character is validated.
- serial (顺序号): 1–32 characters ``[0-9A-Z]``, unique per issuer and type.
- version (版本号): a positive decimal integer (no leading zeros) so that the text form is canonical.
- check (校验位): ISO/IEC 7064 MOD 37,36 (GB/T 17710) over every character before it, the dots left
  out (the MOD 37,36 alphabet is ``0-9A-Z`` only; the dots carry no information because every field
  but the serial has a fixed shape and the serial/version split is fixed by position).

This module is pure Python (no Django): the verifier, the CLI and the issuing service share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROOT = "1.2.156.3005.2"

_ALNUM36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ALNUM36_VALUE = {c: i for i, c in enumerate(_ALNUM36)}

# GB 32100-2015: the code alphabet leaves out I, O, S, V and Z (31 characters).
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")

_SUFFIX_RE = re.compile(r"^[0-9A-Z]{1,8}$")
_SERIAL_RE = re.compile(r"^[0-9A-Z]{1,32}$")
_VERSION_RE = re.compile(r"^[1-9][0-9]{0,8}$")
MAX_IDENTIFIER_LENGTH = 128


class IdentifierError(ValueError):
    """A GB/T 36904 identifier or one of its parts is malformed.

    ``code`` is a stable English reason for logs and reports; ``message_zh`` / ``message_en`` are
    shown to people.
    """

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} ({message_en})")


def check_character(body: str) -> str:
    """ISO/IEC 7064 MOD 37,36 (hybrid system, alphabet ``0-9A-Z``) check character of ``body``.

    Dots are ignored (see the module docstring); any other character outside ``0-9A-Z`` is refused.
    Lower-case letters are refused too: identifiers are upper case so that their text form is unique.
    """
    modulus = 36
    product = modulus
    seen = False
    for char in body:
        if char == ".":
            continue
        value = _ALNUM36_VALUE.get(char)
        if value is None:
            raise IdentifierError(
                "bad_character",
                f"电子证照标识含有不允许的字符 {char!r}",
                f"identifier contains a character that is not allowed: {char!r}",
            )
        seen = True
        total = (product + value) % modulus or modulus
        product = (total * 2) % (modulus + 1)
    if not seen:
        raise IdentifierError("empty", "电子证照标识为空", "identifier is empty")
    return _ALNUM36[(modulus + 1 - product) % modulus]


def uscc_check_character(first17: str) -> str:
    """GB 32100 check character (MOD 31 with the standard weights) of a unified social credit code's
    first 17 characters."""
    if len(first17) != 17 or any(c not in _USCC_VALUE for c in first17):
        raise IdentifierError(
            "bad_uscc",
            "统一社会信用代码前 17 位格式不正确",
            "the first 17 characters of the unified social credit code are malformed",
        )
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str, *, what_zh: str = "统一社会信用代码", what_en: str = "unified social credit code") -> None:
    """Raise ``IdentifierError`` unless ``code`` is an 18-character USCC with a correct check character."""
    if not _USCC_RE.match(code):
        raise IdentifierError("bad_uscc", f"{what_zh}格式不正确：{code!r}", f"{what_en} is malformed: {code!r}")
    if uscc_check_character(code[:17]) != code[17]:
        raise IdentifierError(
            "bad_uscc_check", f"{what_zh}校验位错误：{code}", f"{what_en} check character is wrong: {code}"
        )


def _validate_type_code(type_code: str) -> None:
    if len(type_code) < 19:
        raise IdentifierError(
            "bad_type_code",
            "证照类型代码应为 18 位统一社会信用代码加类型后缀",
            "type code must be an 18-character unified social credit code plus a type suffix",
        )
    validate_uscc(
        type_code[:18], what_zh="证照类型代码中的统一社会信用代码", what_en="type code's unified social credit code"
    )
    if not _SUFFIX_RE.match(type_code[18:]):
        raise IdentifierError(
            "bad_type_code",
            "证照类型后缀应为 1 到 8 位数字或大写字母",
            "type suffix must be 1 to 8 digits or upper-case letters",
        )


def _validate_parts(type_code: str, issuer_code: str, serial: str, version_text: str) -> None:
    _validate_type_code(type_code)
    validate_uscc(issuer_code, what_zh="颁证单位代码", what_en="issuer code")
    if not _SERIAL_RE.match(serial):
        raise IdentifierError(
            "bad_serial", "顺序号应为 1 到 32 位数字或大写字母", "serial must be 1 to 32 digits or upper-case letters"
        )
    if not _VERSION_RE.match(version_text):
        raise IdentifierError(
            "bad_version", "版本号应为不以 0 开头的正整数", "version must be a positive integer without leading zeros"
        )


@dataclass(frozen=True)
class CertificateIdentifier:
    """A parsed GB/T 36904 identifier (电子证照标识); ``str()`` gives the full text form."""

    type_code: str
    issuer_code: str
    serial: str
    version: int
    check: str

    @property
    def body(self) -> str:
        """Everything before the check character, without the trailing dot."""
        return f"{ROOT}.{self.type_code}.{self.issuer_code}.{self.serial}.{self.version}"

    @property
    def type_suffix(self) -> str:
        """The type suffix after the defining authority's 18-character code."""
        return self.type_code[18:]

    def __str__(self) -> str:
        return f"{self.body}.{self.check}"


def make_identifier(*, type_code: str, issuer_code: str, serial: str, version: int) -> str:
    """Build the identifier text, validating every part and appending the check character."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise IdentifierError("bad_version", "版本号应为正整数", "version must be a positive integer")
    version_text = str(version)
    _validate_parts(type_code, issuer_code, serial, version_text)
    body = f"{ROOT}.{type_code}.{issuer_code}.{serial}.{version_text}"
    return f"{body}.{check_character(body)}"


def parse_identifier(text: str) -> CertificateIdentifier:
    """Parse and validate an identifier; raise ``IdentifierError`` naming the first fault found."""
    if not isinstance(text, str):
        raise IdentifierError("not_text", "电子证照标识必须是文本", "identifier must be text")
    if len(text) > MAX_IDENTIFIER_LENGTH:
        raise IdentifierError("too_long", "电子证照标识过长", "identifier is too long")
    if not text.startswith(ROOT + "."):
        raise IdentifierError(
            "bad_root", f"电子证照标识应以 {ROOT} 开头", f"identifier must start with the root {ROOT}"
        )
    parts = text[len(ROOT) + 1 :].split(".")
    if len(parts) != 5:
        raise IdentifierError(
            "bad_structure",
            "电子证照标识应由根代码、类型代码、颁证单位代码、顺序号、版本号和校验位组成",
            "identifier must consist of root, type code, issuer code, serial, version and check character",
        )
    type_code, issuer_code, serial, version_text, check = parts
    _validate_parts(type_code, issuer_code, serial, version_text)
    if len(check) != 1 or check not in _ALNUM36_VALUE:
        raise IdentifierError(
            "bad_check", "校验位应为一位数字或大写字母", "check character must be one digit or upper-case letter"
        )
    body = text[: -len(check) - 1]
    expected = check_character(body)
    if expected != check:
        raise IdentifierError(
            "check_mismatch",
            "电子证照标识校验位不正确（标识可能被篡改或抄错）",
            "identifier check character does not match (altered or mistyped)",
        )
    return CertificateIdentifier(type_code, issuer_code, serial, int(version_text), check)
