"""Public pages. Every query starts from the one door, `visible_to(request.user)`, every
record shown passes `redaction.redact`, and every filter comes from the shared FilterSets,
so a page's query string works on the API.

Each page runs a fixed number of SQL queries whatever its size (tests/test_web_queries.py).
"""

from collections import defaultdict
from functools import wraps

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from defections import (
    analysis,
    choices,
    codebook,
    facets,
    languages,
    paging,
    redaction,
    stats,
    visibility,
    withholding,
)
from defections import citation as cite
from defections.cache import current_version, keep, kept, key_for, remember, sql_of
from defections.dates import ACCEPTED, Precision
from defections.filtersets import PersonFilterSet
from defections.models import (
    Account,
    Affiliation,
    Case,
    Citation,
    Motive,
    Period,
    Person,
    Response,
)
from defections.web import timeline
from defections.web.case_query import PAGING, clean_params, read_aloud, select_cases
from defections.web.highlight import highlight_name, summary_html, with_headlines
from defections.web.pages import person_name

PAGE_SIZE = 25
API_CASES = "/api/v1/cases/"  # the API engineer's list endpoint, same FilterSet
RELATED = 6


def cached_page(view):
    """The page as rendered for this URL, until the next write (defections/cache.py).

    A public page is the same for every public reader (no user, no form token, no nonce),
    so the whole response is kept: a repeated visit reads the data version and nothing
    else. Staff see more (drafts, at-risk details): their pages are neither kept nor read
    from what is kept.
    """

    @require_safe  # read-only pages: anything but GET and HEAD is a 405
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if visibility.is_staff(request.user):
            return view(request, *args, **kwargs)
        # Read once (by EarlyPageCacheMiddleware when it ran): the view keys what it keeps by it too.
        version = getattr(request, "data_version", None) or current_version()
        if version is None:
            return view(request, *args, **kwargs)
        request.data_version = version
        key = key_for("page", (request.build_absolute_uri(), view.__name__), version)
        answer = kept(key)
        if answer is not None:
            status, content_type, content = answer
            response = HttpResponse(content, status=status, content_type=content_type)
            response.public_page = True  # the early cache may keep it (defections/middleware.py)
            return response
        response = view(request, *args, **kwargs)
        if response.status_code in (200, 400, 410) and not response.streaming and not response.cookies:
            keep(key, (response.status_code, response["Content-Type"], response.content))
            response.public_page = True
        return response

    return wrapper


def redacted(records, user) -> list:
    return [redaction.redact(record, user) for record in records]


MAX_PAGE_SIZE = 100


def paginate(request, items, count=None):
    """A page of items; `page` and `page_size` as in the API, bad values fall back quietly.

    `count`, when the caller knows it, saves the paginator its COUNT query.
    """
    try:
        size = min(max(int(request.GET.get("page_size", PAGE_SIZE)), 1), MAX_PAGE_SIZE)
    except ValueError:
        size = PAGE_SIZE
    paginator = Paginator(items, size)
    if count is not None:
        paginator.count = count
    return paginator.get_page(request.GET.get("page"))


def query_without(request, *names) -> str:
    data = clean_params(request)
    for name in names:
        data.pop(name, None)
    return data.urlencode()


# --- home and about ------------------------------------------------------------------------


@cached_page
def home(request):
    user = request.user
    cases = Case.objects.visible_to(user)
    periods = list(Period.objects.all())

    def summarize():
        spans = stats.year_spans(cases)
        by_form = defaultdict(int)
        for *_rest, form, n in spans:
            by_form[form] += n
        chart = timeline.build(stats.by_year_and_form(cases, spans=spans), periods,
                               reverse("case-list"), undated=stats.undated_in(spans))
        return {
            "chart_html": render_to_string("_timeline.html", {
                "chart": chart, "chart_id": "timeline",
                "chart_title": _("Published cases per year, by form")}),
            "by_form": dict(by_form),
            "total": sum(by_form.values()),
            # What the data shows about the clustering, and never more (defections/analysis.py).
            "finding": analysis.analyse(cases, spans=spans, periods=periods).sentence,
            "people_count": Person.objects.visible_to(user).count(),
        }

    summary = remember("home", sql_of(cases), summarize)
    by_form, total = summary["by_form"], summary["total"]
    return render(request, "home.html", {
        "case_count": total,
        "people_count": summary["people_count"],
        "finding": summary["finding"],
        "forms": [{"value": f.value, "label": f.label, "count": by_form.get(f.value, 0)}
                  for f in choices.Form],
        "periods": periods,
        "chart_html": mark_safe(summary["chart_html"]),  # our own rendering, cached
        # When a case with hidden details changed is not public: those are not listed.
        "recent": redacted(cases.details_shown().for_list().order_by("-updated_at", "-pk")[:8], user),
    })


@cached_page
def about(request):
    groups = [
        (_("Form"), "form", choices.Form, _("The kind of break with the state: each case has one.")),
        (_("Verification"), "verification", choices.Verification,
         _("How well the sources establish the case.")),
        (_("Classification"), None, choices.Classification,
         _("How certain it is that the act is of the coded form.")),
        (_("Visibility"), None, choices.Visibility, _("Whether the person announced the break.")),
        (_("State response"), "response", choices.ResponseKind, _("What the state did to the person.")),
        (_("Date precision"), None, Precision, _("How much of a date is known: dates are written as known, "
                                                 "never made more precise than the sources.")),
        (_("Agency kind"), "agency_kind", choices.AgencyKind, _("The kind of body the person served.")),
        (_("Source kind"), None, choices.SourceKind, _("What a source is.")),
        (_("Source reliability"), None, choices.Reliability, _("Our assessment of a source.")),
        (_("Claim"), None, choices.Claim, _("What a citation or an account is about.")),
        (_("Account holder"), None, choices.Holder,
         _("Who holds an account of a fact, when sources tell it differently.")),
        (_("Account rank"), None, choices.Rank,
         _("How the editors weigh competing accounts of one fact (as Wikidata ranks statements).")),
        (_("Editorial status"), None, choices.Status,
         _("Where a record is in its review. Only published cases are shown here.")),
    ]
    return render(request, "about.html", {
        "codebook": [
            {"title": title, "param": param, "id": enum.__name__.lower(), "intro": intro,
             "values": [{"value": value, "label": label, "definition": enum.definitions[value]}
                        for value, label in enum.choices]}
            for title, param, enum, intro in groups
        ],
        "motives": Motive.objects.all(),
        "periods": Period.objects.all(),
        "versions": reversed(codebook.VERSIONS),
        "date_forms": ACCEPTED,
        "current_version": codebook.CURRENT,
    })


# --- cases -----------------------------------------------------------------------------------


@cached_page
def case_list(request):
    """The shared CaseFilterSet as a page: results, facet counts, the filtered timeline.

    Invalid values are reported (status 400) and left out; the valid filters still apply.
    """
    selection = select_cases(request, counted=True)  # as its feed selects (defections/web/feeds.py)
    data, filterset, active = selection.data, selection.filterset, selection.active
    user, visible, filtered = request.user, selection.visible, selection.filtered  # by date, or rank
    valid, q = selection.valid, active.get("q", "")

    ordered = filtered
    ordering = active.get("ordering")
    if ordering:
        ordered = filterset.filters["ordering"].filter(ordered, ordering)
    # What a row shows (cases/_row.html), fetched for the page's ids only.
    rows = (visible.select_related("person", "agency")
            .defer("search_vector", "narrative", "restricted_notes"))
    if q:
        rows = with_headlines(rows, q)  # the summary's hits, in each language

    # The filters as given (not page or page_size): what the cached part of the page depends on.
    params = [(name, value) for name, values in sorted(data.lists()) if name in filterset.filters
              for value in values]

    def summarize():
        spans = stats.year_spans(filtered)
        count = sum(n for *_, n in spans)
        first, last = active.get("year_min"), active.get("year_max")
        chart = timeline.build(stats.by_year_and_form(filtered, first, last, spans),
                               list(Period.objects.all()), reverse("case-list"), params,
                               undated=stats.undated_in(spans), first=first, last=last)
        return {
            "count": count,
            "facets_html": render_to_string("cases/_facets.html", {
                "facets": read_aloud(facets.case_facets(filterset, visible, user=user)),
                "form": filterset.form,
                "facets_in_use": len(selection.chips),  # as many as the chips shown
            }),
            "chart_html": render_to_string("_timeline.html", {
                "chart": chart, "chart_id": "list-timeline",
                "chart_title": _("Cases matching these filters, per year, by form")}),
        }

    # The counts of a filtered list (several scans of the filtered cases) and the markup
    # drawn from them are most of the page's cost: remembered until the next write. The
    # raw values are in the key because the markup echoes them (chosen options, links).
    key, version = (sql_of(filtered), params), getattr(request, "data_version", None)
    summary = remember("case_list", key, summarize, version)
    page = paginate(request, paging.ids_of(ordered), count=summary["count"])
    # The page's ids too: ranking a search's matches is the costly part of a search.
    ids = remember("page_ids", (key, page.number, page.paginator.per_page),
                   lambda: list(page.object_list), version)
    page.object_list = redacted(paging.rows_of(ids, rows), user)
    for case in page.object_list:
        case.name_html = highlight_name(person_name(case.person), q) if q else None
        case.summary_html = summary_html(case) if q else None

    query = query_without(request, "page")
    feed_query = selection.query(*PAGING)
    api = API_CASES
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "errors": not valid,
        "labelled_errors": selection.labelled_errors(),
        "title": selection.title(),
        "chips": selection.chips,
        "clear_all": selection.clear_all(),
        "facets_html": mark_safe(summary["facets_html"]),  # our own rendering, cached
        "page": page,
        "q": q,
        "query": query,
        "active": active,
        "chart_html": mark_safe(summary["chart_html"]),
        "orderings": [("", _("Relevance") if q else _("Date, earliest first")),
                      *([("date", _("Date, earliest first"))] if q else []),
                      ("-date", _("Date, latest first")), ("name", _("Name")),
                      ("-name", _("Name, Z to A")), ("-updated", _("Last updated"))],
        "ordering": data.get("ordering", ""),
        "json_url": f"{api}?{query}" if query else api,
        "csv_url": f"{api}?{query}&format=csv" if query else f"{api}?format=csv",
        "feed_url": reverse("case-feed") + (f"?{feed_query}" if feed_query else ""),
        "year_min": data.get("year_min", ""),
        "year_max": data.get("year_max", ""),
    }
    return render(request, "cases/list.html", context, status=200 if valid else 400)


@cached_page
def case_detail(request, pk):
    user = request.user
    visible = Case.objects.visible_to(user)
    try:
        case = get_object_or_404(
            cite.published(visible.for_list()).prefetch_related(
                Prefetch("citations", Citation.objects.select_related("source")),
                Prefetch("responses", Response.objects.order_by("date_start", "pk").prefetch_related(
                    Prefetch("citations", Citation.objects.select_related("source")))),
                Prefetch("accounts", Account.objects.order_by("claim", "pk").prefetch_related(
                    Prefetch("citations", Citation.objects.select_related("source")))),
            ),
            pk=pk,
        )
    except Http404:
        if gone := visibility.tombstone(pk, user):  # a retracted case: its notice
            return render(request, "cases/retracted.html", {"case": gone}, status=410)
        raise
    case = redaction.redact(case, user)
    others = visible.exclude(pk=case.pk).select_related("person", "agency")
    related = [(_("Same person"), others.filter(person_id=case.person_id), None)]
    shown = others.details_shown()
    if case.agency_id:  # a redacted case has none, nor a period
        related.append((_("Same agency: %(agency)s") % {"agency": facets.agency_label(case.agency)},
                        shown.filter(agency_id=case.agency_id),
                        f"{reverse('case-list')}?agency={case.agency.slug}"))
    if case.period_id:  # a withheld date has none either; nor is a case withholding it listed
        related.append((_("Same period: %(period)s") % {"period": languages.text(case.period, "name")},
                        shown.known("date").filter(period_id=case.period_id),
                        f"{reverse('case-list')}?period={case.period.slug}"))
    listed = set()  # a case is listed in one column only: the first that has it
    for i, (title, cases, more) in enumerate(related):
        related[i] = (title, redacted(cases.exclude(pk__in=listed)[:RELATED], user), more)
        listed.update(c.pk for c in related[i][1])
    permalink, accessed = request.build_absolute_uri(case.get_absolute_url()), withholding.today()
    return render(request, "cases/detail.html", {
        "case": case,
        "related": [r for r in related if r[1]],
        "permalink": permalink,
        "accessed": accessed,
        "cite": cite.case_page(case, permalink, accessed),
        "form_definition": choices.Form.definitions[case.form],
        "verification_definition": choices.Verification.definitions.get(case.verification, ""),
    })


# --- people --------------------------------------------------------------------------------


@cached_page
def person_list(request):
    data = clean_params(request)
    user = request.user
    visible = Person.objects.visible_to(user)
    filterset = PersonFilterSet(data, queryset=visible, request=request)
    valid = filterset.is_valid()
    people = visible.order_by("name", "pk")
    q = filterset.form.cleaned_data.get("q", "") if valid else ""
    if valid:
        people = filterset.filter_queryset(people)
    people = people.prefetch_related(
        Prefetch("cases", Case.objects.visible_to(user), to_attr="public_cases"))
    page = paginate(request, people)
    page.object_list = redacted(page.object_list, user)
    for person in page.object_list:
        person.public_cases = redacted(person.public_cases, user)
    return render(request, "people/list.html", {
        "page": page, "form": filterset.form, "q": q, "query": query_without(request, "page"),
    }, status=200 if valid else 400)


@cached_page
def person_detail(request, pk):
    user = request.user
    person = get_object_or_404(Person.objects.visible_to(user).prefetch_related(
        "aliases", Prefetch("affiliations", Affiliation.objects.select_related("agency"))), pk=pk)
    cases = Case.objects.visible_to(user).for_list().filter(person=person).prefetch_related(
        Prefetch("responses", Response.objects.order_by("date_start", "pk")))
    person = redaction.redact(person, user)
    # The sources of the cases whose details user sees (none of an at-risk person's: the door).
    citations = (Citation.objects.visible_to(user).filter(case_ref__in=cases.values("pk"))
                 .select_related("source").order_by("source__published_on", "source_id", "pk"))
    return render(request, "people/detail.html", {
        "person": person, "cases": redacted(cases, user), "affiliations": person.affiliations.all(),
        "citations": citations,
    })


# --- for browsers and crawlers ----------------------------------------------------------------


def favicon(request):
    """Browsers ask every site for /favicon.ico: the icon the pages name."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
