"""The API's viewsets. Every query starts from the one door, `visible_to(user)`
(defections/visibility.py); filters are the pages' FilterSets."""

import csv
import hashlib
import json
from itertools import islice

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, ProtectedError
from django.http import Http404, StreamingHttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_vary_headers, set_response_etag
from django.utils.http import parse_etags, quote_etag
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import exceptions, generics, status, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response as APIResponse
from rest_framework.utils.urls import replace_query_param

from defections import csv_lines, json_lines, stats, visibility
from defections.api import serializers as s
from defections.api.filters import FilterBackend
from defections.api.languages import LanguageMixin, project
from defections.api.renderers import Echo, Written, columns_of, row_of
from defections.api.rows import shape
from defections.cache import remember
from defections.filtersets import AgencyFilterSet, CaseFilterSet, PersonFilterSet, SourceFilterSet
from defections.models import Account, Affiliation, Agency, Case, Citation, Period, Person, Response, Source
from defections.paging import ids_of
from defections.publisher import DATA_LICENCE
from defections.rows import case_rows

CSV_MAX_PAGE_SIZE = 100_000
LICENCE_LINK = f'<{DATA_LICENCE["url"]}>; rel="license"'

CSV_CHUNK_SIZE = 1000
CSV_LINES_CHUNK = 5000  # ids per query when PostgreSQL writes the lines (each query is planned anew)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The record is still referred to.")
    default_code = "conflict"


class APIMixin(LanguageMixin):
    """What every endpoint shares: its language, errors in JSON, and ETags for conditional GETs."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # PostgreSQL refuses NUL in text; say so as a 400 instead of failing inside a filter.
        bad = sorted({key for key, values in request.query_params.lists()
                      if "\x00" in key or any("\x00" in value for value in values)})
        if bad:
            raise exceptions.ValidationError({key.replace("\x00", "") or "query": [
                gettext("Null characters are not allowed.")] for key in bad})

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400 and not response.streaming:
            # An error is JSON whatever format was asked for (the schema says so).
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Authorization"])
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            # Whoever saves the answer (JSON or CSV) keeps the terms it may be reused under.
            response["Link"] = ", ".join(filter(None, [response.get("Link"), LICENCE_LINK]))
        if request.method in ("GET", "HEAD") and response.status_code == 200 and not response.streaming:
            response.render()
            set_response_etag(response)
            return get_conditional_response(request._request, etag=response["ETag"], response=response)
        if request.method in ("PUT", "PATCH") and response.status_code == 200:
            response.render()
            set_response_etag(response)  # the version written: the next If-Match
        return response


class CSVListMixin:
    """A list as CSV streams rows over an iterator: constant memory for any export size.

    `page_size` may then go up to CSV_MAX_PAGE_SIZE (the default); the next page, if
    any, is in the `Link` header.
    """

    csv = True

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format != "csv":
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        size = page = None
        try:
            size = min(int(request.query_params.get("page_size", CSV_MAX_PAGE_SIZE)), CSV_MAX_PAGE_SIZE)
            page = int(request.query_params.get("page", 1))
        except ValueError:
            pass
        if not size or size < 1 or not page or not 1 <= page <= 10**9:
            raise exceptions.ValidationError({"page": [gettext("page and page_size are positive integers.")]})
        offset = (page - 1) * size
        serializer = self.get_serializer()
        columns = columns_of(serializer)
        writer = csv.writer(Echo())
        read_rows = getattr(self, "read_rows", None)
        write_lines = getattr(self, "csv_lines", None)

        if write_lines is not None and csv_lines.supported(columns):  # lines from PostgreSQL
            link, user = serializer.fields.get("api_url"), request.user
            prefix = link.prefix(link.view_name, request) if link is not None else ""
            ids = ids_of(queryset)[offset:offset + size].iterator(chunk_size=CSV_LINES_CHUNK)

            def rows():
                yield writer.writerow(columns)
                while chunk := list(islice(ids, CSV_LINES_CHUNK)):
                    if lines := write_lines(chunk, user, columns, prefix):
                        yield "\r\n".join(lines) + "\r\n"
        elif read_rows is not None:  # plain rows, a chunk of ids at a time (defections/rows.py)
            represent, user = shape(serializer), request.user
            ids = ids_of(queryset)[offset:offset + size].iterator(chunk_size=CSV_CHUNK_SIZE)

            def rows():
                yield writer.writerow(columns)
                while chunk := list(islice(ids, CSV_CHUNK_SIZE)):
                    for row in read_rows(chunk, user):
                        yield writer.writerow(row_of(represent(row), columns))
        else:
            context = self.get_serializer_context()
            records = queryset[offset:offset + size].iterator(chunk_size=CSV_CHUNK_SIZE)

            def rows():
                yield writer.writerow(columns)
                row_serializer = self.serializer_class(context=context)  # one, reused for every row
                for record in records:
                    yield writer.writerow(row_of(row_serializer.to_representation(record), columns))

        response = StreamingHttpResponse(in_language(settings.LANGUAGE_CODE, rows()),
                                         content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.basename}s.csv"'
        if queryset[offset + size:offset + size + 1].exists():
            url = replace_query_param(request.build_absolute_uri(), "page", page + 1)
            response["Link"] = f'<{url}>; rel="next"'
        return response


def in_language(language: str, lines):
    """lines, each made with language in force. A CSV is one file whatever the language asked
    (English texts under the field's name, Russian beside them: README, "Languages"), so its
    dates are written in the site's default language too; and a streamed body is made after
    the view returned, when no language of the request's is in force any more."""
    while True:
        with translation.override(language):
            line = next(lines, None)
        if line is None:
            return
        yield line


class ProtectedDeleteMixin:
    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError as error:
            count = len(error.protected_objects)
            raise Conflict(ngettext(
                "This %(record)s is still referred to by %(count)s record(s); remove those first.",
                "This %(record)s is still referred to by %(count)s record(s); remove those first.",
                count) % {"record": instance._meta.verbose_name, "count": count}) from error


class ModelViewSet(APIMixin, CSVListMixin, ProtectedDeleteMixin, viewsets.ModelViewSet):
    """Writes are one transaction each; with `If-Match`, only on the version the client read."""

    filter_backends = [FilterBackend]

    def create(self, request, *args, **kwargs):
        return self.committed(super().create, request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        return self.committed(super().update, request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        return self.committed(super().destroy, request, *args, **kwargs)

    def committed(self, write, request, *args, **kwargs):
        """The write in one transaction. What PostgreSQL refuses at commit (an invariant of
        defections/invariants.py that the checks before missed) is a 409 saying why."""
        try:
            with transaction.atomic():
                if request.method != "POST" and (refusal := self.stale(request)):
                    return refusal
                return write(request, *args, **kwargs)
        except IntegrityError as error:
            raise Conflict(str(error).strip().splitlines()[0]) from error

    def stale(self, request):
        """A 412 with the current ETag when If-Match names another version, else None.

        The ETag is the one a GET of the record gives this client now (a hash of what it
        reads), computed with the row locked, so no other write lands in between.
        """
        header = request.headers.get("If-Match")
        if header is None:
            return None
        record = self.get_object()
        list(type(record).objects.select_for_update(of=("self",)).filter(pk=record.pk).values("pk"))
        record = self.get_object()
        body = JSONRenderer().render(self.get_serializer(record).data)
        current = quote_etag(hashlib.md5(body, usedforsecurity=False).hexdigest())
        wanted = {tag.removeprefix("W/") for tag in parse_etags(header)}
        if "*" in wanted or current in wanted:
            return None
        return APIResponse({"detail": gettext("The record changed since you read it: read it again "
                                              "(its ETag is the current version) and redo the change.")},
                           status=status.HTTP_412_PRECONDITION_FAILED, headers={"ETag": current})


class CaseViewSet(ModelViewSet):
    """Cases of defection. The public sees published cases; staff (view_case) see all."""

    serializer_class = s.CaseSerializer
    filterset_class = CaseFilterSet
    page_by_ids = True  # see Pagination
    read_rows = staticmethod(case_rows)  # lists and exports read plain rows, not instances
    csv_lines = staticmethod(csv_lines.case_lines)  # the CSV's lines are written by PostgreSQL

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format == "csv":
            return super().list(request, *args, **kwargs)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(page)

    def page_rows(self, ids):
        """A page's cases as the serializer shows them (Pagination): as JSON written by
        PostgreSQL when the answer is JSON, else read as rows."""
        request, fields = self.request, json_lines.fields_of(self.serializer_class)
        if request.accepted_renderer.format == "json" and json_lines.supported(fields):
            context, link = self.get_serializer_context(), self.serializer_class._declared_fields["api_url"]
            written = json_lines.case_objects(ids, request.user, fields, context["lang"], context["both"],
                                              s.link_prefix(link.view_name, request))
            return [Written(record) for record in written]
        represent = shape(self.get_serializer())
        return [represent(row) for row in case_rows(ids, request.user)]

    def retrieve(self, request, *args, **kwargs):
        """A retracted case answers 410 with its retraction notice, not a bare 404."""
        try:
            return super().retrieve(request, *args, **kwargs)
        except Http404:
            if gone := visibility.tombstone(kwargs.get("pk"), request.user):
                notice = project(gone, ("retraction_note",), request.api_language, request.api_both)
                return APIResponse({"detail": _("This case was retracted."), "status": "retracted", **notice},
                                   status=status.HTTP_410_GONE)
            raise

    def get_queryset(self):
        return Case.objects.visible_to(self.request.user).for_list().prefetch_related(
            Prefetch("responses", Response.objects.order_by("date_start", "pk").prefetch_related(
                Prefetch("citations", Citation.objects.select_related("source").order_by("pk")))),
            Prefetch("citations", Citation.objects.select_related("source").order_by("pk")),
            Prefetch("accounts", Account.objects.order_by("claim", "pk").prefetch_related(
                Prefetch("citations", Citation.objects.select_related("source").order_by("pk")))),
        )


class PersonViewSet(ModelViewSet):
    """People with at least one visible case (staff: everyone)."""

    serializer_class = s.PersonSerializer
    filterset_class = PersonFilterSet

    def get_queryset(self):
        user = self.request.user
        return Person.objects.visible_to(user).order_by("name", "pk").prefetch_related(
            "aliases", Prefetch("cases", Case.objects.visible_to(user)),
            Prefetch("affiliations",
                     Affiliation.objects.select_related("agency").order_by("date_start", "pk")))


class AgencyViewSet(ModelViewSet):
    """Agencies named by public data, with their lines (staff: every agency)."""

    serializer_class = s.AgencySerializer
    filterset_class = AgencyFilterSet

    def get_queryset(self):
        return (Agency.objects.visible_to(self.request.user)
                .select_related("parent", "predecessor").order_by("name", "pk"))


class SourceViewSet(ModelViewSet):
    """Sources cited by a visible case or its responses (staff: every source)."""

    serializer_class = s.SourceSerializer
    filterset_class = SourceFilterSet

    def get_queryset(self):
        return (Source.objects.visible_to(self.request.user).select_related("derived_from", "origin")
                .order_by("-published_on", "title", "pk"))


class AffiliationViewSet(ModelViewSet):
    """Posts held in agencies, of the people whose details the reader sees (staff: all)."""

    serializer_class = s.AffiliationSerializer
    filter_backends = []

    def get_queryset(self):
        return (Affiliation.objects.visible_to(self.request.user).select_related("person", "agency")
                .order_by("person__name", "date_start", "pk"))


class PeriodViewSet(ModelViewSet):
    serializer_class = s.PeriodSerializer
    queryset = Period.objects.order_by("start", "pk")
    filter_backends = []


@extend_schema_serializer(many=False)
class StatsResultSerializer(s.StatsSerializer):
    pass


class CaseSummaryView(APIMixin, generics.GenericAPIView):
    """One JSON answer about the visible cases the case filters select (stats, analysis)."""

    filter_backends = [FilterBackend]
    filterset_class = CaseFilterSet
    pagination_class = None
    renderer_classes = [JSONRenderer]
    filters_one_result = True

    def get_queryset(self):
        return Case.objects.visible_to(self.request.user)


class StatsView(CaseSummaryView):
    """Counts by year × form, by agency and by period, under the case filters."""

    serializer_class = StatsResultSerializer

    @extend_schema(responses=StatsResultSerializer)
    def get(self, request, *args, **kwargs):
        is_staff = visibility.is_staff(request.user)

        def compute():
            cases = self.filter_queryset(self.get_queryset()).order_by()
            # the count, the undated, the years, the agencies and the periods, in one scan
            spans, agencies, periods = stats.all_counts(cases)
            data = {
                "count": sum(n for *_, n in spans),
                "undated": stats.undated_in(spans),
                "by_year_and_form": stats.by_year_and_form(cases, spans=spans),
                "by_agency": stats.by_agency(cases, agencies),
                "by_period": stats.by_period(cases, periods),
            }
            return json.loads(JSONRenderer().render(
                StatsResultSerializer(data, context=self.get_serializer_context()).data))

        # One cache entry for the whole answer, keyed by the URL as asked (its links are
        # absolute): a repeated request skips even building the FilterSet. A bad filter
        # raises inside compute(), so errors are never kept.
        return APIResponse(remember("stats", (request.build_absolute_uri(), is_staff), compute))

