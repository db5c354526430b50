"""Seed the access policy's version 1 with the shipped default rules (a copy: later edits are new versions)."""

from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from edubase.datagov.sharing.policy import DEFAULT_RULES

    AccessPolicy = apps.get_model("datagov_sharing", "AccessPolicy")
    if not AccessPolicy.objects.exists():
        AccessPolicy.objects.create(version=1, rules=DEFAULT_RULES, note="默认访问策略（随系统发布）", active=True)


def unseed(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("datagov_sharing", "AccessPolicy").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("datagov_sharing", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
