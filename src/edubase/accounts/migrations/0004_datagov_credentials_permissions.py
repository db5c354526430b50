from django.db import migrations


def seed_roles(apps, schema_editor):
    from edubase.accounts.permissions import BUILTIN_ROLES

    Role = apps.get_model("accounts", "Role")
    for code, name, description, permissions in BUILTIN_ROLES:
        Role.objects.update_or_create(
            code=code,
            defaults={"name": name, "description": description, "permissions": permissions, "builtin": True},
        )


class Migration(migrations.Migration):
    """Built-in roles gain the datagov and credentials permissions; the credential officer role is added."""

    dependencies = [("accounts", "0003_secops_permissions")]
    operations = [migrations.RunPython(seed_roles, migrations.RunPython.noop)]
