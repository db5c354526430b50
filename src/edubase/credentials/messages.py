"""Bilingual labels and fixed texts of the verification report (核验报告).

Check codes, in the order the verifier runs them; the web page, the CLI and the API show the same
labels. Reason texts live next to the code that raises them (verify.py, jose.py, identifiers.py).
"""

from __future__ import annotations

CHECK_ORDER: tuple[str, ...] = ("format", "issuer", "signature", "status", "validity")

CHECK_LABELS: dict[str, tuple[str, str]] = {
    "format": ("格式", "Format"),
    "issuer": ("签发单位", "Issuer"),
    "signature": ("签名", "Signature"),
    "status": ("状态", "Status"),
    "validity": ("有效期", "Validity period"),
    "document": ("打印件文字", "Printed text"),
}

NOT_REACHED = ("前一项检查未通过，本项未执行", "Not performed: an earlier check failed")
OFFLINE_STATUS = (
    "离线核验：未联网查询撤销/暂扣状态，请在联网后复核",
    "Offline verification: revocation/suspension status was not checked; re-check when online",
)
VALID = ("证书有效", "The certificate is valid")
INVALID = ("证书无效", "The certificate is NOT valid")
VALID_OFFLINE = (
    "离线核验通过（未检查撤销状态）",
    "Valid offline (revocation status not checked)",
)


def label(code: str) -> tuple[str, str]:
    """The (Chinese, English) label of a check code."""
    return CHECK_LABELS.get(code, (code, code))
