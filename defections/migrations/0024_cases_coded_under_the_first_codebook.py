from django.db import migrations


class Migration(migrations.Migration):
    """The cases published before codebook versions were recorded were coded under the first.
    (A migration of its own: the triggers this write sets off must not be pending while 0023
    changes the table.)"""

    dependencies = [
        ("defections", "0023_codebook_versions"),
    ]

    operations = [
        migrations.RunSQL("UPDATE defections_case SET codebook_version = 1 "
                          "WHERE status IN ('published', 'retracted') AND codebook_version IS NULL",
                          migrations.RunSQL.noop),
    ]
