"""The people at risk as a partial index: every public case query reads them
(defections/visibility.py `cases`), which was a scan of every person each time."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("defections", "0034_url_keys_fold_rfc3986_and_idna"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="person",
            index=models.Index(condition=models.Q(("at_risk", True)), fields=["id"], name="person_at_risk"),
        ),
    ]
