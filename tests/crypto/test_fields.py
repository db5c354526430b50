"""Encrypted model fields: at rest only ciphertext, bound to row and column, blind-index lookup."""

import uuid

import pytest
from django.db import connection, transaction
from django.db.utils import IntegrityError

from edubase.crypto import keyring
from edubase.crypto.errors import CryptoError, DecryptionError
from edubase.crypto.fields import Sealed
from edubase.crypto.models import DataKey
from tests.fieldapp.models import Citizen, Counter

pytestmark = pytest.mark.django_db

ID = "410105199003070019"


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    keyring.forget_data_keys()
    yield
    keyring.forget_data_keys()


def _raw(table: str, column: str, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - fixed names
        return cursor.fetchone()[0]


def _pk_param(pk):
    # SQLite stores UUIDs as 32 hex chars; PostgreSQL as uuid
    return pk.hex if connection.vendor == "sqlite" else pk


def test_only_ciphertext_reaches_the_database():
    c = Citizen.objects.create(name="张三", id_number=ID, phone="13812341234")
    raw = _raw("fieldapp_citizen", "id_number", _pk_param(c.pk))
    assert raw.startswith("e1.") and ID not in raw
    assert Citizen.objects.get(pk=c.pk).id_number == ID


def test_values_never_reveal_plaintext():
    Citizen.objects.create(name="张三", id_number=ID)
    value = Citizen.objects.values_list("id_number", flat=True).get()
    assert isinstance(value, Sealed) and str(value) == "***"


def test_blind_index_finds_exact_match_and_normalises():
    c = Citizen.objects.create(name="张三", id_number="41010519900307001x")
    field = Citizen._meta.get_field("id_number_bidx")
    assert Citizen.objects.get(id_number_bidx=field.digest("41010519900307001X")) == c
    assert not Citizen.objects.filter(id_number_bidx=field.digest("410105199003070027")).exists()
    assert c.id_number_bidx != field.digest("41010519900307001X".lower()[:-1])


def test_blind_indexes_of_two_columns_differ_for_the_same_value():
    c = Citizen.objects.create(name="x", id_number="13812341234", phone="13812341234")
    assert c.id_number_bidx != c.phone_bidx


def test_lookups_on_the_ciphertext_are_refused():
    with pytest.raises(Exception, match=r"Unsupported lookup|加密字段"):
        list(Citizen.objects.filter(id_number=ID))


def test_bulk_update_with_plaintext_is_refused():
    Citizen.objects.create(name="张三", id_number=ID)
    with pytest.raises(CryptoError):
        Citizen.objects.update(id_number="410105199003070027")


def test_ciphertext_moved_to_another_row_does_not_decrypt():
    a = Citizen.objects.create(name="a", id_number=ID)
    b = Citizen.objects.create(name="b", id_number="410105199003070027")
    stolen = _raw("fieldapp_citizen", "id_number", _pk_param(a.pk))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE fieldapp_citizen SET id_number = %s WHERE id = %s", [stolen, _pk_param(b.pk)])
    with pytest.raises(DecryptionError):
        _ = Citizen.objects.get(pk=b.pk).id_number


def test_ciphertext_moved_to_another_column_does_not_decrypt():
    a = Citizen.objects.create(name="a", id_number=ID, phone="13812341234")
    stolen = _raw("fieldapp_citizen", "id_number", _pk_param(a.pk))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE fieldapp_citizen SET phone = %s WHERE id = %s", [stolen, _pk_param(a.pk)])
    with pytest.raises(DecryptionError):
        _ = Citizen.objects.get(pk=a.pk).phone


def test_unread_value_is_saved_back_unchanged():
    c = Citizen.objects.create(name="a", id_number=ID)
    before = _raw("fieldapp_citizen", "id_number", _pk_param(c.pk))
    again = Citizen.objects.get(pk=c.pk)
    again.name = "b"
    again.save()
    assert _raw("fieldapp_citizen", "id_number", _pk_param(c.pk)) == before


def test_changed_value_is_re_encrypted_and_reindexed():
    c = Citizen.objects.create(name="a", id_number=ID)
    again = Citizen.objects.get(pk=c.pk)
    again.id_number = "410105199003070027"
    again.save()
    fresh = Citizen.objects.get(pk=c.pk)
    assert fresh.id_number == "410105199003070027"
    assert fresh.id_number_bidx == Citizen._meta.get_field("id_number_bidx").digest("410105199003070027")


def test_binding_to_a_uuid_column_on_auto_pk_models():
    row = Counter.objects.create(secret="机密")
    assert Counter.objects.get(pk=row.pk).secret == "机密"


def test_rotation_keeps_old_values_readable():
    old = Citizen.objects.create(name="old", id_number=ID)
    purpose = Citizen._meta.get_field("id_number").key_purpose()
    keyring.rotate_data_key(purpose)
    keyring.forget_data_keys()
    new = Citizen.objects.create(name="new", id_number="410105199003070027")
    old_raw = _raw("fieldapp_citizen", "id_number", _pk_param(old.pk))
    new_raw = _raw("fieldapp_citizen", "id_number", _pk_param(new.pk))
    assert old_raw.split(".")[1] != new_raw.split(".")[1]
    keyring.forget_data_keys()
    assert Citizen.objects.get(pk=old.pk).id_number == ID
    assert Citizen.objects.get(pk=new.pk).id_number == "410105199003070027"


def test_kek_rotation_rewraps_data_keys_and_data_still_reads():
    c = Citizen.objects.create(name="a", id_number=ID)
    before = _raw("fieldapp_citizen", "id_number", _pk_param(c.pk))
    keyring.hierarchy().rotate_kek(keyring.root_node_id())
    report = keyring.rewrap_data_keys()
    assert report.rewrapped >= 1
    assert set(DataKey.objects.values_list("kek_version", flat=True)) == {keyring.hierarchy().node("41").kek_version}
    keyring.forget_data_keys()
    assert _raw("fieldapp_citizen", "id_number", _pk_param(c.pk)) == before  # data not re-encrypted
    assert Citizen.objects.get(pk=c.pk).id_number == ID


def test_a_rolled_back_data_key_is_never_used_afterwards():
    purpose = "fieldapp.rollback.test"

    def failing_request() -> None:
        with transaction.atomic():
            keyring.active_data_key(purpose)
            raise IntegrityError("simulated failure after the key was created")

    with pytest.raises(IntegrityError):
        failing_request()
    assert not DataKey.objects.filter(purpose=purpose).exists()
    key_id, _ = keyring.active_data_key(purpose)
    assert DataKey.objects.filter(pk=key_id, purpose=purpose).exists()


def test_row_without_binding_value_is_refused_with_a_clear_message():
    row = Counter(secret="机密")
    row.public_id = None
    with pytest.raises(CryptoError, match="public_id"):
        row.save()


def test_null_stays_null():
    row = Citizen.objects.create(id=uuid.uuid4(), name="x", id_number=None)
    fresh = Citizen.objects.get(pk=row.pk)
    assert fresh.id_number is None and fresh.id_number_bidx is None
