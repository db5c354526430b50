"""Test-only models exercising encrypted fields and blind indexes."""

import uuid

from django.db import models

from edubase.crypto.fields import BlindIndexField, EncryptedTextField


class Citizen(models.Model):
    """A row with an encrypted citizen ID and phone, each with a blind index."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=50)
    id_number = EncryptedTextField(null=True, blank=True)
    id_number_bidx = BlindIndexField(source="id_number")
    phone = EncryptedTextField(null=True, blank=True)
    phone_bidx = BlindIndexField(source="phone")


class Counter(models.Model):
    """An auto-pk model binding its ciphertext to a UUID column instead of the pk."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True)
    secret = EncryptedTextField(bind_to="public_id")
