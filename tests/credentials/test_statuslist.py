"""Bitstring Status List v1.0: bit order, GZIP + multibase framing, the spec's example, indices."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime

import pytest

from edubase.credentials.statuslist import (
    MIN_SIZE,
    StatusList,
    StatusListError,
    random_index,
    status_entry,
    status_list_credential,
)

# The encodedList of the example BitstringStatusListCredential in W3C "Bitstring Status List v1.0"
# (§2.3, https://www.w3.org/TR/vc-bitstring-status-list/): a 131,072-entry list with every bit clear.
SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def _raw(encoded: str) -> bytes:
    """Decode independently of the code under test: strip the multibase prefix, base64url, gunzip."""
    assert encoded[0] == "u"
    body = encoded[1:]
    assert "=" not in body
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_decodes_the_spec_example() -> None:
    status_list = StatusList.decode(SPEC_EXAMPLE)
    assert status_list.size == 131072
    assert status_list.count() == 0
    assert not status_list.get(94567)  # the index the spec's example credential points at


def test_bit_zero_is_the_most_significant_bit_of_byte_zero() -> None:
    status_list = StatusList()
    status_list.set(0, True)
    raw = _raw(status_list.encode())
    assert raw[0] == 0x80 and not any(raw[1:])
    status_list.set(0, False)
    status_list.set(7, True)
    status_list.set(8, True)
    status_list.set(MIN_SIZE - 1, True)
    raw = _raw(status_list.encode())
    assert raw[0] == 0x01 and raw[1] == 0x80 and raw[-1] == 0x01
    assert len(raw) == MIN_SIZE // 8


def test_set_get_and_round_trip() -> None:
    status_list = StatusList()
    indices = [1, 2, 94567, 131071, 65536]
    for i in indices:
        status_list.set(i, True)
    status_list.set(2, False)
    decoded = StatusList.decode(status_list.encode())
    assert [decoded.get(i) for i in indices] == [True, False, True, True, True]
    assert decoded.count() == 4
    assert decoded.to_bytes() == status_list.to_bytes()


def test_encoding_is_gzip_with_multibase_u_and_deterministic() -> None:
    encoded = StatusList().encode()
    assert encoded.startswith("uH4sI")  # "u" + base64url of the GZIP magic 1f 8b 08
    assert encoded == StatusList().encode()  # mtime 0: the same list republishes byte-identical
    assert len(encoded) < 100  # an empty 16 KiB list compresses to a few dozen bytes


def test_size_rules() -> None:
    with pytest.raises(StatusListError):
        StatusList(1024)  # below the spec's 131,072 minimum
    with pytest.raises(StatusListError):
        StatusList(MIN_SIZE + 4)
    larger = StatusList(MIN_SIZE * 2)
    larger.set(MIN_SIZE * 2 - 1, True)
    assert StatusList.decode(larger.encode()).get(MIN_SIZE * 2 - 1)
    with pytest.raises(StatusListError) as info:
        StatusList().get(MIN_SIZE)
    assert info.value.code == "index_out_of_range"
    with pytest.raises(StatusListError):
        StatusList().set(-1, True)


@pytest.mark.parametrize(
    ("encoded", "code"),
    [
        ("zH4sIAAAAAAAAA", "bad_multibase"),
        ("H4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA", "bad_multibase"),
        ("u!!!", "bad_base64"),
        ("u" + base64.urlsafe_b64encode(b"not gzip at all").decode().rstrip("="), "bad_gzip"),
        # zlib (not GZIP) framing is refused: the spec says GZIP.
        ("u" + base64.urlsafe_b64encode(__import__("zlib").compress(bytes(16384))).decode().rstrip("="), "bad_gzip"),
        # A GZIP of a list shorter than the minimum.
        ("u" + base64.urlsafe_b64encode(gzip.compress(bytes(100), mtime=0)).decode().rstrip("="), "bad_size"),
    ],
)
def test_bad_encodings(encoded: str, code: str) -> None:
    with pytest.raises(StatusListError) as info:
        StatusList.decode(encoded)
    assert info.value.code == code


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(bytes(40 * 1024 * 1024))
    encoded = "u" + base64.urlsafe_b64encode(bomb).decode().rstrip("=")
    with pytest.raises(StatusListError) as info:
        StatusList.decode(encoded)
    assert info.value.code == "too_large"


def test_truncated_gzip_is_refused() -> None:
    data = gzip.compress(bytes(range(256)) * 64)
    encoded = "u" + base64.urlsafe_b64encode(data[: len(data) // 2]).decode().rstrip("=")
    with pytest.raises(StatusListError):
        StatusList.decode(encoded)


def test_random_index_avoids_taken_ones_and_finds_the_last_free() -> None:
    taken = set(range(0, 1000)) - {537}
    assert random_index(1000, lambda i: i in taken) == 537
    with pytest.raises(StatusListError) as info:
        random_index(10, lambda i: True)
    assert info.value.code == "list_full"
    picks = {random_index(MIN_SIZE, lambda i: False) for _ in range(50)}
    assert len(picks) > 40  # random, not sequential


def test_status_entry_and_list_credential() -> None:
    url = "https://cert.example/status/3"
    entry = status_entry(list_url=url, index=94567, purpose="revocation")
    assert entry == {
        "id": f"{url}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": url,
    }
    with pytest.raises(StatusListError):
        status_entry(list_url=url, index=1, purpose="refresh")
    document = status_list_credential(
        list_url=url,
        purpose="suspension",
        status_list=StatusList(),
        issuer_id="https://cert.example/issuers/zzu",
        valid_from=datetime(2025, 7, 1, 8, tzinfo=UTC),
    )
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["id"] == url
    assert document["validFrom"] == "2025-07-01T08:00:00Z"
    assert document["credentialSubject"]["statusPurpose"] == "suspension"
    assert document["credentialSubject"]["id"] == f"{url}#list"
    assert StatusList.decode(document["credentialSubject"]["encodedList"]).size == MIN_SIZE
