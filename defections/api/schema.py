"""The OpenAPI schema: error responses on every operation, enums with the codebook's
definitions, brief objects read / ids written, and what an at-risk case leaves out."""

from django.urls import reverse
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from defections import choices, redaction, withholding
from defections.dates import Precision
from defections.filtersets import Q_MAX_LENGTH

CODEBOOK = [choices.Form, choices.Visibility, choices.Verification, choices.Classification,
            choices.Status, choices.ResponseKind, choices.AgencyKind, choices.SourceKind,
            choices.Reliability, choices.Claim, Precision]

LANGUAGE = "lang"
# The schema's words in the reader's language (the settings hold the same English).
TITLE = _("Defection case database API")
DESCRIPTION = _("Defections from the Soviet and Russian state: cases, people, agencies, sources "
                "and periods of instability, filtered like the public pages, in JSON or CSV.")
# What each operation does, by view and action (None: every action of the view), as readers
# see it in the schema: the views' docstrings are for their maintainers.
_MODEL_WRITES = _("Writes are one transaction each; with `If-Match`, only on the version the client read.")
OPERATIONS = {
    ("CaseViewSet", None): _(
        "Cases of defection. The public sees published cases; staff (view_case) see all."),
    ("CaseViewSet", "retrieve"): _(
        "A retracted case answers 410 with its retraction notice, not a bare 404."),
    ("PersonViewSet", None): _("People with at least one visible case (staff: everyone)."),
    ("AgencyViewSet", None): _("Agencies named by public data, with their lines (staff: every agency)."),
    ("SourceViewSet", None): _("Sources cited by a visible case or its responses (staff: every source)."),
    ("AffiliationViewSet", None): _(
        "Posts held in agencies, of the people whose details the reader sees (staff: all)."),
    ("PeriodViewSet", None): _MODEL_WRITES,
    ("StatsView", None): _("Counts by year × form, by agency and by period, under the case filters."),
    ("AnalysisView", None): _(
        "Do defections cluster in the periods of instability? The rate of cases per year in the "
        "periods against outside them, under the case filters (as on /analysis/)."),
    ("TokenView", None): _(
        "A username and password for an API token: send it as `Authorization: Token …`."),
    ("ChangesView", None): _(
        "Created, updated, retracted and deleted records, as the caller reads them, oldest first. "
        "Mirror the API: read the lists, then follow this feed from the `until` of a first call "
        "(made before reading them); on created, updated and retracted read the record again (a "
        "retracted case answers the public 410 with its notice: drop it), on deleted drop it."),
}

# drf-spectacular's own words, which it translates through our catalogue.
SPECTACULAR = [gettext_noop("No response body"),
               gettext_noop('Token-based authentication with required prefix "%s"')]
# What each object is, for readers (its serializer's docstring is for maintainers).
COMPONENTS = {
    "Affiliation": _("A post a person held in an agency (career history)."),
    "Career": _("A post in a person's career, as the person's JSON lists it (written at /affiliations/)."),
    "Withholding": _("A withheld field: the public reads only which (`field`); staff the reason and expiry."),
}

DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
FIELD_ERRORS = {
    "type": "object",
    "description": _("A list of messages per parameter or field (`non_field_errors` for the whole "
                     "record), or `detail` for a request that could not be read."),
    "additionalProperties": {},
}
ERRORS = {
    "400": (_("Invalid filter value, page size or record: the JSON names each bad parameter or field."),
            FIELD_ERRORS),
    "401": (_("No or bad credentials: send `Authorization: Token …`."), DETAIL),
    "403": (_("Not allowed: a missing model permission, or the permission door's rule (only "
              "editors publish, or change what a published case shows); `detail` says which."),
            DETAIL),
    "404": (_("No such record visible to you, or no such page."), DETAIL),
    "406": (_("No acceptable format: ask for application/json or text/csv."), DETAIL),
    "409": (_("The record is still referred to (a person with cases, a cited source)."), DETAIL),
    "429": (_("Too many requests from this address: wait `Retry-After` seconds."), DETAIL),
}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, (description, schema) in ERRORS.items():
            if "description" in schema:
                schema = {**schema, "description": str(schema["description"])}
            responses.setdefault(code, {"description": str(description),
                                        "content": {"application/json": {"schema": schema}}})
        if self.method in ("PUT", "PATCH", "DELETE"):
            responses["412"] = {
                "description": gettext("`If-Match` names another version: the record changed since "
                                       "it was read. The `ETag` header gives the current one."),
                "content": {"application/json": {"schema": DETAIL}}}
        if self.method == "GET":
            responses["304"] = {"description": gettext("Not modified: the If-None-Match ETag still matches.")}
        return responses

    def get_filter_backends(self):
        # /stats/ is not a list, but takes the case filters all the same.
        if getattr(self.view, "filters_one_result", False):
            return self.view.filter_backends
        return super().get_filter_backends()

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method == "GET" and getattr(self.view, "csv", False):
            parameters.append(OpenApiParameter(
                "format", str, enum=["json", "csv"],
                description=gettext(
                    "Response format (or send `Accept: text/csv`). A CSV list streams up to "
                    "100,000 records per page; a many-valued field is one cell holding a "
                    "JSON array.")))
        if self.method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            parameters.append(OpenApiParameter(LANGUAGE, str, enum=["en", "ru", "all"], description=gettext(
                "The answer's language: its messages and each translated text (the other language "
                "stands in for a missing text, and the object's `fallback` names it). Without it, "
                "Accept-Language, else English. `all`: each translated text also as F_en and F_ru. "
                "A CSV always has the English columns and the _ru columns beside them.")))
        return parameters

    def get_description(self):
        """The operation's description from OPERATIONS, in the request's language."""
        view = type(self.view).__name__
        action = getattr(self.view, "action", None)
        text = OPERATIONS.get((view, action)) or OPERATIONS.get((view, None))
        return str(text) if text else super().get_description()


class BriefRelatedFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "defections.api.serializers.BriefRelatedField"

    def map_serializer_field(self, auto_schema, direction):
        if direction == "response":
            return auto_schema.resolve_serializer(self.target.brief, direction).ref
        return build_basic_type(OpenApiTypes.INT)


def _describe(node, by_values):
    if isinstance(node, dict):
        values = node.get("enum")
        if isinstance(values, list):
            enum = by_values.get(frozenset(v for v in values if v not in ("", None)))
            if enum is not None:
                node["description"] = "\n".join(
                    f"* `{value}` — {text}" for value, text in enum.definitions.items())
        for value in node.values():
            _describe(value, by_values)
    elif isinstance(node, list):
        for value in node:
            _describe(value, by_values)


def describe_enums(result, generator, request, public):
    """Each coded value's definition from the codebook, wherever its enum appears."""
    _describe(result, {frozenset(enum.values): enum for enum in CODEBOOK})
    return result


def at_risk_fields(result, generator, request, public):
    """A case or person marked at risk shows the public only name, form and year."""
    schemas = result.get("components", {}).get("schemas", {})
    for model, shown in redaction.SHOWN_AT_RISK.items():
        name = model.__name__
        if name in schemas:
            schemas[name]["required"] = list(shown)
            schemas[name]["description"] = gettext(
                "When the person is marked at risk, clients other than staff receive only "
                "%(fields)s (a case's date then gives the year only). "
                "A person's `at_risk` flag itself is shown to staff only.") % {"fields": ", ".join(shown)}
    return result


def withheld_fields(result, generator, request, public):
    """A field withheld from the public reads as null (a date with its parts and period), and
    the public reads of each withholding only which field."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, fields in [("Case", withholding.CASE_FIELDS), ("Person", withholding.PERSON_FIELDS)]:
        properties = schemas.get(name, {}).get("properties", {})
        for key in {key for field, columns in fields.items() for key in (field, *columns)}:
            if key in properties:
                properties[key]["nullable"] = True
    if "Withholding" in schemas:
        schemas["Withholding"]["required"] = ["field"]
    return result


def search_bound(result, generator, request, public):
    """The search's length bound (a longer `q` is a 400), which the generator does not see."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("name") == "q" and parameter.get("in") == "query":
                    parameter.setdefault("schema", {})["maxLength"] = Q_MAX_LENGTH
    return result


# A query parameter with more values than this is described, not listed: Swagger draws each
# listed value as a line (249 countries made the /cases/ entry ~10,000 pixels tall).
LONG_ENUM = 30


def country_filter_enum(result, generator, request, public):
    """No query parameter lists a long enum (LONG_ENUM): the country filter, whose choices
    the generator cannot see (a callable: a FilterSet is deep-copied per request), says what
    a code is and where the codes in use are, and any other long enum loses its list."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") != "query":
                    continue
                spec = parameter.get("schema", {})
                spec = spec.get("items", spec)
                if len(spec.get("enum", [])) > LONG_ENUM:
                    del spec["enum"]
                    parameter["description"] = parameter.get("description", "").split("\n\n* `")[0]
                if parameter.get("name") == "destination_country":
                    parameter["description"] = country_code_description()
    return result


def country_code_description() -> str:
    return gettext(
        "Destination country: an ISO 3166-1 alpha-2 code in capitals (`US`, `GB`, `DE`; `SU` for "
        "the Soviet Union); repeat it for any of several. The countries cases went to, with their "
        "names and counts, are the Destination filter of [the case list](%(cases)s); all codes: "
        "[ISO 3166](https://www.iso.org/iso-3166-country-codes.html).") % {"cases": reverse("case-list")}


def country_choices():
    """One enum for every country field and filter (ISO 3166-1 alpha-2, plus SU)."""
    from django_countries import countries

    return [(country.code, country.name) for country in countries]


def bilingual_fields(result, generator, request, public):
    """Each translated text F: read in the request's language (its fallback named), F_en and
    F_ru with ?lang=all; written as F_en or F_ru (plain F is English, in English requests only)."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        properties = component.get("properties", {})
        fields = [key for key in properties if f"{key}_ru" in properties]
        writes = name.endswith("Request")
        for field in fields:
            english = {key: value for key, value in properties[field].items() if key != "description"}
            properties[f"{field}_en"] = {**english, "description": gettext(
                "%(field)s in English (the stored English column).") % {"field": field}}
            properties[f"{field}_ru"]["description"] = gettext(
                "%(field)s in Russian (the stored Russian column).") % {"field": field}
            if writes:
                properties[field]["description"] = gettext(
                    "%(field)s in English; refused (400) in a request in another language or with "
                    "?lang=all: name the language with %(field)s_en or %(field)s_ru.") % {"field": field}
            else:
                properties[field]["description"] = gettext(
                    "%(field)s in the request's language (?lang=, else Accept-Language, else English), "
                    "else in the other one, and then named in `fallback`.") % {"field": field}
                properties[f"{field}_en"]["readOnly"] = properties[f"{field}_ru"]["readOnly"] = True
                properties[f"{field}_en"]["description"] += " " + gettext("With ?lang=all only.")
                properties[f"{field}_ru"]["description"] += " " + gettext("With ?lang=all only (and in CSV).")
        if fields and not writes:
            properties["fallback"] = {"type": "array", "items": {"type": "string"}, "readOnly": True,
                                      "description": gettext(
                                          "The translated texts shown in the other language, as the one "
                                          "asked has none yet. Absent when there is none.")}
            if "required" in component:
                component["required"] = [key for key in component["required"] if key not in
                                         {f"{field}_ru" for field in fields}]
    return result


def info_in_language(result, generator, request, public):
    """The schema's title and description in the request's language, and its objects' (not
    their serializers' docstrings, and not an enum's list of values)."""
    result.setdefault("info", {}).update(title=str(TITLE),
                                         description=f"{DESCRIPTION}\n\n{site_links(request)}")
    described = {model.__name__ for model in redaction.SHOWN_AT_RISK}  # by at_risk_fields
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if "enum" in component or name in described or "description" not in component:
            continue
        base = name.removeprefix("Patched").removesuffix("Request")
        if base in COMPONENTS:
            component["description"] = str(COMPONENTS[base])
        else:
            del component["description"]
    return result


def site_links(request) -> str:
    """The way back from the docs to the site, in the reader's language."""
    def link(name):
        path = reverse(name)
        return request.build_absolute_uri(path) if request is not None else path

    return gettext("The site: [the cases, browsed and filtered](%(home)s); [method, sources and "
                   "codebook](%(about)s).") % {"home": link("home"), "about": link("about")}
