"""Search, PostgreSQL's own: full text over the case's words, trigrams over names.

Names are compared by their transliteration key (`NameKey`: the SQL function
`defections_name_key` of migration 0033): unaccented, lower case, and the spellings of one
Cyrillic letter in BGN/PCGN, ISO 9, passports (ICAO), the Library of Congress and German
folded to one (kh/ch, tsch/ch, iy/y/j/i, zh/z/s, c/k, w/v, x/ks, doubled letters), so Bonya,
Bonia and Boniya, Gordievsky and Gordievskij, Yurchenko and Jurtschenko share one key. The
libraries made for transliteration (`transliterate`, `cyrtranslit`, `unidecode`) turn
Cyrillic into one Latin system; none folds the Latin systems into each other, which is what
a reader typing a name from another source needs, and the fold must run in SQL to be indexed.
Keys are matched by trigram *strict* word similarity (whole words, GIN-indexed): "Skipal"
still finds Skripal and "prigozin" Prigozhin, while "Bonia" no longer finds Bondarev (plain
word similarity matched "bon" inside the longer word). "Бондарев" finds Bondarev through his
native name, or through the query's Latin transliteration when none is recorded.

The summary, narrative and role are matched as full text (websearch syntax), the English
columns with the 'english' configuration and the Russian ones (`summary_ru`, `narrative_ru`)
with 'russian': a query is read both ways, so "перебежчики" finds "перебежчик" and
"defecting" finds "defected", in either language of the site. What the state did to the
person is matched too, by its description in either language (`said`).
"""

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, TrigramStrictWordSimilarity
from django.db.models import Case, F, FloatField, Q, TextField, Value, When
from django.db.models.functions import Coalesce, Greatest

from defections.ids import InArray
from defections.models import NameKey, Person, PersonAlias, Response

# Trigram strict word similarity a name's key must reach to match: pg_trgm's default
# (pg_trgm.strict_word_similarity_threshold).
STRICT_WORD_SIMILARITY_THRESHOLD = 0.5

CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
     "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
    strict=True,
))


def transliterate(text: str) -> str:
    """Cyrillic to Latin, close to how names are spelt in English-language sources."""
    return "".join(CYRILLIC.get(ch, ch) if ch.islower() else
                   CYRILLIC.get(ch.lower(), ch).capitalize() for ch in text)


def name_variants(q: str) -> list[str]:
    variants = [q]
    latin = transliterate(q)
    if latin != q:
        variants.append(latin)
    return variants


def similar(field: str, variants: list[str]) -> Q:
    """field (a name's NameKey) is close to the key of any of the variants (trigram strict
    word similarity, GIN-indexed)."""
    condition = Q()
    for variant in variants:
        condition |= Q(**{f"{field}__trigram_strict_word_similar": NameKey(Value(variant))})
    return condition


def matching_people(q: str):
    """Subqueries of the people whose name, whose native name, or one of whose aliases is
    close to q (three, as a native name may be withheld: defections/visibility.py)."""
    variants = name_variants(q)
    by_name = Person.objects.alias(u_name=NameKey("name")).filter(similar("u_name", variants))
    by_native = Person.objects.alias(u_native=NameKey("native_name")).filter(similar("u_native", variants))
    aliases = PersonAlias.objects.alias(u_name=NameKey("name")).filter(similar("u_name", variants))
    return (by_name.order_by().values("pk"), by_native.order_by().values("pk"),
            aliases.order_by().values("person_id"))


def text_query(q: str, config: str | None = None) -> SearchQuery:
    """q as full text: read as English OR as Russian (Case.search_vector holds both), or in
    one configuration when one is named (for the headline of one language's text)."""
    if config:
        return SearchQuery(q, search_type="websearch", config=config)
    return text_query(q, "english") | text_query(q, "russian")


def closeness(q: str, *fields: str):
    """How close q comes to the best of the name fields (their keys' strict word similarity)."""
    return Greatest(
        *[TrigramStrictWordSimilarity(NameKey(Value(v)), NameKey(F(field)))
          for field in fields for v in name_variants(q)],
        Value(0.0),
        output_field=FloatField(),
    )


def shown_vector():
    """The case's words as the public may read them: Case.search_vector without a withheld
    role or narrative, in either language (computed for the few cases that withhold one)."""

    def unless(flag, column):
        return Case(When(**{flag: True}, then=Value("")), default=F(column), output_field=TextField())

    return (SearchVector(unless("withheld_role", "role"), weight="B", config="english")
            + SearchVector("summary", weight="B", config="english")
            + SearchVector(unless("withheld_narrative", "narrative"), weight="C", config="english")
            + SearchVector(unless("withheld_role", "role_ru"), weight="B", config="russian")
            + SearchVector("summary_ru", weight="B", config="russian")
            + SearchVector(unless("withheld_narrative", "narrative_ru"), weight="C", config="russian"))


def said(q: str):
    """The ids of the cases a response of which says q (its description, in English or in
    Russian), as a subquery for `ids.InArray` (`= ANY(ARRAY(…))`).

    Response.search_vector is a generated column with its own GIN index, and the match is
    `case.id = ANY(ARRAY(matching responses))`: the responses are found once by the index,
    and the array is an index condition on the cases, beside their own full-text match. A
    column on Case kept by triggers from its responses would be a second copy of the words,
    to keep right on every write of a response; this reads the responses themselves.
    """
    return Response.objects.filter(search_vector=text_query(q)).order_by().values("case_id")


def matching_person_ids(q: str):
    """Subqueries of the people whose name or native name is close to q, and of those with
    a close alias (for staff, who read every name)."""
    by_name, by_native, by_alias = matching_people(q)
    return Person.objects.filter(Q(pk__in=by_name) | Q(pk__in=by_native)).values("pk"), by_alias


def search_cases(queryset, q: str, matched=None):
    """Cases matching q, best first (ties by date).

    A case whose details the reader may not see (defections/visibility.py) ranks by its
    display name alone: a rank from its hidden words or names would order the results by them.
    A withheld role, narrative or native name is neither matched nor ranked by.

    matched: the ids of the cases of the same door that match q, read once (`matched_ids`)
    by a caller that filters by q many times; they stand for the match condition.
    """
    q = " ".join(q.split())
    if not q:
        return queryset
    query = text_query(q)
    public = "withheld_text" in queryset.query.annotations  # the public: what is withheld is no match
    if public:
        queryset = queryset.alias(shown_vector=shown_vector())
    text_rank = Coalesce(SearchRank(F("search_vector"), query), 0.0)
    names = closeness(q, "person__name", "person__native_name")
    if public:
        text_rank = Case(When(withheld_text=True, then=Coalesce(SearchRank(F("shown_vector"), query), 0.0)),
                         default=text_rank, output_field=FloatField())
        names = Case(When(withheld_native_name=True, then=closeness(q, "person__name")), default=names,
                     output_field=FloatField())
    rank = text_rank + names
    if "details_hidden" in queryset.query.annotations:
        rank = Case(When(details_hidden=True, then=closeness(q, "person__name")), default=rank,
                    output_field=FloatField())
    return (
        queryset.filter(Q(InArray(F("pk"), matched)) if matched else _condition(queryset, q, query))
        .annotate(rank=rank)
        .order_by("-rank", queryset.shown("date_start"), "pk")
    )


def _condition(queryset, q: str, query) -> Q:
    """Whether a case of queryset matches q: its words, its person's name, native name or
    alias, or a response's words; for the public not by a withheld word or native name, nor
    by an at-risk case's responses."""
    by_name, by_native, by_alias = matching_people(q)
    words = Q(search_vector=query)
    native = Q(InArray(F("person_id"), by_native))
    responses = Q(InArray(F("pk"), said(q)))
    if "withheld_text" in queryset.query.annotations:
        words = (Q(withheld_text=False) & words) | Q(withheld_text=True, shown_vector=query)
        native &= Q(withheld_native_name=False)
    if "details_hidden" in queryset.query.annotations:  # an at-risk case's responses are hidden
        responses &= Q(details_hidden=False)
    return (words | Q(InArray(F("person_id"), by_name)) | native
            | Q(InArray(F("person_id"), by_alias)) | responses)


# More matching ids than this are not carried from query to query: each query then tests
# the match condition itself. At a million cases a misspelt surname matches thousands
# (`q=Niklaeva`: 2,000 carried 5.1 s cold, 20,000 carried 2.5 s); an array of 20,000 ids is
# ~120 KB a query.
MATCHES_CARRIED = 20000


def matched_ids(matches) -> list[int] | None:
    """The ids of matches (`search_cases` of a door's `visible_to`, narrowed by the at-risk
    rule as the search alone would be), for `search_cases(matched=…)`: a list page filters
    by its search six times (counts, timeline, page), each time finding the names by trigram
    and the words by full text again. None when there are none or too many to carry; their
    number is the search's own public count, so whether they are carried tells nothing."""
    ids = list(matches.order_by().values_list("pk", flat=True)[:MATCHES_CARRIED + 1])
    return ids if 0 < len(ids) <= MATCHES_CARRIED else None
