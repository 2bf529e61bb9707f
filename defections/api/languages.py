"""The API's language: which one a request is answered in, and the records' texts in it.

The API lives outside the /ru/ addresses, so it chooses for itself: `?lang=ru|en` wins,
else the client's Accept-Language, else English; `?lang=all` answers in that language and
adds both columns of every translated text. Messages (ours and DRF's) and the OpenAPI
descriptions follow the same choice.

A record's translated text F (defections/languages.py) reads in the request's language,
falling back to the other one and then named in the object's `fallback` list, never
silently. Without a language (CSV, the release, the change feed) a serializer gives the
columns as stored: F in English and F_ru beside it.

Writes name the language: F_en (or plain F in a request in English) and F_ru. Plain F in a
request in Russian, or with ?lang=all, is refused, so a Russian text read back cannot land
in the English column; and an English write of exactly the Russian text that stood in for
an empty English column (a fallback read and sent back) writes nothing.
"""

from django.http import Http404
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from django.utils.translation.trans_real import parse_accept_lang_header
from rest_framework import exceptions

from defections import languages
from defections.languages import CODES, DEFAULT, column, normalize

PARAMETER = "lang"
BOTH = "all"


def from_header(request) -> str:
    """The first language of Accept-Language this API serves, else English."""
    for code, _quality in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code == "*":
            break
        if found := normalize(code):
            return found
    return DEFAULT


def choose(request) -> None:
    """Set request.api_language ('en'|'ru') and request.api_both, and activate the language.
    A ?lang= this API does not serve is a 400 naming `lang` (in the header's language)."""
    given = request.GET.get(PARAMETER)
    request.api_both = given == BOTH
    asked = normalize(given) if given and not request.api_both else None
    request.api_language = asked or from_header(request)
    translation.activate(request.api_language)
    if given is not None and not request.api_both and normalize(given) is None:
        raise exceptions.ValidationError({PARAMETER: [
            gettext("Not a language this API answers in: give en, ru or all.")]})


class LanguageMixin:
    """For every API view: choose the language first (so even an authentication error is in
    it), answer with Content-Language and Vary: Accept-Language, and render before the
    language in force before the request is restored."""

    def dispatch(self, request, *args, **kwargs):
        with translation.override(translation.get_language()):
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        return response

    def initial(self, request, *args, **kwargs):
        choose(request)
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc):
        # Django's 404 names the model in English ("No Case matches the given query."),
        # which no catalogue translates: other languages get our own words.
        if isinstance(exc, Http404) and getattr(self.request, "api_language", DEFAULT) != DEFAULT:
            exc = exceptions.NotFound(gettext("No such record is visible to you."))
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        if not hasattr(request, "api_language"):  # refused before initial(): e.g. a bad method
            choose_quietly(request)
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Language"] = request.api_language
        patch_vary_headers(response, ["Accept-Language"])
        return response

    def get_serializer_context(self):
        context = super().get_serializer_context()
        request = context.get("request")
        language = getattr(request, "api_language", None)
        renderer = getattr(request, "accepted_renderer", None)
        if language and getattr(renderer, "format", "json") != "csv":  # a CSV keeps the columns
            context.update(lang=language, both=request.api_both)
        return context


def choose_quietly(request) -> None:
    try:
        choose(request)
    except exceptions.ValidationError:
        pass


def project(data: dict, fields, lang: str | None, both: bool = False) -> dict:
    """data (a serialized record holding F and F_ru) as read in lang: F in lang or, marked in
    `fallback`, in the other language; with both, F_en and F_ru after it. lang None: as is.
    A field redaction removed stays absent, and one it withheld (null) stays null."""
    if lang is None:
        return data
    fields = [field for field in fields if field in data or column(field, "ru") in data]
    if not fields:
        return data
    out, fallback = {}, []
    for key, value in data.items():
        field = next((f for f in fields if key in (f, column(f, "ru"))), None)
        if field is None:
            out[key] = value
            continue
        if field in out:  # its other column, handled with the first
            continue
        stored = {code: data.get(column(field, code)) for code in CODES}
        if all(value is None for value in stored.values()):
            out[field] = None
        else:
            text = languages.text({column(field, code): stored[code] or "" for code in CODES}, field, lang)
            out[field] = str(text)
            if text.fallback:
                fallback.append(field)
        if both:
            out[f"{field}_en"], out[column(field, "ru")] = stored["en"], stored["ru"]
    if fallback:
        out["fallback"] = fallback
    return out


def named(data: dict, fields, lang: str | None, stored=None) -> dict:
    """A write's data with each text under its column: F_en becomes F; plain F is refused
    unless the request is in English; and an English F equal to the Russian text that
    stood in for the stored record's empty English column is dropped (a fallback sent back)."""
    if lang is None or not hasattr(data, "items"):
        return data
    data, errors = dict(data.items()), {}
    for field in fields:
        english = f"{field}_en"
        if field in data and lang != DEFAULT:
            errors[field] = [gettext("Name the language: write %(field)s_en or %(field)s_ru. "
                                     "A plain %(field)s is taken as English only in a request "
                                     "in English (?lang=en).") % {"field": field}]
        elif english in data and field in data:
            errors[english] = [gettext("Give %(field)s or %(field)s_en, not both.") % {"field": field}]
        elif english in data:
            data[field] = data.pop(english)
        elif field in data and stored is not None and data[field] and not getattr(stored, field, "") \
                and data[field] == getattr(stored, column(field, "ru"), None):
            del data[field]
    if errors:
        raise exceptions.ValidationError(errors)
    return data


class BilingualSerializerMixin:
    """Reads and writes a record's translated texts in the request's language (see above).
    Put it first among the bases: it projects what redaction left."""

    def translated(self):
        return languages.translated_fields(self.Meta.model)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        return project(data, self.translated(), self.context.get("lang"), self.context.get("both", False))

    def to_internal_value(self, data):
        language = self.context.get("lang")
        if self.context.get("both"):
            language = BOTH
        return super().to_internal_value(named(data, self.translated(), language, self.stored(data)))

    def stored(self, data):
        """The record a write changes, if any: this serializer's, or a nested item's by id."""
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            return self.instance
        owner = getattr(getattr(self.parent, "parent", None), "instance", None)
        pk = data.get("id") if hasattr(data, "get") else None
        if owner is None or not isinstance(pk, int) or isinstance(pk, bool):
            return None
        related = getattr(owner, self.parent.field_name, None)
        return related.filter(pk=pk).first() if related is not None else None
