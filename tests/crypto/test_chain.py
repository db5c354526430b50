"""Tamper-evident chains detect edits, deletions, insertions and reordering."""

from edubase.crypto.chain import chain_mac, verify_chain

KEY = b"k" * 32


def _chain(items):
    out, prev = [], None
    for item in items:
        mac = chain_mac(KEY, item, prev)
        out.append((item, mac))
        prev = mac
    return out


EVENTS = [{"actor": "张三", "action": "create", "n": i} for i in range(5)]


def test_an_untouched_chain_verifies():
    check = verify_chain(KEY, _chain(EVENTS))
    assert check.ok and check.checked == 5


def test_key_order_in_content_does_not_matter():
    assert chain_mac(KEY, {"a": 1, "b": 2}, None) == chain_mac(KEY, {"b": 2, "a": 1}, None)


def test_an_edited_record_is_found():
    chain = _chain(EVENTS)
    chain[2] = ({**chain[2][0], "action": "delete"}, chain[2][1])
    check = verify_chain(KEY, chain)
    assert not check.ok and check.first_bad == 2


def test_a_deleted_record_is_found():
    chain = _chain(EVENTS)
    del chain[1]
    assert verify_chain(KEY, chain).first_bad == 1


def test_reordering_is_found():
    chain = _chain(EVENTS)
    chain[1], chain[2] = chain[2], chain[1]
    assert verify_chain(KEY, chain).first_bad == 1


def test_a_different_key_does_not_verify():
    assert not verify_chain(b"x" * 32, _chain(EVENTS)).ok
