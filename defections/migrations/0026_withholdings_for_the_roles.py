"""Withholdings join the roles (0005) and the data version (0006): researchers and editors
write them as they write what a case shows (an editor's alone once the case is published)."""

import importlib

from django.contrib.auth.management import create_permissions
from django.db import migrations

TRIGGER = importlib.import_module("defections.migrations.0006_data_version").TRIGGER
NEW_TABLES = ["defections_withholding", "defections_withholdingevent"]


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    app_config = apps.get_app_config("defections")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.using(using).filter(content_type__app_label="defections",
                                                   content_type__model="withholding")
    assert perms.count() == 4, "a permission is missing"
    for group in Group.objects.using(using).filter(name__in=["Researcher", "Editor"]):
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias):
        group.permissions.remove(*Permission.objects.filter(content_type__model="withholding"))


class Migration(migrations.Migration):
    dependencies = [
        ("defections", "0025_withholdings"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
        *[migrations.RunSQL(TRIGGER.format(table=f'"{table}"'),
                            f'DROP TRIGGER IF EXISTS defections_data_version ON "{table}"')
          for table in NEW_TABLES],
    ]
