"""For search engines: robots.txt and the sitemap.

The sitemap lists what the public may read, through the one door
(`Model.objects.visible_to(None)`), in both languages with hreflang alternates
(django.contrib.sitemaps). A record whose details are withheld for a person's safety is
left out (`visibility.details_shown`): its page is public, but its change time is not, and
nothing is lost by not pointing crawlers at a page that shows a name and a year.
"""

from django.contrib.sitemaps import Sitemap
from django.http import HttpResponse
from django.urls import reverse

from defections import visibility
from defections.models import Agency, Case, Person, Source


class PublicSitemap(Sitemap):
    """Every address in English and in Russian (/ru/), each naming the other."""

    i18n = True
    alternates = True
    x_default = True
    limit = 5000  # addresses per sitemap page (with both languages: twice as many URLs)


class Pages(PublicSitemap):
    def items(self):
        return ["home", "case-list", "people-list", "agency-list", "source-list", "analysis", "data", "about"]

    def location(self, item):
        return reverse(item)


class Cases(PublicSitemap):
    def items(self):
        cases = visibility.details_shown(Case.objects.visible_to(None))
        return cases.order_by("pk").only("pk", "updated_at")

    def lastmod(self, case):
        return case.updated_at


class People(PublicSitemap):
    def items(self):
        return visibility.details_shown(Person.objects.visible_to(None)).order_by("pk").only("pk")


class Agencies(PublicSitemap):
    def items(self):
        return Agency.objects.visible_to(None).order_by("pk").only("pk")


class Sources(PublicSitemap):
    def items(self):
        return Source.objects.visible_to(None).order_by("pk").only("pk")


SITEMAPS = {"pages": Pages, "cases": Cases, "people": People, "agencies": Agencies, "sources": Sources}


def robots_txt(request):
    """Crawlers may read the public pages and the API's lists, not the admin (in either
    language), the API's token address (writes only) or the change feed (for mirrors)."""
    sitemap = request.build_absolute_uri(reverse("sitemap-index"))
    lines = ["User-agent: *", "Allow: /", "Disallow: /admin/", "Disallow: /ru/admin/",
             "Disallow: /api/v1/auth/", "Disallow: /api/v1/changes/", f"Sitemap: {sitemap}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
