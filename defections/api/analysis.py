"""/api/v1/analysis/: the clustering test (defections/analysis.py) under the case filters,
the same numbers as the /analysis/ page."""

import json

from django.utils.translation import gettext_lazy as _
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response as APIResponse

from defections import analysis, visibility
from defections.api.filters import FilterBackend
from defections.api.views import CaseSummaryView
from defections.cache import remember

Number = serializers.FloatField


class SpreadSerializer(serializers.Serializer):
    in_periods = Number(help_text=_("Cases in the periods, each dated case spread evenly over its years."))
    outside = Number()
    ratio = Number(allow_null=True)
    ci_low = Number(allow_null=True)
    ci_high = Number(allow_null=True, help_text=_("From the rounded counts. Null: no upper bound."))


class ResultSerializer(serializers.Serializer):
    dated = serializers.IntegerField(help_text=_("Dated cases touching the window."))
    placed = serializers.IntegerField(help_text=_("Of them, wholly in or wholly outside the periods."))
    in_periods = serializers.IntegerField()
    outside = serializers.IntegerField()
    imprecise = serializers.IntegerField(
        help_text=_("Dated to years both in and outside the periods: left out."))
    rate_in = Number(allow_null=True, help_text=_("Placed cases per period year."))
    rate_out = Number(allow_null=True, help_text=_("Placed cases per other year."))
    ratio = Number(allow_null=True, help_text=_(
        "rate_in / rate_out. Null when not estimated (see verdict) or with no case outside."))
    # xgettext:no-python-format
    ci_low = Number(allow_null=True, help_text=_("Exact (Clopper–Pearson) 95% interval, lower end."))
    ci_high = Number(allow_null=True, help_text=_("Upper end; null when unbounded."))
    p_value = Number(allow_null=True,
                     help_text=_("Exact two-sided binomial test against the share of period years."))
    shift_p_value = Number(allow_null=True, help_text=_(
        "Share of circular shifts of the period years with at least the observed share of cases in them."))
    shifts = serializers.IntegerField()
    spread = SpreadSerializer(allow_null=True)
    verdict = serializers.ChoiceField(choices=["estimated", "too_few", "no_contrast", "filtered_by_period"])
    note = serializers.CharField()


class PeriodYearsSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    first = serializers.IntegerField()
    last = serializers.IntegerField()


class AnalysisSerializer(serializers.Serializer):
    first = serializers.IntegerField(help_text=_("The window's first year (year_min, or 1917)."))
    last = serializers.IntegerField(help_text=_("The window's last year (year_max, or this year)."))
    years = serializers.IntegerField()
    period_years = serializers.IntegerField(help_text=_("Years any day of which lies in a period."))
    share = Number(help_text=_("period_years / years."))
    periods = PeriodYearsSerializer(many=True)
    overall = ResultSerializer()
    by_form = serializers.DictField(child=ResultSerializer(), help_text=_("The same test per form."))
    undated = serializers.IntegerField(help_text=_("Cases with no known (or a withheld) date: left out."))
    outside_window = serializers.IntegerField(help_text=_("Cases dated wholly outside the window: left out."))
    sentence = serializers.CharField(help_text=_("The answer in one quotable sentence."))
    caveats = serializers.ListField(child=serializers.CharField())


class AnalysisView(CaseSummaryView):
    """Do defections cluster in the periods of instability? The rate of cases per year in
    the periods against outside them, under the case filters (as on /analysis/)."""

    serializer_class = AnalysisSerializer

    @extend_schema(responses=AnalysisSerializer)
    def get(self, request, *args, **kwargs):
        def compute():
            filterset = FilterBackend().get_filterset(request, self.get_queryset(), self)
            if not filterset.is_valid():
                raise translate_validation(filterset.errors)
            result = analysis.of_filterset(filterset).as_dict()
            return json.loads(JSONRenderer().render(AnalysisSerializer(result).data))

        # Kept until the next write, and for the day (the window ends this year).
        key = (request.build_absolute_uri(), visibility.is_staff(request.user))
        return APIResponse(remember("analysis", key, compute))
