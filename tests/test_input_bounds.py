"""Input with no bound: a search too long to be a search, JSON that Python parses but nothing
after it can hold (lone surrogates, 1e999, nesting deeper than the interpreter's stack), a
body of any size, and query strings that are not UTF-8. Each is a 400, never a 500."""

import json
import time

import pytest

from defections.filtersets import Q_MAX_LENGTH
from tests.factories import PersonFactory

pytest_plugins = ["tests.test_api_fixtures"]

LONG_Q = "a" * (Q_MAX_LENGTH + 1)


# --- the search --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/cases/", "/people/", "/sources/"])
def test_a_long_search_is_a_form_error_on_the_pages(client, seeded, path):
    response = client.get(path, {"q": LONG_Q})
    assert response.status_code == 400
    assert response.context["form"].errors["q"]
    assert f"at most {Q_MAX_LENGTH} characters" in response.content.decode()


@pytest.mark.parametrize("endpoint", ["cases", "people", "agencies", "sources"])
def test_a_long_search_is_a_400_naming_q_on_the_api(api, seeded, endpoint):
    response = api.get(f"/api/v1/{endpoint}/", {"q": LONG_Q})
    assert response.status_code == 400
    assert list(response.json()) == ["q"]
    assert api.get(f"/api/v1/{endpoint}/", {"q": "a" * Q_MAX_LENGTH}).status_code == 200


def test_a_30_kb_search_is_refused_at_once(api, client, seeded):
    started = time.monotonic()
    assert api.get("/api/v1/cases/", {"q": "x y " * 7500}).status_code == 400
    assert client.get("/cases/", {"q": "x y " * 7500}).status_code == 400
    assert time.monotonic() - started < 2


# --- JSON bodies -------------------------------------------------------------------------------


def post_raw(client, url, body: str):
    return client.post(url, body, content_type="application/json")


TOKEN = "/api/v1/auth/token/"


@pytest.mark.parametrize(("body", "field"), [
    ('{"username": "\\ud800", "password": "x"}', "username"),
    ('{"username": "admin", "password": "\\udfff"}', "password"),
    ('{"username": 1e999, "password": "x"}', "username"),
    ('{"username": -1e999, "password": "x"}', "username"),
    ('{"username": "admin", "password": NaN}', "password"),
    ('{"username": "admin", "password": Infinity}', "password"),
    ('{"username": ["a", {"b": [1e400]}], "password": "x"}', "username"),
    # a failed login is recorded with its username (axes: 255 characters at most)
    ('{"username": "%s", "password": "x"}' % ("u" * 300), "username"),
])
def test_the_token_endpoint_refuses_what_nothing_can_store(api, db, body, field):
    response = post_raw(api, TOKEN, body)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deep_json_is_a_400(api, db, depth):
    response = post_raw(api, TOKEN, "[" * depth + "]" * depth)
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]
    response = post_raw(api, TOKEN, '{"a": ' * depth + "1" + "}" * depth)
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]


def test_json_nested_32_deep_is_read(api, db):
    response = post_raw(api, TOKEN, "[" * 32 + "]" * 32)
    assert "nested deeper" not in str(response.json())


def test_deep_json_in_a_field_is_a_400(api, db):
    body = '{"username": ' + "[" * 100_000 + "]" * 100_000 + ', "password": "x"}'
    assert post_raw(api, TOKEN, body).status_code == 400


def test_json_up_to_the_depth_limit_is_read(api, db):
    body = {"username": json.loads("[" * 30 + "]" * 30), "password": "x"}
    response = post_raw(api, TOKEN, json.dumps(body))
    assert response.status_code == 400 and "username" in response.json()  # not a string


def test_a_body_over_the_size_limit_is_a_400(api, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_raw(api, TOKEN, json.dumps({"username": "a" * 2000, "password": "x"}))
    assert response.status_code == 400
    assert "detail" in response.json()


def test_paired_surrogates_are_an_ordinary_character(api, db):
    # "\ud83d\ude00" is JSON's way to write 😀: fine.
    response = post_raw(api, TOKEN, '{"username": "\\ud83d\\ude00", "password": "x"}')
    assert response.status_code == 400
    assert "non_field_errors" in response.json()  # wrong credentials, not bad JSON


def test_form_posts_to_the_token_endpoint_still_work(api, db):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("former", password="a-long-test-password")
    response = api.post(TOKEN, {"username": "former", "password": "a-long-test-password"})
    assert response.status_code == 200 and response.json()["token"]


@pytest.fixture
def person(db):
    return PersonFactory()


def a_case(person, **fields):
    return {"person": person.pk, "form": "geographic", "date": "April 2022", **fields}


@pytest.mark.parametrize("field", ["form", "verification", "status", "visibility", "classification",
                                   "destination_country", "country_from"])
def test_a_lone_surrogate_in_a_choice_is_a_400_naming_it(editor, person, field):
    body = json.dumps(a_case(person))[:-1] + f', "{field}": "\\ud800"}}'
    response = post_raw(editor, "/api/v1/cases/", body)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()


@pytest.mark.parametrize("value", ["1e999", "-1e999", "NaN", "Infinity", "-Infinity"])
def test_a_non_finite_number_is_a_400_naming_the_field(editor, person, value):
    body = f'{{"person": {value}, "form": "geographic"}}'
    response = post_raw(editor, "/api/v1/cases/", body)
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["person"], response.json()


def test_a_surrogate_in_a_key_is_a_400(editor, person):
    response = post_raw(editor, "/api/v1/cases/", '{"\\ud800": 1}')
    assert response.status_code == 400
    response.json()  # and it renders


# --- query strings -----------------------------------------------------------------------------

BAD_QUERIES = ["q=%ED%A0%80", "q=%ff%fe", "form=%ED%A0%80", "%ED%A0%80=1", "status=%c3%28",
               "ordering=%ED%A0%80", "page=%ff", "format=%ff", "q=%F4%90%80%80"]


@pytest.mark.parametrize("path", ["/cases/", "/people/", "/sources/", "/agencies/",
                                  "/api/v1/cases/", "/api/v1/people/", "/api/v1/sources/",
                                  "/api/v1/agencies/", "/api/v1/periods/", "/api/v1/stats/"])
def test_query_strings_that_are_not_utf_8(client, seeded, path):
    for query in BAD_QUERIES:
        response = client.get(path, QUERY_STRING=query)
        assert response.status_code < 500, (path, query)
