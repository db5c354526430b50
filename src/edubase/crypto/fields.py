"""Encrypted model fields and blind indexes.

``EncryptedTextField`` stores SM4-GCM ciphertext under a per-column data key; the
associated data binds each value to its table, column and row, so a ciphertext
copied to another row or column fails to decrypt. Values read from the database
stay sealed until the attribute is read on a model instance (``values()`` and
``values_list()`` never reveal plaintext), and lookups on the ciphertext column
are refused: use the companion ``BlindIndexField`` (keyed HMAC-SM3) for exact
matches.

Stored form: ``e1.<data key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from edubase.crypto import keyring
from edubase.crypto.errors import CryptoError, DecryptionError
from edubase.crypto.sm3 import hmac_sm3

_PREFIX = "e1"


class Sealed:
    """A ciphertext read from the database, not yet decrypted (prints as ``***``)."""

    __slots__ = ("ciphertext",)

    def __init__(self, ciphertext: str) -> None:
        self.ciphertext = ciphertext

    def __repr__(self) -> str:
        return "<Sealed ***>"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.ciphertext == self.ciphertext

    def __hash__(self) -> int:
        return hash(self.ciphertext)


class _Ciphertext(str):
    """Marks a value produced by ``pre_save`` (the only kind the field writes)."""


def _binding(instance: models.Model, field: EncryptedTextField) -> bytes:
    row = getattr(instance, field.bind_to)
    if row is None or row == "":
        raise CryptoError(
            detail=f"{field.model.__name__}.{field.name} 需要在保存前确定 {field.bind_to}（建议使用 UUID 主键）"
        )
    return f"{field.model._meta.db_table}|{field.column}|{row}".encode()


class _SealedAttribute(DeferredAttribute):
    """Decrypts on first read from an instance and caches the plaintext on it."""

    field: EncryptedTextField

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        value = super().__get__(instance, cls)
        if instance is None or not isinstance(value, Sealed):
            return value
        plain = self.field.decrypt(value.ciphertext, _binding(instance, self.field))
        instance.__dict__[self.field.attname] = plain
        instance.__dict__[self.field._sealed_cache] = value
        return plain

    def __set__(self, instance: Any, value: Any) -> None:
        # a data descriptor, so reads go through __get__ even when the value is in __dict__
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """Text encrypted with SM4-GCM at rest; see module docstring."""

    descriptor_class = _SealedAttribute

    def __init__(self, *args: Any, purpose: str | None = None, bind_to: str = "pk", **kwargs: Any) -> None:
        self.purpose = purpose
        self.bind_to = bind_to
        kwargs.setdefault("editable", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.purpose is not None:
            kwargs["purpose"] = self.purpose
        if self.bind_to != "pk":
            kwargs["bind_to"] = self.bind_to
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        if self.purpose is None:
            self.purpose = f"{cls._meta.label_lower}.{name}"

    @property
    def _sealed_cache(self) -> str:
        return f"_{self.attname}_sealed"

    def key_purpose(self) -> str:
        """The data-key purpose (``app.model.field`` unless given)."""
        if self.purpose is None:
            raise ImproperlyConfigured("EncryptedTextField used before contribute_to_class")
        return self.purpose

    # -- crypto --
    def encrypt(self, plaintext: str, binding: bytes) -> str:
        """Seal one value under the active data key of this column."""
        key_id, gcm = keyring.active_data_key(self.key_purpose())
        sealed = gcm.encrypt(plaintext.encode("utf-8"), binding + b"|" + str(key_id).encode())
        return f"{_PREFIX}.{key_id}.{base64.urlsafe_b64encode(sealed).decode('ascii')}"

    def decrypt(self, stored: str, binding: bytes) -> str:
        """Open one stored value; raise ``DecryptionError`` if it was moved or altered."""
        try:
            prefix, key_id_text, blob = stored.split(".", 2)
            if prefix != _PREFIX:
                raise ValueError(prefix)
            key_id = int(key_id_text)
            raw = base64.urlsafe_b64decode(blob.encode("ascii"))
        except (ValueError, UnicodeError) as exc:
            raise DecryptionError(detail="加密字段内容格式错误") from exc
        gcm = keyring.data_key_by_id(key_id)
        return gcm.decrypt(raw, binding + b"|" + key_id_text.encode()).decode("utf-8")

    # -- Django plumbing --
    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Sealed | None:
        return None if value is None else Sealed(value)

    def to_python(self, value: Any) -> Any:
        return value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None:
            return None
        binding = _binding(model_instance, self)
        if isinstance(value, Sealed):
            # never read: keep the stored ciphertext if it still decrypts for this row
            self.decrypt(value.ciphertext, binding)
            return _Ciphertext(value.ciphertext)
        previous = model_instance.__dict__.get(self._sealed_cache)
        if isinstance(previous, Sealed) and not add:
            try:
                if self.decrypt(previous.ciphertext, binding) == value:
                    return _Ciphertext(previous.ciphertext)
            except DecryptionError:
                pass
        return _Ciphertext(self.encrypt(str(value), binding))

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, _Ciphertext):
            return str(value) if value is not None else None
        raise CryptoError(
            detail=f"{self.name} 是加密字段：只能通过模型实例的 save() 写入，"
            "不能用于查询或 update()；精确查找请使用盲索引字段"
        )

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return None

    def value_to_string(self, obj: models.Model) -> str:
        return "***"


def default_normalizer(value: str) -> str:
    """Trim whitespace and upper-case (citizen IDs end in X/x; phone numbers are digits)."""
    return "".join(value.split()).upper()


class BlindIndexField(models.CharField):
    """Keyed SM3-HMAC of another field's plaintext, for exact-match lookup without decryption."""

    def __init__(
        self,
        *args: Any,
        source: str = "",
        normalizer: Callable[[str], str] = default_normalizer,
        **kwargs: Any,
    ) -> None:
        self.source = source
        self.normalizer = normalizer
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, default in (
            ("max_length", 64),
            ("db_index", True),
            ("editable", False),
            ("null", True),
            ("blank", True),
        ):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        return name, path, args, kwargs

    def _source_field(self) -> EncryptedTextField:
        field = self.model._meta.get_field(self.source)
        if not isinstance(field, EncryptedTextField):
            raise ImproperlyConfigured(f"BlindIndexField {self.name}: source {self.source!r} is not encrypted")
        return field

    def digest(self, value: str) -> str:
        """The index value for ``value`` (use it in ``filter(<this field>=...)``)."""
        purpose = self._source_field().key_purpose()
        return hmac_sm3(keyring.blind_index_key(purpose), self.normalizer(value).encode("utf-8")).hex()

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        source = self._source_field()
        plain = model_instance.__dict__.get(source.attname)
        if isinstance(plain, Sealed):
            return model_instance.__dict__.get(self.attname)
        value = None if plain is None else self.digest(str(plain))
        setattr(model_instance, self.attname, value)
        return value
