"""Cases read as plain rows, without model instances: the bulk read path of the API's lists
and CSV exports.

A list of 50, or an export of 100,000, made one model instance per case, response,
citation and account and passed each through DRF's fields: most of its time. Here a page
of ids becomes a handful of `.values()` queries (the cases through the one door,
`Case.objects.visible_to(user)`, then their motives, responses, accounts, citations and,
for staff, withholdings, each for the whole page) and one dict per case, keyed by the
model's attribute names, related records as nested dicts and lists. The redaction is
the one redaction, in its form for rows (`redaction.redact_row`).

The API turns these rows into its answer with its serializers' declarations
(defections/api/rows.py); tests/test_read_path_parity.py checks that the two paths give
the same answer for every case, reader and language.
"""

from django.db.models import Q

from defections import redaction
from defections.models import Account, Case, Citation, Response, Withholding

CASE_COLUMNS = (
    "id", "form", "date_start", "date_end", "date_precision", "role", "role_ru", "country_from",
    "destination_country", "place", "visibility", "verification", "classification", "status", "summary",
    "summary_ru", "narrative", "narrative_ru", "codebook_version", "updated_at", "restricted_notes",
    "retraction_note", "retraction_note_ru",
)
RELATED = {
    "person": ("id", "name", "native_name", "at_risk"),
    "agency": ("id", "name", "name_ru", "acronym", "native_name"),
    "period": ("id", "slug", "name", "name_ru"),
}
RESPONSE_COLUMNS = ("id", "case_id", "kind", "date_start", "date_end", "date_precision", "description",
                    "description_ru")
ACCOUNT_COLUMNS = ("id", "case_id", "claim", "statement", "holder", "rank")
CITATION_COLUMNS = ("case_id", "response_id", "account_id", "locator", "quote", "claim", "source__id",
                    "source__title", "source__url", "source__origin_id")


def case_rows(ids, user) -> list[dict]:
    """The cases with these ids that user may see, in the order of ids, each a dict as
    redacted for user."""
    ids = list(ids)
    if not ids:
        return []
    door = Case.objects.visible_to(user).filter(pk__in=ids).order_by()
    redacting = "withheld_now" in door.query.annotations
    columns = [*CASE_COLUMNS, *(f"{name}__{column}" for name, cols in RELATED.items() for column in cols),
               "signed_off_by__username", *(("withheld_now", "person_withheld_now") if redacting else ())]
    found = {}
    for values in door.values(*columns):
        row = {column: values[column] for column in CASE_COLUMNS}
        for name, cols in RELATED.items():
            row[name] = None if values[f"{name}__id"] is None else {c: values[f"{name}__{c}"] for c in cols}
        row["signed_off_by"] = values["signed_off_by__username"]
        row.update(motives=[], responses=[], accounts=[], citations=[], withholdings=[])
        if redacting:
            row["withheld_now"] = values["withheld_now"]
            row["person"]["withheld_now"] = values["person_withheld_now"]
        found[row["id"]] = row
    _related(found)
    if not redacting:
        for values in Withholding.objects.filter(case_id__in=found).order_by("field", "pk").values(
                "case_id", "field", "reason", "reason_ru", "until"):
            found[values.pop("case_id")]["withholdings"].append(values)
    return [redaction.redact_row(found[pk], user) for pk in ids if pk in found]


def _related(found: dict) -> None:
    """Fill each case's motives, responses, accounts and citations (a query each)."""
    through = Case.motives.through.objects.filter(case_id__in=found)
    for case_id, slug in through.order_by("motive__name", "motive_id").values_list("case_id", "motive__slug"):
        found[case_id]["motives"].append(slug)
    responses, accounts = {}, {}
    for values in Response.objects.filter(case_id__in=found).order_by("date_start", "pk").values(
            *RESPONSE_COLUMNS):
        values["citations"] = []
        found[values.pop("case_id")]["responses"].append(values)
        responses[values["id"]] = values
    for values in Account.objects.filter(case_id__in=found).order_by("claim", "pk").values(*ACCOUNT_COLUMNS):
        values["citations"] = []
        found[values.pop("case_id")]["accounts"].append(values)
        accounts[values["id"]] = values
    backed = Q(case_id__in=found)
    if responses:
        backed |= Q(response_id__in=responses)
    if accounts:
        backed |= Q(account_id__in=accounts)
    for values in Citation.objects.filter(backed).order_by("pk").values(*CITATION_COLUMNS):
        citation = {"source": {"id": values["source__id"], "title": values["source__title"],
                               "url": values["source__url"], "origin_id": values["source__origin_id"]},
                    "locator": values["locator"], "quote": values["quote"], "claim": values["claim"]}
        if values["case_id"] is not None:
            found[values["case_id"]]["citations"].append(citation)
        elif values["response_id"] is not None:
            responses[values["response_id"]]["citations"].append(citation)
        else:
            accounts[values["account_id"]]["citations"].append(citation)
