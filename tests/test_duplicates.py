"""One article, one source; one act, one case: the same URL written another way is refused
naming the source that has it, and a second case of the same person, form and date waits for
a "not a duplicate" — in the admin and the API alike."""

import importlib
import random
import re
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from defections import invariants
from defections.models import Case, Source
from tests.factories import CaseFactory, SourceFactory
from tests.test_admin_support import case_post, make_user
from tests.test_api_fixtures import client_for, generous_throttle  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db

SAME_PAGE = ["http://example.org/news/1/", "https://www.Example.org/news/1",
             "https://EXAMPLE.org:443/news/1#comments", "https://example.org/news/1?utm_source=x",
             "http://example.org:80/news/1/?utm_medium=feed&utm_campaign=y"]


@pytest.fixture
def source():
    return SourceFactory(title="The first report", url="https://example.org/news/1")


def test_every_spelling_of_one_address_has_one_key(source):
    assert Source.objects.get(pk=source.pk).url_key == "//example.org/news/1"
    for url in SAME_PAGE:
        assert list(Source.objects.with_url(url)) == [source], url
    for other in ["https://example.org/news/2", "https://example.org/news/1?id=2",
                  "https://example.org:8080/news/1", "https://example.org/News/1"]:
        assert not Source.objects.with_url(other).exists(), other


# RFC 3986 section 6.2.2 and the IDNA host: each pair names one document.
SAME_DOCUMENT = [
    ("https://example.org/report?a=1&b=2", "https://example.org/report?b=2&a=1"),
    ("https://example.org/r?b=2&a=1&utm_source=x&a=0", "https://example.org/r?a=1&a=0&b=2"),
    ("https://xn--e1afmkfd.com/report", "https://пример.com/report"),
    ("https://xn--e1afmkfd.xn--p1ai/report", "https://WWW.ПРИМЕР.РФ:443/report/"),
    ("https://xn--bcher-kva.de/report", "https://bücher.de/report"),
    ("https://example.org/report", "https://example.org/./report"),
    ("https://example.org/report", "https://example.org/a/../report"),
    ("https://example.org/a/report", "https://example.org/a/b/c/../../report"),
    ("https://example.org/report", "https://example.org/../report"),
    ("https://example.org/report", "https://example.org/%2e/report"),
    ("https://example.org/report", "https://example.org/%72eport"),
    ("https://example.org/a-b_c.d~e/Z9", "https://example.org/a%2Db%5fc%2Ed%7ee/%5A%39"),
    ("https://example.org/a%2Fb?q=%C3%A9", "https://example.org/a%2fb?q=%c3%a9"),
    ("https://example.org/report?q=report", "https://example.org/report?q=%72eport"),
]

# ...and each of these pairs names two: the folds stop where the RFC stops.
OTHER_DOCUMENT = [
    ("https://example.org/a/b", "https://example.org/a%2Fb"),          # an encoded slash is data
    ("https://example.org/r?a=1&a=2", "https://example.org/r?a=2&a=1"),  # a repeated key keeps its order
    ("https://example.org/r?a=1%262", "https://example.org/r?a=1&2"),    # so is an encoded ampersand
    ("https://example.org/report", "https://example.org/Report"),        # a path keeps its case
    ("https://example.org/a//b", "https://example.org/a/b"),
    ("https://xn--e1afmkfd.com/report", "https://xn--e1afmkfd.org/report"),
    ("https://пример.com/report", "https://примеры.com/report"),
    ("https://xn--80ak6aa92e.com/report", "https://пример.com/report"),  # аррӏе.com, not пример
    ("https://xn--80ak6aa92e.com/report", "https://apple.com/report"),   # a homograph is not its look-alike
    ("https://аррӏе.com/report", "https://apple.com/report"),
]


def url_key(url: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT defections_url_key(%s)", [url])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("first, second", SAME_DOCUMENT)
def test_one_document_written_another_way_has_one_key(first, second):
    source = SourceFactory(url=first)
    assert list(Source.objects.with_url(second)) == [source]
    with pytest.raises(IntegrityError, match="source_url_key_unique"), transaction.atomic():
        Source.objects.create(title="Copy", url=second)


@pytest.mark.parametrize("first, second", OTHER_DOCUMENT)
def test_two_documents_keep_two_keys(first, second):
    SourceFactory(url=first)
    assert not Source.objects.with_url(second).exists()
    Source.objects.create(title="Another", url=second)


@pytest.mark.parametrize("host", ["пример.рф", "ПРИМЕР.РФ", "bücher.de", "президент.рф", "ñandú.com",
                                  "αβγ.gr", "中国.cn", "müller-lüdenscheidt.de", "ünï.cödé.org",
                                  "a.b-ü.example.org", "ﬁnd.com", "kremlin.ru", "exa-mple.org"])
def test_the_databases_ascii_host_is_pythons_idna(host):
    """The database folds a Unicode host to punycode itself (invariants.URL_KEY): it must write
    what Python's IDNA codec writes, the form browsers send."""
    assert url_key(f"https://{host}/a") == f"//{host.encode('idna').decode()}/a"


def test_the_databases_punycode_is_pythons_for_many_labels():
    """Long and short labels, astral and mixed with ASCII: the deltas and bias of RFC 3492."""
    alphabets = ["абвгдеёжзийклмнопрстуфхцчшщъыьэюя", "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿ",
                 "αβγδεζηθικλμνξοπρστυφχψω", "中国語日本한국어", "abcxyz019-", "😀🙂"]
    chosen = random.Random(17)
    labels = ["".join(chosen.choice(chosen.choice(alphabets)) for _ in range(chosen.randint(1, 20)))
              for _ in range(300)]
    labels = [label.strip("-") for label in labels if label.strip("-") and not label.isascii()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT defections_punycode(label) FROM unnest(%s::text[]) WITH ORDINALITY "
                       "AS l(label, n) ORDER BY n", [labels])
        found = [row[0] for row in cursor.fetchall()]
    assert found == [label.encode("punycode").decode() for label in labels]


def test_the_database_keys_urls_by_the_function_in_invariants():
    """The installed function is the one the code reads (a change to invariants.URL_KEY needs a
    migration that installs it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname, prosrc FROM pg_proc "
                       "WHERE proname IN ('defections_url_key', 'defections_punycode')")
        installed = dict(cursor.fetchall())
    written = dict(re.findall(r"FUNCTION (\w+)\(.*?AS \$\$(.*?)\$\$;", invariants.URL_KEY, re.S))
    assert installed == written and len(written) == 2


def test_migration_0034_names_sources_it_finds_at_one_address(source):
    migration = importlib.import_module("defections.migrations.0034_url_keys_fold_rfc3986_and_idna")
    refuse = next(op.code for op in migration.Migration.operations if hasattr(op, "code"))
    editor = SimpleNamespace(connection=connection)
    refuse(None, editor)  # one source per address: goes on
    with connection.cursor() as cursor:  # as before 0034 (the test's transaction rolls it back)
        cursor.execute("DROP INDEX source_url_key_unique")
    twin = Source.objects.create(title="Twin", url="https://example.org/news/./%31")
    with pytest.raises(RuntimeError) as refusal:
        refuse(None, editor)
    assert f"#{source.pk} https://example.org/news/1" in str(refusal.value)
    assert f"#{twin.pk} https://example.org/news/./%31" in str(refusal.value)


def test_the_database_refuses_a_second_spelling(source):
    for url in SAME_PAGE:
        with pytest.raises(IntegrityError, match="source_url_key_unique"), transaction.atomic():
            Source.objects.create(title="Copy", url=url)


def test_the_admin_names_the_source_that_has_the_url(client, source):
    client.force_login(make_user("ed", "Editor"))
    page = client.post(reverse("admin:defections_source_add"), {
        "title": "Copy", "url": "http://www.example.org/news/1/", "reliability": "unknown"})
    assert page.status_code == 200
    assert "The first report" in page.content.decode() and f"#{source.pk}" in page.content.decode()
    assert Source.objects.count() == 1


def test_the_api_names_the_source_that_has_the_url(source):
    editor = client_for(make_user("ed", "Editor"))
    answer = editor.post("/api/v1/sources/", {"title": "Copy", "url": "http://example.org/news/1/"},
                         format="json")
    assert answer.status_code == 400
    assert "The first report" in " ".join(answer.json()["url"]), answer.json()
    assert Source.objects.count() == 1


# --- a second case of one act ------------------------------------------------------------------


@pytest.fixture
def case():
    return CaseFactory(form="geographic", date="March 2022", status="draft")


def test_the_admin_warns_of_the_same_person_form_and_date(client, case):
    client.force_login(make_user("ed", "Editor"))
    post = case_post(None, person=case.person_id, form="geographic", date="2022")
    page = client.post(reverse("admin:defections_case_add"), post)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Possible duplicate" in text and reverse("admin:defections_case_change", args=[case.pk]) in text
    assert Case.objects.count() == 1
    saved = client.post(reverse("admin:defections_case_add"), {**post, "save_anyway": "on"})
    assert saved.status_code == 302 and Case.objects.count() == 2


def test_another_form_or_date_saves_at_once(client, case):
    client.force_login(make_user("ed", "Editor"))
    for other in [{"form": "articulated", "date": "March 2022"}, {"form": "geographic", "date": "2015"}]:
        answer = client.post(reverse("admin:defections_case_add"),
                             case_post(None, person=case.person_id, **other))
        assert answer.status_code == 302, other
    assert Case.objects.count() == 3


def test_the_api_answers_400_naming_the_case_until_confirmed(case):
    editor = client_for(make_user("ed", "Editor"))
    body = {"person": case.person_id, "form": "geographic", "date": "March 2022", "summary": "Again."}
    answer = editor.post("/api/v1/cases/", body, format="json")
    assert answer.status_code == 400
    message = " ".join(answer.json()["save_anyway"])
    assert f"#{case.pk}" in message and "person, form and date" in message
    assert Case.objects.count() == 1
    confirmed = editor.post("/api/v1/cases/", {**body, "save_anyway": True}, format="json")
    assert confirmed.status_code == 201, confirmed.json()
    assert "save_anyway" not in confirmed.json()
    # an edit that leaves person, form and date alone asks nothing
    edited = editor.patch(f"/api/v1/cases/{confirmed.json()['id']}/", {"summary": "Edited."}, format="json")
    assert edited.status_code == 200, edited.json()


def test_the_migration_names_sources_already_entered_twice(source):
    """Migration 0032 keys the existing sources; two already at one address are an editor's
    merge, so it stops naming them rather than pick one."""
    migration = importlib.import_module("defections.migrations.0032_published_cases_chose_and_url_keys")
    editor = SimpleNamespace(connection=connection)
    migration.refuse_duplicate_sources(None, editor)  # one source per address: goes on
    with connection.cursor() as cursor:  # as before 0032 (the test's transaction rolls it back)
        cursor.execute("DROP INDEX source_url_key_unique")
    twin = Source.objects.create(title="Twin", url="http://www.example.org/news/1/")
    with pytest.raises(RuntimeError) as refusal:
        migration.refuse_duplicate_sources(None, editor)
    assert f"#{source.pk} https://example.org/news/1" in str(refusal.value)
    assert f"#{twin.pk} http://www.example.org/news/1/" in str(refusal.value)
