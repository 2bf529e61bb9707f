"""Schemathesis over the whole OpenAPI schema, in-process: generated requests (valid and
odd: NUL bytes, long strings, huge numbers) never make a 5xx, and every response matches
the schema: its status code, content type and body. Then Hypothesis, for what no schema
allows: odd JSON text and odd query strings (see below)."""

import json

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from defections.filtersets import Q_MAX_LENGTH
from tests.test_api_fixtures import EDITOR, client_for, user_with
from tests.test_fuzz_pages import CASE_FILTERS, PAGING, query_strings

pytest_plugins = ["tests.test_api_fixtures"]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


# Loaded at import: generating the schema reads no data. (schemathesis.pytest.from_fixture
# does not work with this pytest version: it sets `node._nodeid`.)
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI handler closes "old" connections after each request, as Django's test client
    avoids doing: that would close the test's transaction."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def editor_token(seeded):
    client = client_for(user_with("schemathesis-editor", *EDITOR))
    return client._credentials["HTTP_AUTHORIZATION"]


@schema.parametrize()
@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_anonymous_requests_conform(case, seeded):
    case.call_and_validate(checks=CHECKS)


@schema.include(method=["POST", "PUT", "PATCH", "DELETE"]).parametrize()
@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_editor_requests_conform(case, editor_token):
    case.call_and_validate(headers={"Authorization": editor_token}, checks=CHECKS)


# --- bodies and query strings that schemathesis does not write ----------------------------------
# Schemathesis sends what the schema allows. Hypothesis writes the raw text a client could
# send instead: lone surrogates (JSON's "\ud800"), numbers no float holds, nesting deeper
# than any record and, in query strings, searches past Q_MAX_LENGTH and bytes that are not
# UTF-8. None may be a 5xx, every answer is JSON, and whatever holds one of the first three
# is a 400.

BAD_SCALARS = ['"\\ud800"', '"\\udfff"', '"a\\udc00b"', "1e999", "-1e999", "NaN", "Infinity", "-Infinity"]
FINE_SCALARS = ['"\\ud83d\\ude00"', "1e-999", "0", "-1", "1.5", "true", "null", '""', '"geographic"',
                '"published"', '"RU"', '"April 2022"', "10" * 200]
FIELDS = ["username", "password", "person", "form", "status", "verification", "visibility",
          "classification", "destination_country", "country_from", "date", "agency", "motives",
          "citations", "source", "name", "title", "url", "api_url", "kind", "reliability"]
BODY_SETTINGS = hypothesis_settings(max_examples=30, deadline=None, database=None,
                                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                           HealthCheck.too_slow])

keys = st.one_of(st.sampled_from(FIELDS).map(json.dumps), st.sampled_from(['"\\ud800"', '""']))
scalars = st.one_of(st.sampled_from(BAD_SCALARS + FINE_SCALARS), st.integers().map(str),
                    st.text(max_size=20).map(json.dumps))


def containers(inner):
    return st.one_of(
        st.lists(inner, max_size=3).map(lambda items: "[" + ",".join(items) + "]"),
        st.lists(st.tuples(keys, inner), max_size=4).map(
            lambda pairs: "{" + ",".join(f"{k}: {v}" for k, v in pairs) + "}"))


values = st.recursive(scalars, containers, max_leaves=12)
deep = st.tuples(st.integers(min_value=33, max_value=200_000), st.sampled_from(["[", '{"a": '])).map(
    lambda nd: nd[1] * nd[0] + "1" + ("]" if nd[1] == "[" else "}") * nd[0])


@st.composite
def bodies(draw):
    """A JSON object of known fields, and whether one of them surely holds what is refused."""
    fields = draw(st.lists(st.tuples(st.sampled_from(FIELDS), values), max_size=5))
    bad = draw(st.one_of(st.none(), st.sampled_from(BAD_SCALARS), deep))
    if bad is not None:
        at = draw(st.integers(min_value=0, max_value=len(fields)))
        fields.insert(at, (draw(st.sampled_from(FIELDS)), bad))
    text = "{" + ",".join(f"{json.dumps(name)}: {value}" for name, value in fields) + "}"
    return text, bad is not None


def check_body(client, url, text, refused):
    response = client.post(url, text, content_type="application/json")
    assert response.status_code < 500, (url, text[:200])
    response.json()  # an answer in JSON, whatever was sent
    if refused:
        assert response.status_code == 400, (url, text[:200], response.content[:300])


def test_anonymous_token_requests_with_odd_json(api, db):
    @BODY_SETTINGS
    @given(body=bodies())
    def fuzz(body):
        check_body(api, "/api/v1/auth/token/", *body)

    fuzz()


@pytest.mark.parametrize("endpoint", ["cases", "people", "sources"])
def test_writes_with_odd_json(db, endpoint):
    writer = client_for(User.objects.create_superuser("odd-json", password="a-long-test-password"))

    @BODY_SETTINGS
    @given(body=bodies())
    def fuzz(body):
        check_body(writer, f"/api/v1/{endpoint}/", *body)

    fuzz()


@BODY_SETTINGS
@given(text=st.one_of(values, deep))
def test_any_json_text_on_the_token_endpoint(api, db, text):
    response = api.post("/api/v1/auth/token/", text, content_type="application/json")
    assert response.status_code < 500, text[:200]
    response.json()


API_FILTERS = {
    "cases": [*CASE_FILTERS, "format"],
    "people": ["q", "updated_after", "format", *PAGING],
    "agencies": ["q", "kind", "parent", "format", *PAGING],
    "sources": ["q", "kind", "reliability", "language", "updated_after", "format", *PAGING],
    "periods": ["format", *PAGING],
    "stats": [*CASE_FILTERS, "format"],
}


@pytest.mark.parametrize("endpoint", API_FILTERS)
def test_no_query_string_breaks_the_api(api, seeded, endpoint):
    @hypothesis_settings(max_examples=40, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                HealthCheck.too_slow])
    @given(query=query_strings(API_FILTERS[endpoint]))
    def fuzz(query):
        response = api.get(f"/api/v1/{endpoint}/", QUERY_STRING=query)
        assert response.status_code < 500, query
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"Traceback" not in body, query

    fuzz()


@pytest.mark.parametrize("endpoint", ["cases", "people", "agencies", "sources", "stats"])
def test_a_search_over_the_limit_is_a_400_naming_q(api, seeded, endpoint):
    @hypothesis_settings(max_examples=10, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(length=st.integers(min_value=Q_MAX_LENGTH + 1, max_value=50_000))
    def fuzz(length):
        response = api.get(f"/api/v1/{endpoint}/", {"q": "я" * length})
        assert response.status_code == 400 and "q" in response.json(), response.content[:200]

    fuzz()
