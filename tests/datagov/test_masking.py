"""Chinese-aware masks and keyed pseudonyms."""

from __future__ import annotations

from edubase.datagov import masking


def test_citizen_id_keeps_region_and_birth_year() -> None:
    assert masking.mask_citizen_id("410102199003070019") == "4101021990********"
    assert masking.mask_citizen_id("41010219900307001x") == "4101021990********"


def test_phone_keeps_carrier_prefix_and_last_four() -> None:
    assert masking.mask_phone("13812341234") == "138****1234"
    assert masking.mask_phone("+86 138 1234 1234") == "138****1234"


def test_names_keep_the_surname() -> None:
    assert masking.mask_name("张三明") == "张*明"
    assert masking.mask_name("张三") == "张*"
    assert masking.mask_name("欧阳娜娜") == "欧阳**"
    assert masking.mask_name("阿依古丽·买买提") == "阿******"


def test_address_is_cut_to_the_county() -> None:
    assert masking.mask_address("河南省郑州市中原区建设路12号") == "河南省郑州市中原区****"
    assert masking.mask_address("郑州市金水路88号院") == "郑州市****"


def test_bank_card_keeps_last_four() -> None:
    assert masking.mask_bank_card("6222 0202 0000 0000 006") == "***************0006"


def test_mask_dispatches_by_entity() -> None:
    assert masking.mask("mobile", "13812341234") == "138****1234"
    assert masking.mask("passport", "E12345678") == "E1*****78"
    assert masking.mask("email", "zhangsan@example.cn") == "z*******@example.cn"
    assert masking.mask("citizen_id", "") == ""


def test_pseudonyms_are_stable_keyed_and_joinable() -> None:
    key = b"k" * 32
    a = masking.pseudonym("41010219900307001x", key=key, entity="citizen_id")
    assert a == masking.pseudonym(" 41010219900307001X ", key=key, entity="citizen_id")
    assert len(a) == 24 and a.isalnum()
    assert a != masking.pseudonym("41010219900307001X", key=b"j" * 32, entity="citizen_id")
    assert a != masking.pseudonym("41010219900307001X", key=key, entity="mobile")
