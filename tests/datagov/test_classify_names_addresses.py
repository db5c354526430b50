"""Chinese names and addresses."""

from __future__ import annotations

from edubase.datagov.classify.addresses import address_score, cut_to_county
from edubase.datagov.classify.names import name_score, split_name


def test_compound_surnames_are_split_first() -> None:
    assert split_name("欧阳娜娜") == ("欧阳", "娜娜")
    assert split_name("爱新觉罗启星") == ("爱新觉罗", "启星")
    assert split_name("张三明") == ("张", "三明")


def test_names_of_many_kinds_score_as_names() -> None:
    for name in ("张伟", "王秀英", "欧阳娜娜", "诸葛亮", "阿依古丽·买买提", "努尔兰·哈那提"):
        assert name_score(name) >= 0.5, name


def test_words_are_not_names() -> None:
    for word in ("汉族", "健康", "高中", "郑州市", "团员", "劳动", "信息技术", "", "ABC", "张"):
        assert name_score(word) < 0.5, word


def test_addresses_are_scored_by_divisions_and_street_parts() -> None:
    assert address_score("河南省郑州市中原区建设路12号") >= 0.9
    assert address_score("商丘市夏邑县新华街道后河村7组") >= 0.9
    assert 0.5 <= address_score("洛阳市洛龙区") < 0.9  # a place, not yet an address
    assert address_score("学校代码") == 0.0


def test_cut_to_county() -> None:
    assert cut_to_county("河南省郑州市中原区建设路12号") == "河南省郑州市中原区"
    assert cut_to_county("河南省新郑市龙湖镇泰山村3组") == "河南省新郑市"
    assert cut_to_county("郑州市金水路88号") == "郑州市"
    assert cut_to_county("某地某处") == "某地某处"
