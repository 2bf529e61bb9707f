"""The Atom feed of cases at /cases/feed/: newly published and changed cases, newest change
first, under the query string of /cases/ (so every filtered list has its feed).

It selects through the list's own `select_cases` (the door, the FilterSet, the at-risk
rule) and shows every case through `redact`. A case whose details are hidden (a person at
risk) is left out, as on the home page's recent changes: when it changed is not public, and
its place in a feed ordered by change would tell it.
"""

import re

from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import conditional_escape, escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from defections import languages, publisher, redaction
from defections.web.case_query import PAGING, select_cases
from defections.web.pages import person_name
from defections.web.records import translated
from defections.web.views import cached_page

ENTRIES = 50
# What XML 1.0 cannot hold (Django refuses to write it): left out of any text written.
CONTROL = re.compile(r"[\x00-\x08\x0B\x0C\x0E-\x1F]")
NEWEST_CHANGE_FIRST = ["-updated"]  # the list's "Last updated" order (by the change time shown)


@cached_page
def case_feed(request):
    """The feed, or a 400 naming the invalid parameters (as the list reports them)."""
    selection = select_cases(request)
    if not selection.valid:
        # Escaped, though plain text: a message may echo the value given.
        heading = _("Invalid filter values:")
        return HttpResponse(f"{heading}\n{escape(selection.errors())}\n", status=400,
                            content_type="text/plain; charset=utf-8")
    return CaseFeed(selection, request.user)(request)


class CaseFeed(Feed):
    feed_type = Atom1Feed
    subtitle = gettext_lazy("Cases newly published or changed, newest change first.")

    def __init__(self, selection, user):
        super().__init__()
        self.selection, self.user = selection, user

    def get_object(self, request, *args, **kwargs):
        return self.selection

    def title(self, selection):
        return text(selection.title())

    def link(self, selection):
        query = selection.query(*PAGING)
        return reverse("case-list") + (f"?{query}" if query else "")

    def feed_url(self, selection):
        query = selection.query(*PAGING)
        return reverse("case-feed") + (f"?{query}" if query else "")

    def author_name(self):
        return publisher.publisher()["name"]

    def author_link(self):
        return publisher.publisher()["url"] or None

    def feed_copyright(self):
        return f"{_(publisher.DATA_LICENCE['name'])} ({publisher.DATA_LICENCE['url']})"

    def items(self, selection):
        ordering = selection.filterset.filters["ordering"]
        cases = ordering.filter(selection.filtered.details_shown(), NEWEST_CHANGE_FIRST)
        cases = (cases.select_related("person", "agency")
                 .defer("search_vector", "narrative", "restricted_notes")[:ENTRIES])
        return [redaction.redact(case, self.user) for case in cases]

    def item_title(self, case):
        """What the list's row shows (cases/_row.html): name, form, date, agency."""
        withheld = "date" in getattr(case, "withheld", ())
        when = _("date withheld") if withheld else case.date or _("date unknown")
        agency = f" · {case.agency.acronym or languages.text(case.agency, 'name')}" if case.agency else ""
        return text(f"{person_name(case.person)}: {case.get_form_display()}, {when}{agency}")

    def item_description(self, case):
        # an Atom summary of type html: the text in the feed's language, else the other's marked
        # as standing in (its lang and a note), escaped as on the pages
        return text(conditional_escape(translated(case, "summary")))

    def item_updateddate(self, case):
        return case.updated_at

    def item_author_name(self, case):
        return publisher.publisher()["name"]


def text(value: str) -> str:
    return CONTROL.sub("", value)
