"""The two roles of the review workflow, as groups with model permissions.

Researcher: create and edit drafts, submit them for review (defections/workflow.py
keeps them off published and retracted cases). Editor: everything, and publish_case.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

RESEARCHER = {
    "case": ["add", "change", "view"],
    "person": ["add", "change", "view"],
    "personalias": ["add", "change", "delete", "view"],
    "affiliation": ["add", "change", "delete", "view"],
    "source": ["add", "change", "view"],
    "citation": ["add", "change", "delete", "view"],
    "response": ["add", "change", "delete", "view"],
    "agency": ["add", "view"],
    "motive": ["view"],
    "period": ["view"],
}
EDITOR_MODELS = ["case", "person", "personalias", "affiliation", "source", "citation", "response",
                 "agency", "motive", "period"]


def create_groups(apps, schema_editor):
    # In the database being migrated (generate_demo migrates another one than the default).
    using = schema_editor.connection.alias if schema_editor else "default"
    # Permissions are normally made after all migrations; make them now.
    app_config = apps.get_app_config("defections")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(spec):
        codenames = [f"{action}_{model}" for model, actions in spec.items() for action in actions]
        found = Permission.objects.using(using).filter(content_type__app_label="defections",
                                                       codename__in=codenames)
        assert found.count() == len(codenames), "a permission is missing"
        return found

    researcher, _ = Group.objects.using(using).get_or_create(name="Researcher")
    researcher.permissions.set(perms(RESEARCHER))
    editor, _ = Group.objects.using(using).get_or_create(name="Editor")
    editor_spec = {model: ["add", "change", "delete", "view"] for model in EDITOR_MODELS}
    editor.permissions.set([*perms(editor_spec), *perms({"case": ["publish"]})])


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(
        name__in=["Researcher", "Editor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("defections", "0004_history"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
