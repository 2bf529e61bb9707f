"""Pages of `page_size` records whose `count` costs a bounded amount, however large the table.

`count` is exact up to EXACT_COUNT_LIMIT matching records (one `COUNT(*)` over a
`LIMIT`ed subquery); above that it is PostgreSQL's planner estimate for the filtered
query (`EXPLAIN`), which costs the same for any table size. `next` and `previous`
never depend on `count`: a page reads one row more than it shows to know whether
another page follows. The count is remembered until the next write (defections/cache.py).
"""

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.utils.functional import cached_property
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import PageNumberPagination

from defections.cache import remember, sql_of
from defections.paging import ids_of, rows_of

EXACT_COUNT_LIMIT = 10_000
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_NUMBER = 10**9  # keeps OFFSET inside PostgreSQL's bigint


def planner_estimate(queryset) -> int:
    """The planner's row estimate for the query: no rows are read."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    return int(plan[0]["Plan"]["Plan Rows"])


class BoundedPage(Page):
    def has_next(self):
        return self.more


class BoundedCountPaginator(Paginator):
    exact_count_limit = EXACT_COUNT_LIMIT

    @cached_property
    def count(self) -> int:
        keys = self.object_list.order_by().values("pk")
        return remember("bounded_count", sql_of(keys), lambda: self.bounded_count(keys))

    def bounded_count(self, keys) -> int:
        exact = keys[: self.exact_count_limit + 1].count()
        if exact <= self.exact_count_limit:
            return exact
        return max(exact, planner_estimate(keys))

    def validate_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(gettext("That page number is not an integer.")) from error
        if not 1 <= number <= MAX_PAGE_NUMBER:
            raise EmptyPage(gettext("A page number is from 1 to %(last)s.") % {"last": MAX_PAGE_NUMBER})
        return number

    def __init__(self, object_list, per_page, rows=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        # what to fetch for the ids of a page (a queryset, or a function of the ids); None:
        # read the page at once
        self.rows = rows

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if self.rows is None:
            rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        else:
            ids = ids_of(self.object_list)[bottom : bottom + self.per_page + 1]
            rows = self.rows(list(ids)) if callable(self.rows) else rows_of(ids, self.rows)
        if not rows and number > 1:
            raise EmptyPage(gettext("That page contains no results."))
        page = BoundedPage(rows[: self.per_page], number, self)
        page.more = len(rows) > self.per_page
        return page


class Pagination(PageNumberPagination):
    def paginate_queryset(self, queryset, request, view=None):
        # A view with `page_by_ids` has its page's ids read first, then their rows from its
        # unfiltered queryset (defections/paging.py): the filters, a search among them,
        # run once, on the narrowest rows.
        # A view with `page_rows` reads them as plain rows instead (defections/rows.py).
        self.rows = None
        if getattr(view, "page_by_ids", False):
            self.rows = getattr(view, "page_rows", None) or view.get_queryset()
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, object_list, per_page):
        return BoundedCountPaginator(object_list, per_page, rows=self.rows)

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = format_lazy(_(
        "Records per page, 1 to {maximum} (default {default}; larger values are cut to the "
        "maximum). With format=csv: up to 100,000."), maximum=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)
    page_query_description = _("Page number, from 1.")

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=MAX_PAGE_SIZE)
            else:
                parameter["schema"].update(minimum=1)
        return parameters

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = gettext(
            "Matching records: exact up to %(limit)s; above that, PostgreSQL's planner estimate. "
            "Follow `next` until it is null to read them all.") % {"limit": f"{EXACT_COUNT_LIMIT:,}"}
        return response
