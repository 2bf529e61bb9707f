from django.db import migrations

# "c. 1953" was stored as 1953 alone; from codebook version 3 it is 1951–1955 (CIRCA_YEARS in
# defections/dates.py, written out here so that this migration keeps meaning what it meant).
# Only the records are widened: their history keeps what was stored at the time.
YEARS = 2
DATES = [
    ("defections_case", "date"),
    ("defections_response", "date"),
    ("defections_affiliation", "date"),
    ("defections_person", "birth"),
    ("defections_person", "death"),
]

WIDEN = [
    f"UPDATE {table} SET {p}_start = make_date(EXTRACT(YEAR FROM {p}_start)::int - {YEARS}, 1, 1), "
    f"{p}_end = make_date(EXTRACT(YEAR FROM {p}_end)::int + {YEARS}, 12, 31) "
    f"WHERE {p}_precision = 'circa' AND EXTRACT(YEAR FROM {p}_start) = EXTRACT(YEAR FROM {p}_end) "
    # (a year within two of the calendar's ends stays as it is: the widened one would not exist)
    f"AND EXTRACT(YEAR FROM {p}_start) BETWEEN {1 + YEARS} AND {9999 - YEARS}"
    for table, p in DATES
]

# Back to the middle year alone: exactly the widened dates (and any entered since, which the
# older code would read as the one year too).
NARROW = [
    f"UPDATE {table} SET {p}_start = make_date(EXTRACT(YEAR FROM {p}_start)::int + {YEARS}, 1, 1), "
    f"{p}_end = make_date(EXTRACT(YEAR FROM {p}_end)::int - {YEARS}, 12, 31) "
    f"WHERE {p}_precision = 'circa' AND EXTRACT(MONTH FROM {p}_start) = 1 "
    f"AND EXTRACT(DAY FROM {p}_start) = 1 AND EXTRACT(MONTH FROM {p}_end) = 12 "
    f"AND EXTRACT(DAY FROM {p}_end) = 31 "
    f"AND EXTRACT(YEAR FROM {p}_end) - EXTRACT(YEAR FROM {p}_start) = {2 * YEARS}"
    for table, p in DATES
]


class Migration(migrations.Migration):
    """Circa dates mean the year given, give or take two. (A migration of its own: the triggers
    these writes set off must not be pending while 0028 changes the tables.)"""

    dependencies = [
        ("defections", "0028_more_date_precisions"),
    ]

    operations = [migrations.RunSQL(WIDEN, NARROW)]
