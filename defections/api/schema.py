"""The OpenAPI schema: error responses on every operation, enums with the codebook's
definitions, brief objects read / ids written, and what an at-risk case leaves out."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from defections import choices, visibility, withholding
from defections.dates import Precision
from defections.filtersets import Q_MAX_LENGTH

CODEBOOK = [choices.Form, choices.Visibility, choices.Verification, choices.Classification,
            choices.Status, choices.ResponseKind, choices.AgencyKind, choices.SourceKind,
            choices.Reliability, choices.Claim, Precision]

DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
FIELD_ERRORS = {
    "type": "object",
    "description": "A list of messages per parameter or field (`non_field_errors` for the whole "
                   "record), or `detail` for a request that could not be read.",
    "additionalProperties": {},
}
ERRORS = {
    "400": ("Invalid filter value, page size or record: the JSON names each bad parameter or field.",
            FIELD_ERRORS),
    "401": ("No or bad credentials: send `Authorization: Token …`.", DETAIL),
    "403": ("Not allowed: a missing model permission, or the permission door's rule (only "
            "editors publish, or change what a published case shows); `detail` says which.",
            DETAIL),
    "404": ("No such record visible to you, or no such page.", DETAIL),
    "406": ("No acceptable format: ask for application/json or text/csv.", DETAIL),
    "409": ("The record is still referred to (a person with cases, a cited source).", DETAIL),
    "429": ("Too many requests from this address: wait `Retry-After` seconds.", DETAIL),
}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, (description, schema) in ERRORS.items():
            responses.setdefault(code, {"description": description,
                                        "content": {"application/json": {"schema": schema}}})
        if self.method in ("PUT", "PATCH", "DELETE"):
            responses["412"] = {
                "description": "`If-Match` names another version: the record changed since it was "
                               "read. The `ETag` header gives the current one.",
                "content": {"application/json": {"schema": DETAIL}}}
        if self.method == "GET":
            responses["304"] = {"description": "Not modified: the If-None-Match ETag still matches."}
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
                description="Response format (or send `Accept: text/csv`). A CSV list streams up to "
                            "100,000 records per page; a many-valued field is one cell holding a "
                            "JSON array."))
        return parameters


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
    for model, shown in visibility.SHOWN_AT_RISK.items():
        name = model.__name__
        if name in schemas:
            schemas[name]["required"] = list(shown)
            schemas[name]["description"] = (
                "When the person is marked at risk, clients other than staff receive only "
                f"{', '.join(shown)} (a case's date then gives the year only). "
                "A person's `at_risk` flag itself is shown to staff only.")
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


def country_filter_enum(result, generator, request, public):
    """The country filter's choices are a callable (a FilterSet is deep-copied per request,
    and copying 250 countries cost more than the rest of a cached answer), which the
    generator does not call: give the parameter its enum here."""
    pairs = country_choices()
    listing = "\n".join(f"* `{code}` - {name}" for code, name in pairs)
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                items = parameter.get("schema", {}).get("items", {})
                if parameter.get("name") == "destination_country" and "enum" not in items:
                    items["enum"] = sorted(code for code, _ in pairs)
                    parameter["description"] = f"{parameter.get('description', '')}\n\n{listing}".strip()
    return result


def country_choices():
    """One enum for every country field and filter (ISO 3166-1 alpha-2, plus SU)."""
    from django_countries import countries

    return [(country.code, country.name) for country in countries]
