"""A case or a release as a citation file: BibTeX, RIS or CSL-JSON (defections/citation.py).

A case comes through the same door as its page: what the reader may see (`visible_to`),
redacted; a retracted case answers 410 with its notice, a case the reader may not see 404.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from defections import citation, redaction, releases, visibility, withholding
from defections.models import Case


def _file(item: dict, fmt: str, name: str) -> HttpResponse:
    if fmt not in citation.FORMATS:
        raise Http404("No such citation format.")
    render_, content_type, extension = citation.FORMATS[fmt]
    response = HttpResponse(render_(item), content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


@require_safe
def case_citation(request, pk, fmt):
    if fmt not in citation.FORMATS:
        raise Http404("No such citation format.")
    user = request.user
    visible = citation.published(Case.objects.visible_to(user).select_related("person"))
    try:
        case = get_object_or_404(visible, pk=pk)
    except Http404:
        if gone := visibility.tombstone(pk, user):
            return render(request, "cases/retracted.html", {"case": gone}, status=410)
        raise
    case = redaction.redact(case, user)
    url = request.build_absolute_uri(case.get_absolute_url())
    return _file(citation.for_case(case, url, withholding.today()), fmt, f"defection-case-{case.pk}")


@require_safe
def release_citation(request, version, fmt):
    manifest = releases.load(version)
    if manifest is None:
        raise Http404("No such release.")
    return _file(citation.for_release(manifest), fmt, f"defection-dataset-{manifest['version']}")
