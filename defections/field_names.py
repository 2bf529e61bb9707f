"""The models' and fields' names in the reader's language (the admin, form errors, history).

Django derives a field's name from its attribute ("native_name" -> "native name") and a
model's from its class, and neither is translatable. Naming them in the models would change
every field's migration state; instead `apply()` gives each the translatable name here at
start-up. Migrations read the name a field was declared with (`Field._verbose_name`) and the
options a model declared (`_meta.original_attrs`), so they see no change.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Model: (singular, plural). Russian names are chosen so that Django's "Add %(name)s" and
# "Change %(name)s" read correctly (their accusative is their nominative).
MODELS = {
    "Case": (_("case"), _("cases")),
    "Person": (_("person"), _("people")),
    "PersonAlias": (_("person alias"), _("aliases")),
    "Agency": (_("agency"), _("agencies")),
    "Affiliation": (_("affiliation"), _("affiliations")),
    "Source": (_("source"), _("sources")),
    "Citation": (_("citation"), _("citations")),
    "Response": (_("response"), _("responses")),
    "Account": (_("account"), _("accounts")),
    "Motive": (_("motive"), _("motives")),
    "Period": (_("period"), _("periods")),
    "Withholding": (_("withholding"), _("withholdings")),
}

# A field's name, by the English name it has now; the same word is the same name everywhere.
FIELDS = {
    "ID": _("ID"),
    "slug": _("slug"),
    "description": _("description"),
    "start": _("start"),
    "end": _("end"),
    "created at": _("created at"),
    "updated at": _("updated at"),
    "created by": _("created by"),
    "updated by": _("updated by"),
    "birth from": _("birth from"),
    "birth until": _("birth until"),
    "birth precision": _("birth precision"),
    "death from": _("death from"),
    "death until": _("death until"),
    "death precision": _("death precision"),
    "date from": _("date from"),
    "date until": _("date until"),
    "date precision": _("date precision"),
    "citizenship": _("citizenship"),
    "bio": _("bio"),
    "Wikidata QID": _("Wikidata QID"),
    "at risk": _("at risk"),
    "person": _("person"),
    "acronym": _("acronym"),
    "kind": _("kind"),
    "country": _("country"),
    "parent": _("parent"),
    "predecessor": _("predecessor"),
    "active from (year)": _("active from (year)"),
    "active until (year)": _("active until (year)"),
    "agency": _("agency"),
    "role": _("role"),
    "title": _("title"),
    "author": _("author"),
    "outlet": _("outlet"),
    "URL": _("URL"),
    "archived URL": _("archived URL"),
    "published on": _("published on"),
    "language": _("language"),
    "reliability": _("reliability"),
    "derived from": _("derived from"),
    "origin": _("origin"),
    "form": _("form"),
    "country from": _("country from"),
    "destination country": _("destination country"),
    "place": _("place"),
    "visibility": _("visibility"),
    "verification": _("verification"),
    "classification": _("classification"),
    "period": _("period"),
    "summary": _("summary"),
    "narrative": _("narrative"),
    "status": _("status"),
    "restricted notes": _("restricted notes"),
    "retraction note": _("retraction note"),
    "retracted at": _("retracted at"),
    "codebook version": _("codebook version"),
    "signed off by": _("signed off by"),
    "motives": _("motives"),
    "case": _("case"),
    "claim": _("claim"),
    "statement": _("statement"),
    "holder": _("holder"),
    "rank": _("rank"),
    "source": _("source"),
    "response": _("response"),
    "affiliation": _("affiliation"),
    "account": _("account"),
    "locator": _("locator"),
    "quote": _("quote"),
    "field": _("field"),
    "reason": _("reason"),
    "until": _("until"),
}

# Where one English word is two in Russian: a person's name (имя) is not an agency's (название).
BY_MODEL = {
    "Person": {"name": pgettext_lazy("person", "name"),
               "native_name": pgettext_lazy("person", "native name")},
    "PersonAlias": {"name": pgettext_lazy("person", "name")},
    "Agency": {"name": pgettext_lazy("thing", "name"),
               "native_name": pgettext_lazy("thing", "native name")},
    "Motive": {"name": pgettext_lazy("thing", "name")},
    "Period": {"name": pgettext_lazy("thing", "name")},
}


def apply(models) -> None:
    """Give these models and their fields their translatable names (once, at import)."""
    for model in models:
        if model.__name__ in MODELS:
            model._meta.verbose_name, model._meta.verbose_name_plural = MODELS[model.__name__]
        own = BY_MODEL.get(model.__name__, {})
        for field in [*model._meta.local_fields, *model._meta.local_many_to_many]:
            name = getattr(field, "verbose_name", None)
            if name is None or isinstance(name, Promise) and field.name not in own:
                continue
            if field.name in own:
                field.verbose_name = own[field.name]
            elif name in FIELDS:
                field.verbose_name = FIELDS[name]
