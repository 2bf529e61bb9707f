import django.utils.timezone
from django.db import migrations, models

# defections/changes.py, RESTART, when this was written: the feed starts again.
RESTART = ("TRUNCATE defections_changefeed, defections_changestate, defections_changeentry, "
           "defections_changemark")


class Migration(migrations.Migration):

    dependencies = [
        ("defections", "0021_feed_constraint_messages"),
    ]

    operations = [
        migrations.RunSQL(RESTART, migrations.RunSQL.noop),
        migrations.AddField(
            model_name="changefeed",
            name="last_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="changefeed",
            name="fingerprint",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RemoveIndex(model_name="changeentry", name="changeentry_feed"),
        migrations.AddIndex(
            model_name="changeentry",
            index=models.Index(fields=["audience", "at", "kind", "object_id"], name="changeentry_feed"),
        ),
    ]
