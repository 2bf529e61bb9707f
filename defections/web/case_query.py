"""The query string of /cases/, read once for every view that takes it: the list page and
its Atom feed (defections/web/feeds.py) call `select_cases`, so they filter alike, through
the same door (`visible_to`), FilterSet and at-risk rule (`facets.apply_filters`).
"""

from dataclasses import dataclass

from django.db.models import Model, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from defections import facets, languages
from defections.filtersets import CaseFilterSet
from defections.models import Case

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
        """The invalid values, one line each, naming the parameter."""
        return "\n".join(f"{'' if name == '__all__' else name + ': '}{' '.join(messages)}"
                         for name, messages in self.filterset.form.errors.items())

    def title(self) -> str:
        """What the filters in use select, in a few words: "Cases: Geographic, FSB, 2022–2026"
        (in the page's language)."""
        words, fields = [], self.filterset.form.fields
        low, high = self.active.get("year_min"), self.active.get("year_max")
        for name, value in self.active.items():
            if name in ("ordering", "year_max") and not (name == "year_max" and low is None):
                continue
            if name == "q":
                words.append(f"“{value}”")
            elif name in ("year_min", "year_max"):
                words.append(f"{low}–{high}" if low is not None and high is not None
                             else _("from %(year)s") % {"year": low} if high is None
                             else _("to %(year)s") % {"year": high})
            elif isinstance(value, QuerySet | list):  # agencies, periods, motives; coded values
                words += [label(fields[name], v) for v in value]
            else:
                words.append(f"{fields[name].label or name}: {value}")
        return _("Cases: %(filters)s") % {"filters": ", ".join(words)} if words else _("Cases")


def label(field, value) -> str:
    """An agency by its acronym, a period or motive by its name, a coded value by its label."""
    if isinstance(value, Model):
        return getattr(value, "acronym", "") or languages.text(value, "name")
    return str(dict(getattr(field, "choices", ())).get(value, value))


def select_cases(request) -> CaseSelection:
    """The reader's cases as the query string filters them (invalid values left out)."""
    data = clean_params(request)
    visible = Case.objects.visible_to(request.user)
    filterset = CaseFilterSet(data, queryset=visible, request=request)
    valid = filterset.form.is_valid()
    active = facets.active_filters(filterset)
    filtered = facets.apply_filters(filterset, visible, active)
    return CaseSelection(data, visible, filterset, valid, active, filtered)
