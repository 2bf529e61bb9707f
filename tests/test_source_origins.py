"""Source independence (issue 13): a reprint, wire copy, repost or translation derives from
its original, and counts with it as one origin. A confirmed case needs two origins, in the
database whatever path writes, and in every face's own check; chains never loop."""

import pytest
from django.db import IntegrityError, connection, transaction

from defections.models import Case, Citation, Source
from tests.factories import CaseFactory, SourceFactory
from tests.test_admin import url
from tests.test_admin_support import case_post, make_user
from tests.test_api_fixtures import client_for, generous_throttle  # noqa: F401 (autouse)
from tests.test_invariants import commit_checks, refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def wire():
    """A TASS story, RIA's reprint of it, and a translation of the reprint."""
    tass = SourceFactory(title="TASS: the story", outlet="TASS")
    ria = SourceFactory(title="RIA: the story again", outlet="RIA", derived_from=tass)
    translation = SourceFactory(title="The story, translated", derived_from=ria)
    return tass, ria, translation


def test_the_database_sets_each_sources_origin(wire):
    tass, ria, translation = wire
    for source in wire:
        source.refresh_from_db()
    assert [s.origin_id for s in wire] == [tass.pk] * 3
    # moved under another source: what derives from it moves too, by any path
    other = SourceFactory(title="Interfax")
    Source.objects.filter(pk=tass.pk).update(derived_from=other)
    assert set(Source.objects.filter(pk__in=[s.pk for s in wire]).values_list("origin_id", flat=True)) == {
        other.pk}
    with connection.cursor() as cursor:
        cursor.execute("UPDATE defections_source SET derived_from_id = NULL WHERE id = %s", [ria.pk])
    assert dict(Source.objects.filter(pk__in=[s.pk for s in wire]).values_list("pk", "origin_id")) == {
        tass.pk: other.pk, ria.pk: ria.pk, translation.pk: ria.pk}
    # nobody can set the origin by hand
    Source.objects.filter(pk=translation.pk).update(origin=tass)
    translation.refresh_from_db()
    assert translation.origin_id == ria.pk


def test_no_chain_loops(wire):
    tass, ria, translation = wire
    for write in [lambda: Source.objects.filter(pk=tass.pk).update(derived_from=translation),
                  lambda: Source.objects.filter(pk=tass.pk).update(derived_from=tass)]:
        with pytest.raises(IntegrityError) as error, transaction.atomic():
            write()
        assert "cannot derive from itself" in str(error.value)


def test_a_reprint_does_not_confirm_a_case(wire):
    tass, ria, translation = wire
    case = CaseFactory(status="draft")
    for source in (tass, ria, translation):
        Citation.objects.create(case=case, source=source)
    assert "two different origins" in refused(
        lambda: Case.objects.filter(pk=case.pk).update(verification="confirmed"))
    # an independent source confirms it
    Citation.objects.create(case=case, source=SourceFactory(title="Meduza's own reporting"))
    Case.objects.filter(pk=case.pk).update(verification="confirmed")
    commit_checks()


def test_making_a_source_a_reprint_cannot_unconfirm_a_case(wire):
    tass, ria, _ = wire
    independent = SourceFactory(title="Independent")
    case = CaseFactory(status="draft")
    Citation.objects.create(case=case, source=tass)
    Citation.objects.create(case=case, source=independent)
    Case.objects.filter(pk=case.pk).update(verification="confirmed")
    commit_checks()
    assert "two different origins" in refused(
        lambda: Source.objects.filter(pk=independent.pk).update(derived_from=ria))


def test_every_face_refuses_confirming_by_a_reprint(client, wire):
    tass, ria, _ = wire
    editor = make_user("ed", "Editor")
    case = CaseFactory(status="draft", summary="Reprinted.")
    api = client_for(editor)
    answer = api.patch(f"/api/v1/cases/{case.pk}/", {"verification": "confirmed", "citations": [
        {"source": tass.pk}, {"source": ria.pk}]}, format="json")
    assert answer.status_code == 400 and "two independent origins" in str(answer.json()["citations"])
    client.force_login(editor)
    refused = client.post(url("case_change", case.pk),
                          case_post(case, verification="confirmed", citations=[tass, ria]))
    assert refused.status_code == 200 and "two independent origins" in refused.content.decode()
    assert not case.citations.exists()
    accepted = client.post(url("case_change", case.pk), case_post(
        case, verification="confirmed", citations=[tass, SourceFactory(title="Independent")]))
    assert accepted.status_code == 302
    case.refresh_from_db()
    assert case.verification == "confirmed"


def test_the_faces_show_origins(client, wire):
    tass, ria, translation = wire
    case = CaseFactory(status="draft", summary="Three sources, two origins.")
    for source in (tass, ria, SourceFactory(title="Independent")):
        Citation.objects.create(case=case, source=source)
    Case.objects.filter(pk=case.pk).update(status="published")
    data = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert data["origin_count"] == 2
    reprint = client.get(f"/api/v1/sources/{ria.pk}/").json()
    assert (reprint["derived_from"]["id"], reprint["origin"]["id"]) == (tass.pk, tass.pk)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "3 sources, 2 independent origins" in page
    source_page = client.get(ria.get_absolute_url()).content.decode()
    assert "Derived from" in source_page and tass.title in source_page
    # the translation is cited by nothing public: the reprint's page does not name it
    assert translation.title not in source_page
    assert client.get(translation.get_absolute_url()).status_code == 404


def test_a_public_reprints_original_is_public_with_it(client):
    original = SourceFactory(title="Cited only by a draft")
    draft = CaseFactory(status="draft")
    Citation.objects.create(case=draft, source=original)
    assert client.get(original.get_absolute_url()).status_code == 404
    reprint = SourceFactory(title="A public reprint", derived_from=original)
    CaseFactory(status="published", sourced=False).citations.create(source=reprint)
    assert client.get(original.get_absolute_url()).status_code == 200
    listed = {s["id"] for s in client.get("/api/v1/sources/?page_size=100").json()["results"]}
    assert {original.pk, reprint.pk} <= listed
    # what it supports publicly: nothing (the draft stays hidden)
    assert "None published" in client.get(original.get_absolute_url()).content.decode()


def test_a_write_answers_with_the_origin_the_database_set(wire):
    tass, _, _ = wire
    api = client_for(make_user("ed", "Editor"))
    made = api.post("/api/v1/sources/", {"title": "Another reprint", "kind": "news",
                                         "derived_from": tass.pk}, format="json").json()
    assert (made["derived_from"]["id"], made["origin"]["id"]) == (tass.pk, tass.pk)
    alone = api.post("/api/v1/sources/", {"title": "Independent", "kind": "news"}, format="json").json()
    assert alone["origin"]["id"] == alone["id"]


def test_a_loop_is_a_form_error_and_a_400(client, wire):
    tass, _, translation = wire
    editor = make_user("ed", "Editor")
    answer = client_for(editor).patch(f"/api/v1/sources/{tass.pk}/", {"derived_from": translation.pk},
                                      format="json")
    assert answer.status_code == 400 and "derive from itself" in str(answer.json()["derived_from"])
    client.force_login(editor)
    page = client.post(url("source_change", tass.pk), {
        "title": tass.title, "kind": tass.kind, "reliability": tass.reliability,
        "derived_from": translation.pk})
    assert page.status_code == 200 and "derive from itself" in page.content.decode()
    tass.refresh_from_db()
    assert tass.derived_from_id is None
