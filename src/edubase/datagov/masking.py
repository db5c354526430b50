"""Chinese-aware masking (脱敏) and keyed pseudonyms (假名化) for extracts and screens.

Pure Python (no Django). Masks keep what a reader legitimately needs (the region and birth
year of an ID, the carrier prefix and last four of a phone, the surname, the county of an
address, the last four of a card); pseudonyms are HMAC-SM3 so that two extracts made with the
same key can still be joined on the pseudonymised column, but nobody without the key can
reverse or recompute them.
"""

from __future__ import annotations

import base64
import re

from edubase.crypto.sm3 import hmac_sm3
from edubase.datagov.classify.addresses import cut_to_county
from edubase.datagov.classify.names import split_name
from edubase.datagov.classify.validators import normalise_mobile

_SPACES = re.compile(r"[\s\-]")


def mask_citizen_id(v: str) -> str:
    """``410102199003070019`` → ``4101021990********``: region (6) and birth year kept."""
    number = "".join(str(v).split()).upper()
    if len(number) < 10:
        return "*" * len(number)
    return number[:10] + "*" * (len(number) - 10)


def mask_phone(v: str) -> str:
    """``13812341234`` → ``138****1234`` (a ``+86`` prefix is dropped)."""
    phone = normalise_mobile(str(v))
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(v: str) -> str:
    """``张三明`` → ``张*明``; ``张三`` → ``张*``; ``欧阳娜娜`` → ``欧阳**``; minority names with ``·`` keep
    the first letter of the first part only (``阿依古丽·买买提`` → ``阿******``)."""
    name = str(v).strip()
    if not name:
        return ""
    if "·" in name or "•" in name or "." in name:
        visible = sum(1 for c in name if c not in "·•.")
        return name[0] + "*" * (visible - 1)
    surname, given = split_name(name)
    if len(surname) >= 2:
        return surname + "*" * len(given)
    if len(given) >= 2:
        return surname + "*" * (len(given) - 1) + given[-1]
    return surname + "*" * len(given)


def mask_address(v: str) -> str:
    """Cut an address to county level: ``河南省郑州市中原区建设路12号`` → ``河南省郑州市中原区****``."""
    text = str(v).strip()
    kept = cut_to_county(text)
    if kept == text:
        return text if len(text) <= 6 else text[:6] + "****"
    return kept + "****"


def mask_bank_card(v: str) -> str:
    """Only the last four digits: ``6222020200000000006`` → ``***************0006``."""
    digits = _SPACES.sub("", str(v))
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_generic(v: str) -> str:
    """Keep the first and last quarter of the characters (at most 4 each), hide the rest."""
    text = str(v)
    keep = min(4, len(text) // 4)
    if keep == 0:
        return "*" * len(text)
    return text[:keep] + "*" * (len(text) - 2 * keep) + text[-keep:]


def mask_email(v: str) -> str:
    """``zhangsan@example.cn`` → ``z*******@example.cn``."""
    local, at, domain = str(v).partition("@")
    if not at:
        return mask_generic(local)
    return (local[:1] + "*" * (len(local) - 1)) + "@" + domain


_MASKERS = {
    "citizen_id": mask_citizen_id,
    "residence_permit": mask_citizen_id,
    "mobile": mask_phone,
    "person_name": mask_name,
    "address": mask_address,
    "bank_card": mask_bank_card,
    "email": mask_email,
}


def mask(entity: str, value: str) -> str:
    """Mask ``value`` as the entity requires; entities without a specific mask get ``mask_generic``;
    an empty value stays empty."""
    if value is None or value == "":
        return ""
    return _MASKERS.get(entity, mask_generic)(value)


def pseudonym(value: str, *, key: bytes, entity: str = "") -> str:
    """Stable keyed pseudonym: HMAC-SM3(key, entity ‖ 0x1f ‖ normalised value), 24 base32 characters.

    The entity is mixed in so that the same digits as an ID and as a phone do not collide; the
    value is normalised (whitespace removed, upper-cased) so ``…x`` and ``…X`` join."""
    normalised = "".join(str(value).split()).upper()
    digest = hmac_sm3(key, entity.encode("utf-8") + b"\x1f" + normalised.encode("utf-8"))
    return base64.b32encode(digest[:15]).decode("ascii").rstrip("=")
