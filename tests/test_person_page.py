"""The person page (issue 18, item 3): bio, dates, sources and the Wikidata link, through the
redaction door (marker strings prove an at-risk person's or a withheld field never shows), and
cases linked by what they are ("Geographic defection, 1954, KGB"), in English and Russian."""

import pytest

from defections.dates import parse_partial_date
from defections.models import Citation, Withholding
from tests.factories import AgencyFactory, CaseFactory, PersonFactory, SourceFactory

MARKERS = {"bio": "BIOMARKER", "bio_ru": "БИОМАРКЕР", "wikidata_qid": "Q987654321"}


def person_with_everything(**kwargs):
    born, died = parse_partial_date("3 May 1921"), parse_partial_date("1999")
    person = PersonFactory(bio=MARKERS["bio"], bio_ru=MARKERS["bio_ru"],
                           wikidata_qid=MARKERS["wikidata_qid"], birth_start=born.start,
                           birth_end=born.end, birth_precision=born.precision, death_start=died.start,
                           death_end=died.end, death_precision=died.precision, **kwargs)
    agency = AgencyFactory(acronym="KGB", native_name="КГБ")
    case = CaseFactory(person=person, agency=agency, date="1954", sourced=False)
    Citation.objects.create(case=case, source=SourceFactory(title="SOURCEMARKER report"), locator="p. 7")
    return person, case


@pytest.mark.parametrize("prefix,bio,born", [("", "BIOMARKER", "3 May 1921"),
                                             ("/ru", "БИОМАРКЕР", "3 мая 1921")])
def test_the_person_page_shows_bio_dates_sources_and_wikidata(client, db, prefix, bio, born):
    person, case = person_with_everything()
    html = client.get(prefix + person.get_absolute_url()).content.decode()
    assert bio in html and born in html and "1999" in html
    assert 'href="https://www.wikidata.org/wiki/Q987654321"' in html
    assert "SOURCEMARKER report" in html and "p. 7" in html


@pytest.mark.parametrize("prefix,label", [("", "Geographic defection, 1954, KGB"),
                                          ("/ru", "Отъезд из страны, 1954, КГБ")])
def test_cases_are_linked_by_what_they_are(client, db, prefix, label):
    person, case = person_with_everything()
    url = case.get_absolute_url()
    html = client.get(prefix + person.get_absolute_url()).content.decode()
    assert f'<a href="{prefix}{url}">{label}</a>' in html
    assert f"Case {case.pk}<" not in html and f"Случай {case.pk}<" not in html


@pytest.mark.parametrize("prefix", ["", "/ru"])
def test_an_at_risk_person_shows_none_of_it(client, db, prefix):
    person, case = person_with_everything(at_risk=True)
    html = client.get(prefix + person.get_absolute_url()).content.decode()
    assert person.name in html
    for marker in [*MARKERS.values(), "SOURCEMARKER", "1921", "1999", "KGB", "КГБ"]:
        assert marker not in html, marker


@pytest.mark.parametrize("prefix", ["", "/ru"])
def test_withheld_fields_never_show(client, db, prefix):
    person, case = person_with_everything()
    for field in ["bio", "birth", "death"]:
        Withholding.objects.create(person=person, field=field, reason="Test.")
    Withholding.objects.create(case=case, field="date", reason="Test.")
    html = client.get(prefix + person.get_absolute_url()).content.decode()
    for marker in [MARKERS["bio"], MARKERS["bio_ru"], "1921", "1999", "1954"]:
        assert marker not in html, marker
    assert "Q987654321" in html and "SOURCEMARKER report" in html  # not withheld
    label = "Geographic defection, KGB" if not prefix else "Отъезд из страны, КГБ"
    assert f">{label}</a>" in html
