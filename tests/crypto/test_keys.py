"""Key store and the "1+M+N" hierarchy: sealing at rest, versions, rotation, envelope encryption."""

import json
import os
import stat

import pytest

from edubase.crypto.errors import DecryptionError, KeyNotFound, ParameterError
from edubase.crypto.hierarchy import HierarchyError, KeyHierarchy, WrappedKey
from edubase.crypto.keystore import FileKeyStore, MasterKeyError, load_master_key
from edubase.crypto.sm4 import SM4GCM

MASTER = bytes(range(16))


@pytest.fixture
def store(tmp_path):
    return FileKeyStore(tmp_path / "keys", MASTER)


@pytest.fixture
def tree(store):
    h = KeyHierarchy(store)
    h.create_node("41", level="root", parent=None, name="河南省")
    h.create_node("4101", level="region", parent="41", name="郑州市")
    h.create_node("4101000001", level="school", parent="4101", name="示例学校")
    return h


def test_material_is_sealed_and_files_are_private(store, tmp_path):
    secret = b"\x11" * 16
    store.put("node/x/kek", 1, secret)
    path = tmp_path / "keys" / "node" / "x" / "kek" / "v000001.json"
    assert secret.hex() not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert store.get("node/x/kek", 1).material == secret


def test_versions_are_write_once(store):
    store.put("a", 1, b"one")
    with pytest.raises(ParameterError):
        store.put("a", 1, b"other")
    store.put("a", 2, b"two")
    assert store.versions("a") == [1, 2]
    assert store.latest("a").material == b"two"


def test_a_key_file_copied_under_another_name_does_not_open(store, tmp_path):
    store.put("a", 1, b"secret-a")
    src = tmp_path / "keys" / "a" / "v000001.json"
    dst = tmp_path / "keys" / "b" / "v000001.json"
    dst.parent.mkdir()
    record = json.loads(src.read_text())
    record["key_id"] = "b"
    dst.write_text(json.dumps(record))
    with pytest.raises(DecryptionError):
        store.get("b", 1)


def test_wrong_master_key_is_refused(store, tmp_path):
    with pytest.raises(MasterKeyError):
        FileKeyStore(tmp_path / "keys", bytes(16))


def test_path_traversal_in_key_ids_is_refused(store):
    with pytest.raises(ParameterError):
        store.put("../evil", 1, b"x")


def test_missing_key_is_key_not_found(store):
    with pytest.raises(KeyNotFound):
        store.get("nope", 1)


def test_master_key_file_must_be_0600(tmp_path):
    path = tmp_path / "master.key"
    key = load_master_key(env_value=None, path=path, generate=True)
    assert len(key) == 16 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_master_key(env_value=None, path=path, generate=False) == key
    os.chmod(path, 0o644)
    with pytest.raises(MasterKeyError, match="600"):
        load_master_key(env_value=None, path=path, generate=False)


def test_master_key_from_environment_is_validated(tmp_path):
    assert load_master_key(env_value="00" * 16, path=tmp_path / "none", generate=False) == bytes(16)
    with pytest.raises(MasterKeyError):
        load_master_key(env_value="xyz", path=tmp_path / "none", generate=False)
    with pytest.raises(MasterKeyError):
        load_master_key(env_value=None, path=tmp_path / "none", generate=False)


def test_hierarchy_has_one_root_and_ordered_levels(tree):
    assert [n.node_id for n in tree.nodes()] == ["41", "4101", "4101000001"]
    with pytest.raises(HierarchyError):
        tree.create_node("42", level="root", parent=None)
    with pytest.raises(HierarchyError):
        tree.create_node("x", level="region", parent="4101000001")
    with pytest.raises(HierarchyError):
        tree.create_node("4101", level="region", parent="41")
    with pytest.raises(KeyNotFound):
        tree.create_node("y", level="school", parent="9999")


def test_private_keys_never_appear_in_store_files(tree, tmp_path):
    key = tree.signing_key("4101")
    blob = "".join(p.read_text() for p in (tmp_path / "keys").rglob("*.json"))
    assert key.private_bytes().hex() not in blob
    assert "PRIVATE" not in blob


def test_envelope_wrap_unwrap_and_context_binding(tree):
    dek, wrapped = tree.new_data_key("4101", context="people.person.id_number")
    assert tree.unwrap(WrappedKey.parse(str(wrapped)), context="people.person.id_number") == dek
    with pytest.raises(DecryptionError):
        tree.unwrap(wrapped, context="people.person.phone")


def test_kek_rotation_rewraps_without_touching_data(tree):
    dek, wrapped = tree.new_data_key("4101", context="c")
    data = SM4GCM(dek).encrypt(b"unchanged data")
    assert tree.rotate_kek("4101") == 2
    assert tree.unwrap(wrapped, context="c") == dek  # old wraps still open
    new = tree.rewrap(wrapped, context="c")
    assert new.kek_version == 2 and new.sealed != wrapped.sealed
    assert SM4GCM(tree.unwrap(new, context="c")).decrypt(data) == b"unchanged data"
    assert tree.rewrap(new, context="c") is new


def test_signing_key_rotation_keeps_old_public_keys(tree):
    old = tree.signing_key("41")
    sig = old.sign(b"certificate")
    assert tree.rotate_signing_key("41") == 2
    assert tree.signing_key("41").public_key() != old.public_key()
    published = tree.published_keys("41")
    assert [p.version for p in published] == [1, 2]
    published[0].public_key.verify(b"certificate", sig)


def test_malformed_wrapped_key_is_a_decryption_error():
    with pytest.raises(DecryptionError):
        WrappedKey.parse("garbage")
