"""/analysis/: the clustering test (defections/analysis.py) as a page, under the same query
string as /cases/, with its chart and its method."""

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from defections import analysis, languages, stats
from defections.choices import Form
from defections.filtersets import CaseFilterSet
from defections.models import Case
from defections.web import timeline
from defections.web.views import cached_page, clean_params

API_ANALYSIS = "/api/v1/analysis/"  # the same numbers as JSON (defections/api/analysis.py)


@cached_page
def analysis_page(request):
    data = clean_params(request)
    filterset = CaseFilterSet(data, queryset=Case.objects.visible_to(request.user), request=request)
    valid = filterset.form.is_valid()
    cases, active = analysis.selected(filterset)  # the valid filters: the others are reported
    spans = stats.year_spans(cases)  # one scan for the test and its chart
    result = analysis.of_filterset(filterset, spans=spans)
    periods = list(filterset.form.fields["period"].queryset)
    names = {period.slug: languages.text(period, "name") for period in periods}
    for period in result.periods:  # named in the page's language
        period["name"] = names.get(period["slug"], period["name"])
    params = [(name, value) for name, values in sorted(data.lists()) if name in filterset.filters
              for value in values]
    chart = timeline.build(stats.by_year_and_form(cases, result.first, result.last, spans),
                           periods, reverse("case-list"), params,
                           undated=result.undated, first=result.first, last=result.last)
    query = data.urlencode()
    others = data.copy()
    others.pop("form", None)  # a form's row links to the same filters with that form alone
    others = others.urlencode()
    forms = [{"label": _("All forms"), "result": result.overall, "value": ""}] + [
        {"label": form.label, "result": result.by_form[form.value], "value": form.value}
        for form in Form]
    return render(request, "analysis.html", {
        "a": result, "forms": forms, "chart": chart, "query": query, "others": others,
        "errors": None if valid else filterset.form.errors,
        "active": [(filterset.form.fields[name].label, name) for name in active if name != "ordering"],
        "list_url": f"{reverse('case-list')}?{query}" if query else reverse("case-list"),
        "json_url": f"{API_ANALYSIS}?{query}" if query else API_ANALYSIS,
        "min_cases": analysis.MIN_CASES, "window_start": analysis.WINDOW_START,
    }, status=200 if valid else 400)
