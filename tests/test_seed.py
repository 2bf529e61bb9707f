import hashlib
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.forms.models import model_to_dict

from defections import seed
from defections.models import Case, Citation, Period, Person, Source


def snapshot():
    """Every row of every project table, with its timestamps."""
    return {
        model.__name__: sorted(
            (model_to_dict(row, fields=[f.name for f in model._meta.concrete_fields])
             | {"m2m": {f.name: sorted(o.pk for o in getattr(row, f.name).all())
                        for f in model._meta.many_to_many}})
            .__repr__()
            for row in model.objects.all()
        )
        for model in apps.get_app_config("defections").get_models()
    }


@pytest.mark.django_db
def test_load_seed_is_idempotent(capsys):
    call_command("load_seed")
    first = snapshot()
    capsys.readouterr()
    call_command("load_seed")
    assert "0 rows added" in capsys.readouterr().out
    assert snapshot() == first


def test_the_named_people_are_seeded(seeded):
    names = set(Person.objects.values_list("name", flat=True))
    for surname in ["Butsayev", "Remeslo", "Bonya", "Prigozhin", "Volobuyev", "Bondarev",
                    "Skripal", "Kuzminov"]:
        assert any(surname in name for name in names), surname


def test_every_seed_case_is_published_and_cites_the_article(seeded):
    article = Source.objects.get()
    assert article.outlet == "The Moscow Times" and article.author == "Kevin Riehle"
    cases = Case.objects.all()
    assert cases.count() == len(seed.CASES)
    for case in cases:
        assert case.status == "published" and case.summary
        locators = [c.locator for c in case.citations.all()]
        assert locators and all(loc.startswith("para. ") for loc in locators), case
    for citation in Citation.objects.all():
        assert citation.source == article


def test_seed_keeps_unknown_dates_unknown(seeded):
    for name in ["Sergei Skripal", "Maxim Kuzminov"]:
        case = Case.objects.get(person__name=name)
        assert case.date_start is None and case.period is None
    assert Case.objects.get(person__name="Ilya Remeslo").date == "March 2026"
    assert Case.objects.get(person__name="Viktoria Bonya").date == "April 2026"
    assert Person.objects.get(name="Yevgeny Prigozhin").death == "August 2023"


def shingle_hashes(text: str) -> set[str]:
    words = text.lower().split()
    return {hashlib.sha256(" ".join(words[i:i + 8]).encode()).hexdigest()[:16]
            for i in range(len(words) - 7)}


def test_seed_summaries_are_our_own_words(seeded):
    """No summary or narrative repeats eight consecutive words of the article. The article is
    not in the repository: its fingerprint is (hashes of its 8-word shingles)."""
    lines = (Path(__file__).parent / "data" / "article_shingles.txt").read_text().splitlines()
    article = {line for line in lines if line and not line.startswith("#")}
    assert len(article) > 900  # the whole article (963 shingles), not a stub
    for case in Case.objects.all():
        assert not shingle_hashes(case.summary) & article, case
        assert not shingle_hashes(case.narrative) & article, case


def test_seed_periods(seeded):
    assert Period.objects.count() == len(seed.PERIODS)
    war = Period.objects.get(slug="war-since-2022")
    assert war.end is None
    assert set(war.cases.values_list("person__name", flat=True)) >= {
        "Ilya Remeslo", "Viktoria Bonya", "Yevgeny Prigozhin", "Igor Volobuyev", "Boris Bondarev",
        "Denis Butsayev"}


@pytest.mark.django_db
def test_load_seed_never_changes_revives_or_republishes_a_row(capsys):
    """`make run` and every container start run load_seed: an editor's work must survive it."""
    call_command("load_seed")
    retracted = Case.objects.get(person__name="Yevgeny Prigozhin")
    retracted.status, retracted.classification = "retracted", "contested"
    retracted.summary = "Retracted: an editor's own words."
    retracted.save()
    renamed = Person.objects.get(name="Ilya Remeslo")
    renamed.name = "Ilya V. Remeslo"
    renamed.save()
    refiled = Case.objects.get(person__name="Viktoria Bonya")
    refiled.form = "geographic"  # once matched by (person, form): a second case came back
    refiled.save()
    deleted = Case.objects.get(person__name="Maxim Kuzminov")
    deleted.delete()
    Period.objects.filter(slug="war-since-2022").delete()
    before = snapshot()
    capsys.readouterr()
    call_command("load_seed")
    assert "0 rows added" in capsys.readouterr().out
    assert snapshot() == before
    assert not Case.objects.filter(person__name="Maxim Kuzminov").exists()
    assert Case.objects.get(pk=retracted.pk).status == "retracted"


# --- the seed in Russian ----------------------------------------------------------------------


def seeded_texts():
    """(record, English column, Russian column) of every text the seed wrote in English."""
    from defections import languages

    for name, fields in languages.TRANSLATED.items():
        for row in apps.get_model("defections", name).objects.all():
            for field in fields:
                if getattr(row, field):
                    yield row, field, languages.column(field, "ru")


def test_every_seeded_text_has_its_russian(seeded):
    texts = list(seeded_texts())
    assert len(texts) > 40  # motives, periods, agencies, cases, responses
    for row, english, russian in texts:
        value = getattr(row, russian)
        assert value and any("а" <= ch <= "я" for ch in value.lower()), (row, english)
        assert value != getattr(row, english)


def test_the_russian_seed_names_nothing_the_seed_does_not(seeded):
    from defections import seed_ru

    assert set(seed_ru.MOTIVES) == {slug for slug, *_ in seed.MOTIVES}
    assert set(seed_ru.PERIODS) == {slug for slug, *_ in seed.PERIODS}
    assert set(seed_ru.AGENCIES) == set(seed.AGENCIES)
    assert set(seed_ru.CASES) == {(entry["person"], entry["form"]) for entry in seed.CASES}
    for entry in seed.CASES:
        russian = seed_ru.CASES[entry["person"], entry["form"]]
        assert set(russian.get("responses", {})) == {item["kind"] for item in entry["responses"]}
        assert bool(russian.get("narrative")) == bool(entry.get("narrative"))


@pytest.mark.django_db
def test_a_database_seeded_before_the_russian_gets_it_once_where_no_editor_wrote(capsys):
    """A database seeded in English only gets the seed's Russian on its next load_seed, once,
    in the rows still as seeded; a row an editor changed, or whose Russian they wrote, is kept."""
    from defections import languages
    from defections.models import Agency, Motive, Response, SeedRecord

    call_command("load_seed")
    for name, fields in languages.TRANSLATED.items():
        apps.get_model("defections", name).objects.update(
            **{languages.column(field, "ru"): "" for field in fields})
    SeedRecord.objects.filter(key__endswith="/ru").delete()
    edited = Case.objects.get(person__name="Ilya Remeslo")
    edited.summary = "An editor's own summary."
    edited.save()
    written = Motive.objects.get(slug="money")
    written.name_ru = "Корысть"
    written.save()

    call_command("load_seed")
    assert Case.objects.get(person__name="Boris Bondarev", form="geographic").summary_ru.startswith(
        "Один из громких уходов")
    assert Response.objects.get(kind="assassination").description_ru == "Убит в Испании."
    assert Agency.objects.get(slug="mgb").name_ru == "Министерство государственной безопасности"
    assert Period.objects.get(slug="war-since-2022").name_ru == "Война с 2022 года"
    assert Case.objects.get(pk=edited.pk).summary_ru == ""
    assert Motive.objects.get(pk=written.pk).name_ru == "Корысть"
    assert Motive.objects.get(pk=written.pk).description_ru == ""

    Case.objects.filter(person__name="Boris Bondarev").update(summary_ru="")  # an editor's blank
    before = snapshot()
    capsys.readouterr()
    call_command("load_seed")
    assert "0 rows added" in capsys.readouterr().out
    assert snapshot() == before


# --- the seed's codes, reviewed against the article -------------------------------------------

# (person, form): (date as written, verification, classification, visibility), each read off
# the article's wording (the reasons are beside each case in defections/seed.py).
REVIEWED = {
    ("Denis Butsayev", "geographic"): ("2022–2026", "reported", "possible", "discreet"),
    ("Ilya Remeslo", "articulated"): ("March 2026", "reported", "certain", "public"),
    ("Viktoria Bonya", "articulated"): ("April 2026", "reported", "probable", "public"),
    ("Yevgeny Prigozhin", "articulated"): ("June 2023", "reported", "probable", "public"),
    ("Igor Volobuyev", "articulated"): ("2022", "reported", "certain", "public"),
    ("Igor Volobuyev", "geographic"): ("2022", "reported", "probable", "public"),
    ("Boris Bondarev", "articulated"): ("2022", "reported", "certain", "public"),
    ("Boris Bondarev", "geographic"): ("2022", "reported", "probable", "public"),
    ("Sergei Skripal", "geographic"): ("", "reported", "possible", "unknown"),
    ("Maxim Kuzminov", "geographic"): ("", "reported", "possible", "unknown"),
}


def test_every_seed_case_carries_its_reviewed_codes(seeded):
    cases = {(c.person.name, c.form): c for c in Case.objects.select_related("person")}
    assert set(cases) == set(REVIEWED)
    for key, (when, verification, classification, visibility) in REVIEWED.items():
        case = cases[key]
        assert (str(case.date or ""), case.verification, case.classification, case.visibility) == (
            when, verification, classification, visibility), key


def test_agency_years_the_article_does_not_give_stay_blank(seeded):
    """The article dates no agency; the MGB's old end (1954) was wrong besides (merged into the
    MVD in March 1953). Years come with a source an editor enters, or not at all."""
    from defections.models import Agency

    assert Agency.objects.count() == len(seed.AGENCIES)
    dated = Agency.objects.exclude(active_from=None, active_until=None)
    assert list(dated.values_list("slug", flat=True)) == []
    chain = Agency.objects.get(slug="fsb")
    assert [chain.predecessor.slug, chain.predecessor.predecessor.slug] == ["kgb", "mgb"]


@pytest.mark.django_db
def test_a_database_seeded_before_the_review_gets_its_corrections_once(capsys):
    """Rows still as the old seed wrote them are corrected once; a value an editor set is kept,
    and a second run writes nothing."""
    from defections.models import Agency, SeedRecord

    call_command("load_seed")
    # The database as the old seed left it, before the corrections existed.
    Agency.objects.filter(slug="mgb").update(active_from=1946, active_until=1954)
    Agency.objects.filter(slug="fsb").update(active_from=1995)
    Case.objects.filter(person__name="Yevgeny Prigozhin").update(classification="certain")
    Case.objects.filter(person__name="Maxim Kuzminov").update(classification="probable")
    SeedRecord.objects.filter(key__contains="/fix:").delete()
    # An editor's own value: not the old seed's, so not corrected.
    Case.objects.filter(person__name="Sergei Skripal").update(classification="contested")

    capsys.readouterr()
    call_command("load_seed")
    assert "0 rows added" in capsys.readouterr().out
    mgb = Agency.objects.get(slug="mgb")
    assert (mgb.active_from, mgb.active_until) == (None, None)
    assert Agency.objects.get(slug="fsb").active_from is None
    assert Case.objects.get(person__name="Yevgeny Prigozhin").classification == "probable"
    assert Case.objects.get(person__name="Maxim Kuzminov").classification == "possible"
    assert Case.objects.get(person__name="Sergei Skripal").classification == "contested"

    # Once: an editor who sets the old value again keeps it.
    Case.objects.filter(person__name="Yevgeny Prigozhin").update(classification="certain")
    before = snapshot()
    call_command("load_seed")
    assert snapshot() == before
