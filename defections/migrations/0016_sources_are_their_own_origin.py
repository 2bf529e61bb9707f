from django.db import migrations


class Migration(migrations.Migration):
    """Every source so far derives from none: it is its own origin. (A migration of its own:
    the triggers this write sets off must not be pending while 0015 builds its indexes.)"""

    dependencies = [
        ("defections", "0015_source_origins"),
    ]

    operations = [
        migrations.RunSQL("UPDATE defections_source SET origin_id = id", migrations.RunSQL.noop),
    ]
