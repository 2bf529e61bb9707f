"""Attack round 15: the new surfaces of issue 15 (releases and /data/, citations, the Atom
feed, affiliations and CSV for every list, create_user), tried as an anonymous reader, as
a researcher and with bad input. A failing test here is a finding; a passing one an attack
that held."""

import json
import os

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from defections.models import Affiliation, Case, Citation, Person, Withholding
from tests.canary import CONTROL, DRAFT, RETRACTED, REVIEW, body_of, leaks
from tests.factories import AgencyFactory, CaseFactory, PersonFactory, SourceFactory
from tests.test_admin_support import ensure_groups, make_user
from tests.test_api_fixtures import all_pages, client_for, read_csv
from tests.test_release import release, releases_dir  # noqa: F401 (a fixture)

pytest_plugins = ["tests.test_api_fixtures", "tests.test_leak_canary"]  # api, canary

SECRET = "ATTACK15-later-secret-bio"


@pytest.fixture
def researcher(db):
    return client_for(make_user("round15-researcher", "Researcher"))


# --- findings ------------------------------------------------------------------------------


def hide_at_risk(person, case):
    Person.objects.filter(pk=person.pk).update(at_risk=True)


def hide_withheld(person, case):
    Withholding.objects.create(person=person, field="bio", reason="Safety.")


def hide_unpublished(person, case):
    Case.objects.filter(pk=case.pk).update(status="draft")


@pytest.mark.django_db
@pytest.mark.parametrize("hide", [hide_at_risk, hide_withheld, hide_unpublished])
def test_an_old_release_stops_serving_what_was_hidden_since(client, releases_dir, hide):  # noqa: F811
    """Attack: a person's bio is public, a release (1.0) is made, then an editor hides it
    (marks the person at risk, withholds the bio, or moves the only case back to draft).
    The API hides it at once, but /data/1.0/people.json and the other files of 1.0 are still
    served, bio and all, with a year of "immutable" caching: hidden details reach a public
    download. /data/ should stop serving a release holding what is now hidden (a release
    withdrawn by the hiding write, or served only while its records still read the same)."""
    person = PersonFactory(name="Later Guarded", bio=SECRET)
    case = CaseFactory(person=person, date="2001", summary="Public at first.")
    release()
    assert SECRET in client.get("/data/1.0/people.json").getvalue().decode()  # public at 1.0
    hide(person, case)
    assert SECRET not in client.get(f"/api/v1/people/{person.pk}/").content.decode()  # the API hides it
    for name in ["people.json", "people.csv", "defections.sqlite"]:
        answer = client.get(f"/data/1.0/{name}")
        body = answer.getvalue() if answer.status_code == 200 else b""
        assert SECRET.encode() not in body, f"/data/1.0/{name} still serves a hidden bio"


@pytest.mark.django_db
def test_create_user_with_a_role_leaves_no_other_powers():
    """Attack: `create_user --username admin --role researcher --update` reports "Updated
    the researcher 'admin'", yet the account keeps is_superuser (and any permission granted
    to it directly): the "exactly its role" promise is false, and a demoted account still
    publishes. create_user should set is_superuser=False and clear user_permissions."""
    ensure_groups()
    User.objects.create_superuser("boss", password="x")
    call_command("create_user", "--username", "boss", "--role", "researcher", "--update",
                 "--password", "correct horse battery staple", stdout=open(os.devnull, "w"))
    user = User.objects.get(username="boss")
    assert not user.has_perm("defections.publish_case"), "a 'researcher' that still publishes"
    assert not user.is_superuser


@pytest.mark.parametrize("line", ["parent", "predecessor"])
def test_a_researcher_cannot_rename_an_agency_the_public_tree_shows(researcher, api, line):
    """Held (by the role alone): an agency's parent or predecessor is in the public tree
    though no published case names it, and permissions.shown(Agency) does not follow the
    lines; the researcher is refused only because the role holds no change_agency. Should
    researchers ever change agencies, shown() must follow the lines (as for sources, below)."""
    above = AgencyFactory(name="Line Agency Above")
    below = AgencyFactory(name="Line Agency Below", **{line: above})
    CaseFactory(status="published", agency=below)
    assert api.get(f"/api/v1/agencies/{above.pk}/").status_code == 200  # the public sees it
    answer = researcher.patch(f"/api/v1/agencies/{above.pk}/", {"name": "Renamed Unreviewed"}, format="json")
    assert answer.status_code == 403, "a researcher renamed an agency the public tree shows"
    assert "Renamed Unreviewed" not in api.get(f"/api/v1/agencies/{above.pk}/").content.decode()


def test_a_researcher_cannot_retitle_the_original_of_a_cited_reprint(researcher, api):
    """Attack: a published case cites reprint R, derived from original O; the public sees O
    (visibility.sources: "with the chain each derives from"), but no case cites O itself,
    so permissions.shown(Source) says no case shows it and a researcher retitles O through
    PATCH /api/v1/sources/<O>/: an unreviewed change on a public record. shown() should
    follow derived_from the way visibility.sources does."""
    original = SourceFactory(title="The original report")
    reprint = SourceFactory(title="The reprint", derived_from=original)
    case = CaseFactory(status="draft")
    Citation.objects.create(case=case, source=reprint, locator="p. 1")
    Case.objects.filter(pk=case.pk).update(status="published")
    assert api.get(f"/api/v1/sources/{original.pk}/").status_code == 200  # the public sees it
    answer = researcher.patch(f"/api/v1/sources/{original.pk}/", {"title": "Retitled Unreviewed"},
                              format="json")
    assert answer.status_code == 403, "a researcher retitled a source the public sees"


def test_a_researcher_cannot_make_a_hidden_source_public_through_a_chain(canary, researcher, api):
    """The same hole, used to leak: the original O of a reprint a published case cites is
    public and unprotected, so a researcher sets O's derived_from to the source only the
    at-risk person's case cites; visibility.sources shows the whole chain, so its title (an
    at-risk detail) is now in the public /api/v1/sources/. The write must be refused."""
    original = SourceFactory(title="An original")
    reprint = SourceFactory(title="A reprint", derived_from=original)
    case = CaseFactory(status="draft")
    Citation.objects.create(case=case, source=reprint, locator="p. 1")
    Case.objects.filter(pk=case.pk).update(status="published")
    secret = Citation.objects.get(case=canary["at_risk"], source__title__startswith="CNRY").source
    assert api.get(f"/api/v1/sources/{secret.pk}/").status_code == 404  # hidden before
    researcher.patch(f"/api/v1/sources/{original.pk}/", {"derived_from": secret.pk}, format="json")
    assert api.get(f"/api/v1/sources/{secret.pk}/").status_code == 404, "an at-risk source made public"
    assert not leaks(json.dumps(all_pages(api, "/api/v1/sources/")))


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["", "bad\x00name", "x" * 151, "two words/<b>"])
def test_create_user_refuses_a_bad_username_clearly(username):
    """Bad input to create_user: an empty username creates an account named "" (which the
    admin cannot list sensibly), a NUL byte is a ValueError traceback, 151 characters a
    DataError traceback, and "two words/<b>" is saved though Django's username validator
    refuses it. Each should be a CommandError naming the problem, with no account made:
    run User.username_validator and the field's max_length (user.full_clean) before saving."""
    ensure_groups()
    with pytest.raises(CommandError):
        call_command("create_user", "--username", username, "--role", "editor",
                     "--password", "correct horse battery staple", stdout=open(os.devnull, "w"))
    assert not User.objects.filter(username=username.replace("\x00", "")).exists()


# --- attacks that held ---------------------------------------------------------------------


def test_affiliations_api_and_csv_show_no_hidden_career(canary, api):
    """The canary crawl walks the other lists, not /api/v1/affiliations/: its JSON and CSV
    (and a draft's or an at-risk person's affiliation by id) show no marker."""
    Affiliation.objects.create(person=canary["control"].person, agency=canary["control"].agency,
                               role=f"post {CONTROL}")
    listed = all_pages(api, "/api/v1/affiliations/")
    assert CONTROL in json.dumps(listed) and not leaks(json.dumps(listed, ensure_ascii=False))
    assert not leaks("\n".join(map(str, read_csv(api.get("/api/v1/affiliations/?format=csv")))))
    hidden = Affiliation.objects.exclude(pk__in=[a["id"] for a in listed])
    assert hidden.filter(person=canary["at_risk"].person).exists()
    assert hidden.filter(role__in=[DRAFT, REVIEW, RETRACTED]).count() == 3
    for affiliation in hidden:
        answer = api.get(f"/api/v1/affiliations/{affiliation.pk}/")
        assert answer.status_code == 404 and not leaks(body_of(answer))


def test_the_new_csv_lists_show_no_hidden_fact(canary, api):
    """People, sources, agencies as CSV (many-valued cells as JSON arrays) and JSON: no marker,
    and the control is found (so the check can fail)."""
    texts = []
    for endpoint in ["people", "sources", "agencies", "cases"]:
        for fmt in ["csv", "json"]:
            answer = api.get(f"/api/v1/{endpoint}/", {"format": fmt, "page_size": 500})
            assert answer.status_code == 200, (endpoint, fmt)
            texts.append(body_of(answer))
    assert not leaks("\n".join(texts))
    assert CONTROL in "\n".join(texts)


def test_the_feed_ignores_a_staff_visit_and_hides_a_hidden_agency(client, canary):
    """A staff reader's feed (with drafts) is never kept for the public; filtering by the
    at-risk case's agency is the same 400 as an agency that does not exist."""
    staff = make_user("feed-staff", "Editor")
    client.force_login(staff)
    assert client.get("/cases/feed/").status_code == 200  # a staff visit first
    client.logout()
    text = client.get("/cases/feed/").content.decode()
    assert CONTROL in text and not leaks(text)
    secret = client.get("/cases/feed/", {"agency": canary["secret_agency"].slug})
    missing = client.get("/cases/feed/", {"agency": "no-such-agency-xyz"})
    assert secret.status_code == missing.status_code == 400
    assert (secret.content.decode().replace(canary["secret_agency"].slug, "X")
            == missing.content.decode().replace("no-such-agency-xyz", "X"))
    feed_by_id = client.get("/cases/feed/", {"agency_id": canary["secret_agency"].pk})
    assert feed_by_id.status_code == 400 and not leaks(body_of(feed_by_id))


@pytest.mark.parametrize("query,hidden", [
    ({"destination_country": "TV"}, "Withholding Canary"),
    ({"q": "CNRY-withheld-native-d4r5"}, "Withholding Canary"),
    ({"q": "CNRYwithheldnarrativec3e6"}, "Withholding Canary"),
    ({"q": "CNRY-withheld-role-b2w7"}, "Withholding Canary"),
    ({"year_min": 1899, "year_max": 1899}, "Withholding Canary"),
    ({"q": "Guarded Canary"}, "Guarded Canary"),
    ({"motive": "canary-motive"}, "Guarded Canary"),
    ({"status": ["draft", "review", "retracted"]}, "Hidden"),
    ({"q": "Hidden CNRY"}, "Hidden"),
])
def test_the_feed_filters_find_no_hidden_fact(client, canary, query, hidden):
    """The feed's filters on withheld fields, an at-risk person's name and motive, a withheld
    year and the staff-only status: the hidden case is no entry, and no marker is in the
    answer but the query the feed echoes in its title."""
    answer = client.get("/cases/feed/", query)
    text = body_of(answer)
    for value in query.values():
        text = text.replace(str(value), "")
    assert answer.status_code in (200, 400) and not leaks(text), leaks(text)
    assert f"<entry><title>{hidden}" not in text, query


def test_citations_and_meta_of_every_canary_case_show_no_hidden_fact(client, canary):
    """Every case's citation in each format, and its page's <head>: nothing hidden; drafts
    404, retracted 410 with nothing but the tombstone."""
    for case in Case.objects.all():
        for fmt in ["bib", "ris", "json"]:
            answer = client.get(f"/cases/{case.pk}/citation.{fmt}/")
            assert answer.status_code in (200, 404, 410), (case.status, fmt)
            assert not leaks(body_of(answer)), (case.pk, case.status, fmt, leaks(body_of(answer)))
        assert not leaks(body_of(client.get(f"/cases/{case.pk}/")))


def test_the_changelog_of_a_release_names_no_draft(releases_dir, canary):  # noqa: F811
    """A case moved back to draft and a new draft between two releases: the changelog lists
    the first as retracted (it was public) and never the second, nor any marker."""
    release()
    unpublished = canary["control"]
    Case.objects.filter(pk=unpublished.pk).update(status="draft")
    draft = CaseFactory(status="draft", summary=f"summary {DRAFT}")
    release()
    manifest = json.loads((releases_dir / "1.1" / "manifest.json").read_text())
    ids = {i for change in manifest["changes"]["cases"].values() for i in change}
    assert draft.pk not in ids and unpublished.pk in manifest["changes"]["cases"]["retracted"]
    for path in (releases_dir / "1.1").iterdir():
        assert not leaks(path.read_bytes().decode("utf-8", "replace")), path.name


@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    "/data/../manifest.json", "/data/1.0/..%2Fmanifest.json", "/data/1.0/%00", "/data/1.0%00/manifest.json",
    "/data/1.0%0A/manifest.json", "/data/1.0/manifest.json%00", "/data/1.0/.", "/data/1.0/..",
    "/data/99999999999999999999.0/manifest.json", "/data/1.0/citation.%00/", "/data/1.0%0A/citation.bib/",
    "/data/1.0/citation.xml/", "/data/" + "9" * 5000 + "/citation.bib/", "/data/1.0/" + "ж" * 3000,
    "/cases/1/citation.%00/", "/cases/99999999999999999999999/citation.bib/", "/cases/-1/citation.bib/",
    "/cases/feed/?q=%00%00", "/cases/feed/?q=" + "\U0001F600" * 2000, "/cases/feed/?year_min=%00",
    "/cases/feed/?year_min=99999999999999999999", "/cases/feed/?agency_id=99999999999999999999",
    "/cases/feed/?ordering=%00&page=-1", "/cases/feed/?updated_after=%00", "/cases/feed/?q=%ED%A0%80",
    "/cases/feed/?form=%EF%BF%BF&q=\x7f", "/cases/feed/?agency=a&agency=%00",
])
def test_odd_addresses_are_never_a_500(client, releases_dir, url):  # noqa: F811
    """Traversal, NUL bytes, newlines, huge numbers and odd unicode in the new addresses:
    a 4xx or a page, never a 500, and nothing outside a release's listed files."""
    CaseFactory(date="1999")
    release()
    (releases_dir / "secret.txt").write_text("outside")
    answer = client.get(url)
    assert answer.status_code < 500, (url, answer.status_code)
    if answer.status_code == 200 and url.startswith("/data/"):
        assert b"outside" not in (answer.getvalue() if answer.streaming else answer.content)


@pytest.mark.parametrize("body", [
    {"person": "1; DROP", "agency": 1}, {"person": [1], "agency": {"id": 1}},
    {"person": 99999999999999999999, "agency": 1}, {"person": None, "agency": None},
    {"person": -1, "agency": 0, "date": "x" * 10000}, {"role": "a\x00b"}, {"date": "\x00"},
    {"date": "31.02.2020"}, {"date_start": "2020-01-01", "date_end": "1990-01-01"},
    {"date_start": "99999-01-01"}, {"date_precision": "eon"}, {"role": "ж" * 5000}, [], "x",
])
def test_bad_affiliation_bodies_are_a_400(researcher, body):
    """The affiliations API with wrong types, NUL bytes, impossible dates: a 400, never a 500."""
    person = CaseFactory(status="draft").person
    agency = AgencyFactory()
    if isinstance(body, dict):
        body = {"person": person.pk, "agency": agency.pk, **body}
    answer = researcher.post("/api/v1/affiliations/", body, format="json")
    assert answer.status_code == 400, (body if len(str(body)) < 200 else "long", answer.content[:300])


def test_a_researcher_cannot_add_to_or_move_into_a_public_career(researcher):
    """A researcher adds an affiliation to a published case's person, or moves one of a
    draft's person onto that person: both refused, nothing written."""
    public = CaseFactory(status="published").person
    draft_person = CaseFactory(status="draft").person
    agency = AgencyFactory()
    answer = researcher.post("/api/v1/affiliations/", {"person": public.pk, "agency": agency.pk,
                                                        "role": "Planted"}, format="json")
    assert answer.status_code == 403
    mine = Affiliation.objects.create(person=draft_person, agency=agency, role="Mine")
    answer = researcher.patch(f"/api/v1/affiliations/{mine.pk}/", {"person": public.pk}, format="json")
    assert answer.status_code == 403
    assert not Affiliation.objects.filter(person=public).exists()


def test_a_researcher_cannot_remove_a_public_career(researcher):
    """Deleting a published case's person's affiliation is the editor's."""
    public = CaseFactory(status="published").person
    shown = Affiliation.objects.create(person=public, agency=AgencyFactory(), role="Shown")
    assert researcher.delete(f"/api/v1/affiliations/{shown.pk}/").status_code == 403
    assert Affiliation.objects.filter(pk=shown.pk).exists()


def test_a_minimal_case_post_by_a_researcher_is_never_published(researcher):
    """A researcher's minimal case POST asking for status=published: refused or kept a draft."""
    person = PersonFactory()
    answer = researcher.post("/api/v1/cases/", {"person": person.pk, "form": "geographic",
                                                "status": "published", "summary": "Minimal."},
                             format="json")
    assert answer.status_code in (400, 403), answer.content[:300]
    assert not Case.objects.filter(person=person, status="published").exists()


def test_a_withholding_added_after_a_release_is_kept_from_the_next(releases_dir, canary):  # noqa: F811
    """The next release withholds what was withheld since: the new file has no value."""
    release()
    control = canary["control"]
    Case.objects.filter(pk=control.pk).update(place="ATTACK15-place-later-withheld")
    release()
    Withholding.objects.create(case=control, field="place", reason="Safety.")
    release()
    assert "ATTACK15-place-later-withheld" in (releases_dir / "1.1" / "cases.json").read_text()
    assert "ATTACK15-place-later-withheld" not in (releases_dir / "1.2" / "cases.json").read_text()


def test_the_changelog_tells_no_hidden_edit(releases_dir, canary):  # noqa: F811
    """Between two releases an editor rewrites an at-risk person's case and bio and a
    withheld field of another case: the changelog lists neither case nor person as changed
    (the public reads the same records), so it tells no hidden edit."""
    release()
    at_risk, withheld = canary["at_risk"], canary["withheld"]
    for case, fields in [(at_risk, {"place": "Elsewhere", "summary": "Rewritten.", "narrative": "New."}),
                         (withheld, {"place": "Another withheld place", "narrative": "Another story."})]:
        case = Case.objects.get(pk=case.pk)
        for name, value in fields.items():
            setattr(case, name, value)
        case.save()
    person = Person.objects.get(pk=at_risk.person_id)
    person.bio = "A rewritten hidden bio."
    person.save()
    release()
    changes = json.loads((releases_dir / "1.1" / "manifest.json").read_text())["changes"]
    assert changes["cases"] == {"added": [], "changed": [], "retracted": []}, changes["cases"]
    assert at_risk.person_id not in changes["people"]["changed"]


@pytest.mark.parametrize("endpoint,q", [
    ("people", "CNRY-atrisk-native-h5j2"), ("people", "CNRY-atrisk-alias-t9d4"),
    ("people", "CNRY-withheld-native-d4r5"), ("people", "CNRY-draft-q7x1"), ("people", "Guarded Canary"),
    ("sources", "CNRY-atrisk-source-z3o9"), ("sources", "only CNRY-draft"),
    ("agencies", "Canary Posting Directorate"), ("agencies", "Canary Drafted Bureau"),
])
def test_the_lists_csv_searches_find_nothing_hidden(canary, api, endpoint, q):
    """The CSV the /people/, /sources/ and /agencies/ pages now link, searched for a hidden
    name: no row (a row would confirm the hidden name belongs to someone listed), and no
    marker in any row. An at-risk person is found by display name only."""
    rows = read_csv(api.get(f"/api/v1/{endpoint}/", {"q": q, "format": "csv"}))
    results = api.get(f"/api/v1/{endpoint}/", {"q": q}).json()["results"]
    assert not leaks(json.dumps([rows, results], ensure_ascii=False))
    if q == "Guarded Canary":
        assert q in [row["name"] for row in rows]  # the name alone is public: the check can fail
    else:
        assert rows == [] and results == [], (endpoint, q)
