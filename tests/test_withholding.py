"""Per-field withholding (issue 13, item 3): an editor withholds one field of a case or a
person, with a reason and an optional expiry. Until it expires every public face shows the
field as withheld, and no filter, facet, count, order or search reveals it; from the day
it expires it is public, with no write. Staff see the value and the reason.

The clock is frozen with time-machine: the day before the expiry, then the day itself.
"""

from datetime import date
from urllib.parse import urlencode

import pytest
import time_machine
from django_countries import countries
from rest_framework.test import APIClient

from defections.models import Case, Period, Withholding
from tests.factories import CaseFactory, PersonFactory
from tests.test_admin_support import make_user
from tests.test_api_fixtures import client_for

pytest_plugins = ["tests.test_api_fixtures"]  # researcher; generous_throttle

pytestmark = pytest.mark.django_db

BEFORE, EXPIRY = "2027-05-31 12:00Z", date(2027, 6, 1)
PLACE, ROLE, NARRATIVE = "Wthd-place-k3j8", "Wthd-role-p9x2", "Wthdnarrativeword"
NATIVE = "Скрытоимя"


@pytest.fixture
def editor():
    return client_for(make_user("ed", "Editor"))


@pytest.fixture
def guarded():
    """A published case whose destination (Nauru, which no other case names), place, role,
    narrative and date are withheld until EXPIRY; its person's native name and birth too."""
    person = PersonFactory(name="Withheld Example", native_name=NATIVE, birth_start=date(1970, 1, 1),
                           birth_end=date(1970, 12, 31), birth_precision="year")
    case = CaseFactory(person=person, destination_country="NR", place=PLACE, role=ROLE,
                       narrative=f"The {NARRATIVE} stays.", date="1937-04-05", summary="An invented case.")
    CaseFactory(date="1990", summary="Another, with nothing withheld.")
    for field in ["destination_country", "place", "role", "narrative", "date"]:
        Withholding.objects.create(case=case, field=field, reason="Family still there.", until=EXPIRY)
    for field in ["native_name", "birth"]:
        Withholding.objects.create(person=person, field=field, reason="Named by no one else.", until=EXPIRY)
    return case


NAURU = countries.name("NR")  # as the pages name it
HIDDEN = [PLACE, ROLE, NARRATIVE, NATIVE, NAURU, "1937", "1970"]


def public_texts(client, api, case):
    """Every public face of the case and its person (pages, API JSON and CSV, searches)."""
    urls = [case.get_absolute_url(), case.person.get_absolute_url(), "/cases/", "/people/",
            f"/api/v1/cases/{case.pk}/", f"/api/v1/cases/{case.pk}/?format=csv",
            f"/api/v1/people/{case.person_id}/", "/api/v1/cases/?format=csv", "/api/v1/stats/", "/"]
    return {url: body((client if not url.startswith("/api/") else api).get(url)) for url in urls}


def body(response) -> str:
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode()


def found(api, **params) -> set[int]:
    return {row["id"] for row in api.get(f"/api/v1/cases/?{urlencode(params)}").json()["results"]}


def test_until_the_expiry_no_public_face_shows_a_withheld_field(client, guarded):
    api = APIClient()
    with time_machine.travel(BEFORE, tick=False):
        for url, text in public_texts(client, api, guarded).items():
            leaked = [marker for marker in HIDDEN if marker in text]
            assert not leaked, (url, leaked)
        data = api.get(f"/api/v1/cases/{guarded.pk}/").json()
        assert {w["field"] for w in data["withheld"]} == {"destination_country", "place", "role",
                                                           "narrative", "date"}
        assert all(set(w) == {"field"} for w in data["withheld"])  # no reason, no expiry
        for key in ["destination_country", "place", "role", "narrative", "date", "date_start",
                    "date_end", "date_precision", "period"]:
            assert data[key] is None, key
        assert data["summary"] == "An invented case."  # what is not withheld stays
        person = api.get(f"/api/v1/people/{guarded.person_id}/").json()
        assert person["native_name"] is None and person["birth"] is None
        assert [w["field"] for w in person["withheld"]] == ["birth", "native_name"]
        page = client.get(guarded.get_absolute_url()).content.decode()
        assert "Withheld" in page


def test_until_the_expiry_no_filter_count_order_or_search_reveals_it(client, guarded):
    api = APIClient()
    with time_machine.travel(BEFORE, tick=False):
        period = Period.objects.create(slug="terror", name="Terror", start="1936-01-01", end="1938-12-31")
        assert Case.objects.get(pk=guarded.pk).period == period  # derived from the whole date
        for params in [{"destination_country": "NR"}, {"year_min": 1937, "year_max": 1937},
                       {"q": NARRATIVE}, {"q": ROLE}, {"q": NATIVE}, {"period": "terror"}]:
            assert guarded.pk not in found(api, **params), params
            stats = api.get(f"/api/v1/stats/?{urlencode(params)}")
            assert stats.status_code in (200, 400)
            if stats.status_code == 200:
                assert guarded.pk not in found(api, **params)
                assert 1937 not in [row["year"] for row in stats.json()["by_year_and_form"]], params
        assert guarded.pk in found(api, q="Withheld Example")  # by the name that is public
        assert not api.get(f"/api/v1/people/?{urlencode({'q': NATIVE})}").json()["results"]
        stats = api.get("/api/v1/stats/").json()
        assert 1937 not in [row["year"] for row in stats["by_year_and_form"]]
        facets = client.get("/cases/").context["facets"]
        assert "NR" not in [option["value"] for option in facets["destination_country"]]
        # by date, the case sorts with the undated: last one way, first the other
        ordered = api.get("/api/v1/cases/?ordering=date&page_size=100").json()["results"]
        ordered = [row["id"] for row in ordered]
        assert ordered[-1] == guarded.pk
        assert api.get("/api/v1/cases/?ordering=-date").json()["results"][0]["id"] == guarded.pk


def test_staff_see_the_value_and_the_reason(guarded, editor):
    with time_machine.travel(BEFORE, tick=False):
        data = editor.get(f"/api/v1/cases/{guarded.pk}/").json()
        assert data["place"] == PLACE and data["date"] == "5 April 1937"
        assert {(w["field"], w["reason"], w["until"]) for w in data["withheld"]} >= {
            ("place", "Family still there.", "2027-06-01")}
        staff = make_user("staff-page", "Editor")
        from django.test import Client

        browser = Client()
        browser.force_login(staff)
        page = browser.get(guarded.get_absolute_url()).content.decode()
        assert PLACE in page and "Family still there." in page


@pytest.mark.django_db(transaction=True)
def test_on_the_expiry_day_the_fields_are_public_with_no_write(client, guarded, version_row):
    """With the pages cached the day before (and the change feed read): the day of the
    expiry the values are on every face, in the filters, counts and search, and the feed
    names the records as updated."""
    api = APIClient()
    with time_machine.travel(BEFORE, tick=False):
        public_texts(client, api, guarded)  # cached for the day
        since = api.get("/api/v1/changes/").json()["until"]
        assert guarded.pk not in found(api, destination_country="NR")
    writes = Case.objects.values_list("updated_at", flat=True).order_by("pk")
    before = list(writes)
    with time_machine.travel(EXPIRY.isoformat() + " 00:00:01Z", tick=False):
        texts = public_texts(client, api, guarded)
        for marker in [PLACE, ROLE, NARRATIVE, NATIVE, NAURU, "1937"]:
            assert marker in texts[guarded.get_absolute_url()], marker
        for marker in [PLACE, ROLE, NARRATIVE, "NR", "1937"]:
            assert marker in texts[f"/api/v1/cases/{guarded.pk}/?format=csv"], marker
        person_page = texts[guarded.person.get_absolute_url()]
        assert NATIVE in person_page and "1970" in person_page
        data = api.get(f"/api/v1/cases/{guarded.pk}/").json()
        assert data["withheld"] == [] and data["destination_country"] == "NR"
        assert data["date"] == "5 April 1937"
        assert guarded.pk in found(api, destination_country="NR")
        assert guarded.pk in found(api, q=NARRATIVE)
        assert guarded.pk in found(api, year_min=1937, year_max=1937)
        assert 1937 in [row["year"] for row in api.get("/api/v1/stats/").json()["by_year_and_form"]]
        assert api.get(f"/api/v1/people/?{urlencode({'q': NATIVE})}").json()["results"]
        feed = api.get(f"/api/v1/changes/?{urlencode({'since': since})}").json()["results"]
        assert {("case", guarded.pk, "updated"), ("person", guarded.person_id, "updated")} <= {
            (e["type"], e["id"], e["action"]) for e in feed}
    assert list(writes) == before  # no write made it so


def test_the_api_writes_withholdings_with_clear_errors(editor, researcher):
    case = CaseFactory(status="draft")
    url = f"/api/v1/cases/{case.pk}/"
    written = editor.patch(url, {"withheld": [
        {"field": "destination_country", "reason": "Relatives.", "until": "2027-06-01"}]}, format="json")
    assert written.status_code == 200, written.json()
    assert written.json()["withheld"] == [
        {"field": "destination_country", "reason": "Relatives.", "until": "2027-06-01"}]
    for bad in [[{"field": "native_name", "reason": "x"}],  # a person's field, on a case
                [{"field": "agency_secret", "reason": "x"}],
                [{"field": "place", "reason": ""}],
                [{"field": "place", "reason": "x"}, {"field": "place", "reason": "y"}],
                [{"field": "place", "reason": "x", "until": "someday"}],
                [{}], [{"reason": "x"}], [{"field": "place"}],  # a PATCH needs them too
                "place"]:
        refused = editor.patch(url, {"withheld": bad}, format="json")
        assert refused.status_code == 400 and "withheld" in refused.json(), (bad, refused.json())
    kept = Withholding.objects.filter(case=case).values_list("field", flat=True)
    assert list(kept) == ["destination_country"]
    assert editor.patch(url, {"withheld": []}, format="json").status_code == 200
    assert not Withholding.objects.filter(case=case).exists()
    # A researcher may not change what a published case shows, withholdings included.
    published = CaseFactory()
    refused = researcher.patch(f"/api/v1/cases/{published.pk}/",
                               {"withheld": [{"field": "place", "reason": "x"}]}, format="json")
    assert refused.status_code == 403
    assert not Withholding.objects.filter(case=published).exists()
    person = PersonFactory()
    wrote = editor.patch(f"/api/v1/people/{person.pk}/", {"withheld": [{"field": "birth", "reason": "r"}]},
                         format="json")
    assert wrote.status_code == 200 and wrote.json()["withheld"][0]["until"] is None
    refused = editor.patch(f"/api/v1/people/{person.pk}/", {"withheld": [{"field": "place", "reason": "r"}]},
                           format="json")
    assert refused.status_code == 400 and "withheld" in refused.json()


def test_a_withholding_without_expiry_stays_and_the_database_refuses_a_wrong_one(guarded):
    from django.db import IntegrityError, transaction

    Withholding.objects.filter(case=guarded, field="place").update(until=None)
    with time_machine.travel("2100-01-01 00:00Z", tick=False):
        data = APIClient().get(f"/api/v1/cases/{guarded.pk}/").json()
        assert [w["field"] for w in data["withheld"]] == ["place"] and data["place"] is None
    for wrong in [{"case": guarded, "field": "native_name", "reason": "x"},
                  {"person": guarded.person, "field": "place", "reason": "x"},
                  {"case": guarded, "person": guarded.person, "field": "place", "reason": "x"},
                  {"case": guarded, "field": "bio", "reason": ""}]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Withholding.objects.create(**wrong)


def test_an_edit_to_a_withheld_field_alone_leaves_no_public_trace(guarded):
    """The public change time (and so the ETag, `updated_after` and the change feed) does not
    move when only withheld values change: it would tell when a hidden value was edited."""
    api = APIClient()
    since = api.get("/api/v1/changes/").json()["until"]
    urls = [f"/api/v1/cases/{guarded.pk}/", f"/api/v1/people/{guarded.person_id}/"]
    before = [api.get(url) for url in urls]
    case = Case.objects.get(pk=guarded.pk)
    case.place, case.narrative = "Another hidden place", "Another hidden story."
    case.save()
    person = case.person
    person.native_name = "Другоеимя"
    person.save()
    after = [api.get(url) for url in urls]
    for old, new in zip(before, after, strict=True):
        assert old.json() == new.json() and old["ETag"] == new["ETag"]
    assert not api.get(f"/api/v1/changes/?{urlencode({'since': since})}").json()["results"]
    assert Case.objects.get(pk=guarded.pk).place == "Another hidden place"  # saved all the same
    # A change the public sees moves it as before.
    case.summary = "A new summary."
    case.save()
    assert api.get(urls[0]).json()["updated_at"] != before[0].json()["updated_at"]


@pytest.mark.django_db(transaction=True)  # the change time is the transaction's
def test_only_a_withholding_the_public_can_tell_moves_the_change_time(guarded):
    """Adding or lifting a withholding changes what the public reads (and its change time);
    rewording the reason or moving a future expiry does not, and leaves no trace."""
    api = APIClient()
    url = f"/api/v1/cases/{guarded.pk}/"

    def public_time():
        return api.get(url).json()["updated_at"]

    first = public_time()
    Withholding.objects.filter(case=guarded).update(reason="Reworded, staff only.")
    Withholding.objects.filter(case=guarded, field="place").update(until=date(2099, 1, 1))
    assert public_time() == first
    Withholding.objects.filter(case=guarded, field="place").delete()  # lifted: the place is public
    lifted = public_time()
    assert lifted != first and api.get(url).json()["place"] == PLACE
    Withholding.objects.create(case=guarded, field="country_from", reason="New.", until=date(2000, 1, 1))
    assert public_time() == lifted  # expired already: nothing the public reads changed
    Withholding.objects.filter(case=guarded, field="country_from").update(until=None)
    assert public_time() != lifted and api.get(url).json()["country_from"] is None


@pytest.mark.django_db(transaction=True)  # the change time is the transaction's
def test_a_client_writing_back_what_it_read_leaves_no_public_trace(guarded, editor):
    """An editor reads the case, changes only a withheld value and sends it back with the
    withholdings as read (or with a reason reworded): the public reads no change time."""
    api = APIClient()
    url = f"/api/v1/cases/{guarded.pk}/"
    before = api.get(url)
    read = editor.get(url).json()
    for change in [{"place": "A new hidden place", "withheld": read["withheld"]},
                   {"withheld": [{**w, "reason": "Reworded."} for w in read["withheld"]]},
                   {}]:
        assert editor.patch(url, change, format="json").status_code == 200, change
        after = api.get(url)
        assert after.json() == before.json() and after["ETag"] == before["ETag"], change
    assert Case.objects.get(pk=guarded.pk).place == "A new hidden place"
    assert set(Withholding.objects.filter(case=guarded).values_list("reason", flat=True)) == {"Reworded."}
