"""Seed version 1 of the five shipped certificate templates."""

from typing import Any

from django.db import migrations


def seed(apps: Any, schema_editor: Any) -> None:
    from edubase.credentials.standards.templates import TEMPLATES

    Template = apps.get_model("credentials", "CertificateTemplate")
    for entry in TEMPLATES:
        Template.objects.update_or_create(code=entry["code"], version=1, defaults=entry)


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("credentials", "CertificateTemplate").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("credentials", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
