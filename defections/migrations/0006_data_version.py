"""A data version that changes at the commit of any write: the key of cached counts.

Every table of the app gets a deferred row trigger: it runs at commit, once per
transaction, and sets the single DataVersion row to the next value of a sequence.
Running at commit keeps the row locked only while committing (writers cannot deadlock
on it), and a sequence never hands out a value twice, not even after a rollback.
"""

from django.db import migrations, models

FUNCTION = """
CREATE SEQUENCE defections_data_version_seq;
INSERT INTO defections_dataversion (id, version) VALUES (1, nextval('defections_data_version_seq'));
CREATE FUNCTION defections_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('defections.data_version_bumped', true)
            IS DISTINCT FROM txid_current()::text THEN
        UPDATE defections_dataversion SET version = nextval('defections_data_version_seq')
        WHERE id = 1;
        PERFORM set_config('defections.data_version_bumped', txid_current()::text, true);
    END IF;
    RETURN NULL;
END
$$;
"""
DROP_FUNCTION = """
DROP FUNCTION defections_bump_data_version() CASCADE;
DROP SEQUENCE defections_data_version_seq;
"""
TRIGGER = """
CREATE CONSTRAINT TRIGGER defections_data_version AFTER INSERT OR UPDATE OR DELETE ON {table}
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION defections_bump_data_version()
"""


def data_tables(apps):
    return [model._meta.db_table
            for model in apps.get_app_config("defections").get_models(include_auto_created=True)
            if model._meta.db_table != "defections_dataversion"]


def add_triggers(apps, schema_editor):
    for table in data_tables(apps):
        schema_editor.execute(TRIGGER.format(table=schema_editor.quote_name(table)))


def drop_triggers(apps, schema_editor):
    for table in data_tables(apps):
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS defections_data_version ON {schema_editor.quote_name(table)}")


class Migration(migrations.Migration):
    dependencies = [("defections", "0005_groups")]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("version", models.BigIntegerField()),
            ],
            options={"constraints": [models.CheckConstraint(
                condition=models.Q(pk=1), name="dataversion_one_row",
                violation_error_message="There is one data version: the row with id 1.")]},
        ),
        migrations.RunSQL(FUNCTION, DROP_FUNCTION),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
