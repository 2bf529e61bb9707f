from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations

# unaccent() is STABLE, so PostgreSQL will not index it; this wrapper names the
# dictionary explicitly, which makes it safe to declare IMMUTABLE.
UNACCENT = """
CREATE OR REPLACE FUNCTION defections_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN public.unaccent('public.unaccent'::regdictionary, $1);
"""


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        TrigramExtension(),
        UnaccentExtension(),
        migrations.RunSQL(UNACCENT, "DROP FUNCTION IF EXISTS defections_unaccent(text);"),
    ]
