"""The query string of /cases/, read once for every view that takes it: the list page and
its Atom feed (defections/web/feeds.py) call `select_cases`, so they filter alike, through
the same door (`visible_to`), FilterSet and at-risk rule (`facets.apply_filters`).
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.db.models import Model, QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from defections import choices, facets, languages
from defections.filtersets import CaseFilterSet
from defections.models import Agency, Case

# Parameters that page or sort a list: not what it selects (a feed keeps its own order).
PAGING = ("page", "page_size", "ordering")


def clean_params(request) -> QueryDict:
    """The query string without NUL characters (PostgreSQL refuses them in any string)."""
    data = request.GET.copy()
    for key in list(data):
        data.setlist(key, [v.replace("\x00", "") for v in data.getlist(key)])
    return data


@dataclass
class CaseSelection:
    data: QueryDict  # the query string, cleaned
    visible: QuerySet  # the reader's cases: Case.objects.visible_to(user)
    filterset: CaseFilterSet
    valid: bool  # False: some values were invalid, and are left out
    active: dict  # the valid filters in use, cleaned
    filtered: QuerySet  # visible, narrowed by them (by date, or by rank when searching)

    def query(self, *without) -> str:
        """The query string as given, less the parameters `without`."""
        data = self.data.copy()
        for name in without:
            data.pop(name, None)
        return data.urlencode()

    def errors(self) -> str:
        """The invalid values, one line each, naming the parameter (for a plain-text answer)."""
        return "\n".join(f"{'' if name == '__all__' else name + ': '}{' '.join(messages)}"
                         for name, messages in self.filterset.form.errors.items())

    def labelled_errors(self) -> list[tuple[str, str]]:
        """The invalid values as a reader reads them: (the filter's label, its messages);
        no label for an error of the whole form."""
        fields = self.filterset.form.fields
        return [("" if name == "__all__" else str(fields[name].label), " ".join(messages))
                for name, messages in self.filterset.form.errors.items()]

    @cached_property
    def chips(self) -> list[dict]:
        """Each filter value in use: its filter's label, its value's, and the list's address
        without that one value (and without `page`: the list gets shorter or longer)."""
        found = []
        for name, value in self.active.items():
            if name == "ordering":
                continue
            field = self.filterset.form.fields[name]
            heading = str(self.filterset.form.fields[LABELLED_AS.get(name, name)].label)
            labels = dict(shown_values(field, value))
            for raw in dict.fromkeys(v for v in self.data.getlist(name) if v.strip()):
                text = labels.get(raw if isinstance(value, QuerySet | list) else None, raw)
                data = self.data.copy()
                data.setlist(name, [v for v in data.getlist(name) if v != raw])
                data.pop("page", None)
                found.append({"label": heading, "value": text, "href": address(data),
                              "text": heading if text == heading else f"{heading}: {text}"})
        return found

    def clear_all(self) -> str:
        """The list's address with no filter, in the same order and page size."""
        data = self.data.copy()
        for name in list(data):
            if name not in ("ordering", "page_size"):
                data.pop(name)
        return address(data)

    def title(self) -> str:
        """What the filters in use select, in a few words and the page's language:
        "Geographic defections from KGB since 1950 · Motives: Ideology · 2 more filters"."""
        fields, active = self.filterset.form.fields, dict(self.active)
        active.pop("ordering", None)
        forms = active.pop("form", [])
        words = [str(FORM_TITLES[forms[0]] if len(forms) == 1 else _("Cases"))]
        if q := active.pop("q", ""):
            words.append(_("matching “%(q)s”") % {"q": Truncator(q).chars(Q_IN_TITLE)})
        agencies = [*active.pop("agency", []), *active.pop("agency_id", [])]
        if agencies:
            names = dict.fromkeys(short_name(agency) for agency in agencies)
            words.append(_("from %(agencies)s") % {"agencies": ", ".join(names)})
        if years := year_words(active.pop("year_min", None), active.pop("year_max", None)):
            words.append(years)
        rest = [(name, value) for name, value in [("form", forms if len(forms) > 1 else None),
                                                  *active.items()] if value]
        parts = [" ".join(words)] + [described(fields[name], value) for name, value in rest[:TITLE_FILTERS]]
        if len(rest) > TITLE_FILTERS:
            more = len(rest) - TITLE_FILTERS
            parts.append(ngettext("%(n)s more filter", "%(n)s more filters", more) % {"n": more})
        return " · ".join(parts)


# A filter whose chip is labelled as another's (an agency by id is an agency).
LABELLED_AS = {"agency_id": "agency"}
# How many filters the title names besides form, search, agency and years (the chips list all).
TITLE_FILTERS = 2
Q_IN_TITLE = 40  # characters of a search the title quotes
FORM_TITLES = {
    choices.Form.ARTICULATED: pgettext_lazy("title", "Articulated defections"),
    choices.Form.FINAL: pgettext_lazy("title", "Final defections"),
    choices.Form.GEOGRAPHIC: pgettext_lazy("title", "Geographic defections"),
}


def described(field, value) -> str:
    """A filter in use as "Motives: Ideology, Revenge" (or its label alone: "Contested")."""
    values = ", ".join(label for _raw, label in shown_values(field, value))
    return str(field.label) if values == str(field.label) else f"{field.label}: {values}"


def record_label(record) -> str:
    """An agency as the site names it, a period or a motive by its name."""
    if isinstance(record, Agency):
        return facets.agency_label(record)
    return str(languages.text(record, "name"))


def address(data: QueryDict) -> str:
    query = data.urlencode()
    return reverse("case-list") + (f"?{query}" if query else "")


def year_words(low, high) -> str:
    if low is not None and high is not None:
        return _("in %(year)s") % {"year": low} if low == high else \
            _("in %(first)s–%(last)s") % {"first": low, "last": high}
    if low is not None:
        return _("since %(year)s") % {"year": low}
    if high is not None:
        return _("up to %(year)s") % {"year": high}
    return ""


def short_name(agency) -> str:
    """An agency in a title: "KGB" (for a Russian reader "КГБ", its own short name)."""
    if languages.current() != languages.DEFAULT:
        return agency.native_name or str(languages.text(agency, "name"))
    return agency.acronym or str(languages.text(agency, "name"))


def shown_values(field, value) -> list[tuple[str | None, str]]:
    """(the value as the query string gives it, its label) for each value of a filter in
    use: an agency as the site names it, a period or motive by its name, a coded value by its
    label; a year, a search or a time as given (None: the filter takes one value)."""
    if isinstance(value, QuerySet | list):
        key = getattr(field, "to_field_name", None) or "pk"
        return [(str(getattr(v, key)), record_label(v)) if isinstance(v, Model)
                else (v, str(dict(field.choices).get(v, v))) for v in value]
    named = dict(getattr(field, "choices", ()))
    if isinstance(value, datetime):
        return [(None, value.isoformat())]
    return [(None, str(named.get(value, value)))]


def select_cases(request, counted: bool = False) -> CaseSelection:
    """The reader's cases as the query string filters them (invalid values left out).

    counted: the caller counts them many ways (the list's facets and timeline), so a search
    reads its matches once (CaseFilterSet.carry_matches)."""
    data = clean_params(request)
    visible = Case.objects.visible_to(request.user)
    filterset = CaseFilterSet(data, queryset=visible, request=request)
    filterset.carry_matches = counted
    valid = filterset.form.is_valid()
    active = facets.active_filters(filterset)
    filtered = facets.apply_filters(filterset, visible, active)
    return CaseSelection(data, visible, filterset, valid, active, filtered)


def read_aloud(found: dict) -> dict:
    """Each facet option's count as a screen reader says it ("3 cases"), made here: a
    `blocktranslate` per option in the template was a third of drawing the facets."""
    for options in found.values():
        for option in options:
            option["cases"] = ngettext("%(n)s case", "%(n)s cases", option["count"]) % {"n": option["count"]}
    return found
