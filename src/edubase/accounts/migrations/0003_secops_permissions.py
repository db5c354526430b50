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
    """Built-in roles gain the secops permissions (roles are data; this re-seeds the built-ins)."""

    dependencies = [("accounts", "0002_builtin_roles")]
    operations = [migrations.RunPython(seed_roles, migrations.RunPython.noop)]
