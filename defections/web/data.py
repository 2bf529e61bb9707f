"""/data/: the numbered releases of the public data, to download and cite, and their files.

Releases never change, so a file is served with a long cache lifetime; only the files a
release's manifest lists are served (defections/releases.py), so no other path can be asked
for. The page is not kept by the page cache (defections/cache.py keys pages by the data
version, which a new release does not change): it reads the manifests on every visit.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.views.decorators.http import require_safe

from defections import publisher, releases

# A release never changes, but it may be withdrawn (releases.withdrawn): caches ask again soon.
MAX_AGE = 300
# json.dumps in a <script> block: nothing in it may close the block or open a comment.
SCRIPT_SAFE = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}
# A release's tables (defections/api/dataset.py) as the page names them, in the page's language.
TABLE_NAMES = {"cases": pgettext_lazy("release table", "cases"),
               "people": pgettext_lazy("release table", "people"),
               "agencies": pgettext_lazy("release table", "agencies"),
               "sources": pgettext_lazy("release table", "sources"),
               "periods": pgettext_lazy("release table", "periods"),
               "affiliations": pgettext_lazy("release table", "affiliations")}


def counted(table: str, n: int) -> str:
    """"12 cases": a table's record count, in the page's language."""
    forms = {"cases": ngettext("%(n)s case", "%(n)s cases", n),
             "people": ngettext("%(n)s person", "%(n)s people", n),
             "agencies": ngettext("%(n)s agency", "%(n)s agencies", n),
             "sources": ngettext("%(n)s source", "%(n)s sources", n),
             "periods": ngettext("%(n)s period", "%(n)s periods", n),
             "affiliations": ngettext("%(n)s affiliation", "%(n)s affiliations", n)}
    return forms[table] % {"n": n} if table in forms else f"{n} {table}"


def json_ld(request, release: dict) -> str:
    """schema.org Dataset of the newest release, for search engines (a data block: no script runs)."""
    who = release["publisher"]
    organisation = {"@type": "Organization", "name": who["name"]}
    if who["url"]:
        organisation["url"] = who["url"]
    data = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": release["title"],
        "description": publisher.statement(),
        "url": request.build_absolute_uri(reverse("data")),
        "version": release["version"],
        "datePublished": release["created_at"][:10],
        "license": release["licence"]["url"],
        "isAccessibleForFree": True,
        "publisher": organisation,
        "creator": organisation,
        "distribution": [
            {"@type": "DataDownload", "name": entry["path"], "encodingFormat": entry["media_type"],
             "contentSize": f"{entry['bytes']} B", "sha256": entry["sha256"],
             "contentUrl": request.build_absolute_uri(
                 reverse("release-file", args=[release["version"], entry["path"]]))}
            for entry in release["files"]
        ],
    }
    return mark_safe(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(SCRIPT_SAFE))


@require_safe
def data_list(request):
    listed = releases.listed()
    for release in listed:
        release["withdrawn"] = releases.withdrawn(release)
        release["published"] = parse_datetime(release["created_at"])
        release["changed_tables"] = [
            {"table": TABLE_NAMES.get(table, table), **{kind: len(ids) for kind, ids in change.items()}}
            for table, change in release["changes"].items() if any(change.values())]
        release["counted"] = [counted(table, n) for table, n in release["counts"].items()]
    served = [release for release in listed if not release["withdrawn"]]
    return render(request, "data/list.html", {
        "releases": listed,
        "json_ld": json_ld(request, served[0]) if served else None,
    })


@require_safe
def release_file(request, version, filename):
    found = releases.served(version, filename)
    if found is None:
        raise Http404(gettext("No such file in this release."))
    path, media_type = found
    if filename != releases.MANIFEST and releases.withdrawn(releases.load(version)):
        return HttpResponse(gettext("This release is withdrawn: something it shows has since been kept "
                                    "from the public. Download a later release from /data/.") + "\n",
                            status=410, content_type="text/plain; charset=utf-8")
    if media_type.startswith("text/"):
        media_type += "; charset=utf-8"
    response = FileResponse(path.open("rb"), content_type=media_type, as_attachment=True,
                            filename=filename)
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response
