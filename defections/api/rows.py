"""The API's answer for cases read as rows (defections/rows.py), built from the serializers'
own declarations: which fields, in which order, nested how, in which language.

`shape(serializer)` walks the serializer's fields once and returns a function from a row
to what `serializer.to_representation(instance)` gives for the same record, redacted and
projected into the request's language the same way (redaction.strip_data,
languages.project). A field kind it does not know is an error, not a guess: a new field
on a serializer either works here or fails tests/test_read_path_parity.py.
"""

from rest_framework import serializers

from defections import redaction
from defections.api.languages import BilingualSerializerMixin, project
from defections.api.serializers import BriefRelatedField, RedactedMixin, SelfLinkField, WithheldField
from defections.dates import format_partial_date

PASSED = (serializers.CharField, serializers.ChoiceField, serializers.IntegerField, serializers.BooleanField)


def shape(serializer):
    """A function turning a row into serializer's representation of the record."""
    getters = [(name, _getter(serializer, name, field)) for name, field in serializer.fields.items()
               if not field.write_only]
    context = serializer.context
    translated = serializer.translated() if isinstance(serializer, BilingualSerializerMixin) else ()
    lang, both = context.get("lang"), context.get("both", False)
    model = serializer.Meta.model
    redacted = isinstance(serializer, RedactedMixin)

    def represent(row: dict) -> dict:
        data = {name: get(row) for name, get in getters}
        if redacted and "shown" in row:
            data = redaction.strip_data(model, data, row["shown"], row["withheld"])
        return project(data, translated, lang, both) if translated else data

    return represent


def _getter(serializer, name, field):  # noqa: PLR0911 (one branch per kind of field)
    source = field.source
    if isinstance(field, SelfLinkField):
        prefix = field.prefix(field.view_name, serializer.context.get("request"))
        return lambda row: f"{prefix}{row['id']}/"
    if isinstance(field, WithheldField):
        child = shape(field.child)
        return lambda row: ([{"field": f} for f in row["withheld"]] if "withheld" in row
                            else [child(item) for item in row["withholdings"]])
    if isinstance(field, serializers.ListSerializer):
        child = shape(field.child)
        return lambda row: [child(item) for item in row[source]]
    if isinstance(field, BriefRelatedField | serializers.Serializer):
        child = shape(field.brief_serializer if isinstance(field, BriefRelatedField) else field)
        return lambda row: None if row[source] is None else child(row[source])
    if isinstance(field, serializers.ManyRelatedField | serializers.SlugRelatedField):
        return lambda row: row[source]  # the rows hold the slugs (motives) and the username
    if name == "origin_count":
        return lambda row: len({citation["source"]["origin_id"] for citation in row["citations"]})
    if source in ("date", "birth", "death"):  # a partial date as written
        return lambda row: format_partial_date(row[f"{source}_start"], row[f"{source}_end"],
                                               row[f"{source}_precision"])
    if isinstance(field, serializers.DateTimeField | serializers.DateField) or not isinstance(field, PASSED):
        convert = field.to_representation
        return lambda row: None if (value := row[source]) is None else convert(value)
    return lambda row: row[source]
