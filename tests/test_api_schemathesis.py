"""Schemathesis over the whole OpenAPI schema, in-process: generated requests (valid and
odd: NUL bytes, long strings, huge numbers) never make a 5xx, and every response matches
the schema: its status code, content type and body."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.test_api_fixtures import EDITOR, client_for, user_with

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
