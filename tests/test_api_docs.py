"""The API's docs (/api/v1/docs/, /api/v1/schema/) read by a person: no enum so long that it
fills the page, agency slugs findable, and a way back to the site."""

import json

import pytest

pytest_plugins = ["tests.test_api_fixtures"]

# The /cases/ list operation as served (UTF-8 JSON), at most, by language. Its ~20 case
# filters, with the codebook's definition of each coded value, paging, format and language,
# and eight error answers come to 10.9 KB in English and 16.5 KB in Russian (two bytes a
# Cyrillic letter); the list of 249 countries (enum plus a line each) added another 6.3 KB
# in English (17.1 KB in all, ~10,000 px tall in Swagger). The bounds leave ~10% for a few
# more filters and words, and not room for any list of countries or agencies, which would
# be the same mistake again.
CASES_OPERATION_BYTES = {"en": 12_000, "ru": 18_000}
LONG_ENUM = 30  # an enum longer than this is described, not listed


def schema(api, lang="en") -> dict:
    response = api.get(f"/api/v1/schema/?format=json&lang={lang}")
    assert response.status_code == 200
    return response.json()


def parameters(operation) -> dict:
    return {p["name"]: p for p in operation.get("parameters", [])}


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if isinstance(operation, dict):
                yield path, method, operation


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_case_list_operation_stays_small(api, db, lang):
    operation = schema(api, lang)["paths"]["/api/v1/cases/"]["get"]
    size = len(json.dumps(operation, ensure_ascii=False).encode())
    assert size < CASES_OPERATION_BYTES[lang], size


def test_no_query_parameter_lists_a_long_enum(api, db):
    document = schema(api)
    for path, method, operation in operations(document):
        for name, parameter in parameters(operation).items():
            spec = parameter.get("schema", {})
            values = spec.get("enum") or spec.get("items", {}).get("enum") or []
            assert len(values) <= LONG_ENUM, (path, method, name, len(values))
            assert parameter.get("description", "").count("\n* `") <= LONG_ENUM, (path, name)


def test_the_country_filter_is_described_as_a_code_with_a_link(api, db):
    for lang, cases in [("en", "/cases/"), ("ru", "/ru/cases/")]:
        document = schema(api, lang)
        for path in ("/api/v1/cases/", "/api/v1/stats/", "/api/v1/analysis/"):
            country = parameters(document["paths"][path]["get"])["destination_country"]
            assert country["schema"]["type"] == "array"
            assert country["schema"]["items"]["type"] == "string"
            description = country["description"]
            assert "ISO 3166-1 alpha-2" in description and f"]({cases}" in description, description
            assert "`SU`" in description


def test_the_country_filter_still_takes_a_code(api, seeded):
    """Described, not enumerated, it refuses what is not a code all the same."""
    assert api.get("/api/v1/cases/?destination_country=US").status_code == 200
    bad = api.get("/api/v1/cases/?destination_country=ZZ")
    assert bad.status_code == 400 and "destination_country" in bad.json()


def test_the_agency_filter_says_where_its_slugs_are(api, seeded):
    document = schema(api)
    for path in ("/api/v1/cases/", "/api/v1/stats/"):
        named = parameters(document["paths"][path]["get"])
        assert "/api/v1/agencies/" in named["agency"]["description"]
        assert "/api/v1/agencies/" in named["agency_id"]["description"]
        assert "/api/v1/periods/" in named["period"]["description"]
    assert "/api/v1/agencies/" in parameters(document["paths"]["/api/v1/agencies/"]["get"])["parent"].get(
        "description", "")
    agencies = api.get("/api/v1/agencies/").json()["results"]
    assert agencies and all(agency["slug"] for agency in agencies)
    assert "mid" in {agency["slug"] for agency in agencies}
    for agency in agencies:  # a slug listed there is one the filter takes
        assert api.get("/api/v1/cases/", {"agency": agency["slug"]}).status_code == 200


@pytest.mark.parametrize(("lang", "home", "about"), [("en", "/", "/about/"), ("ru", "/ru/", "/ru/about/")])
def test_the_schema_links_back_to_the_site(api, db, lang, home, about):
    description = schema(api, lang)["info"]["description"]
    assert f"](http://testserver{home})" in description
    assert f"](http://testserver{about})" in description

