"""The seed cases: what the source article names, and nothing it does not say.

Riehle, "Why an Official's Flight to the West Should Worry the Kremlin", The Moscow
Times, 4 May 2026. Paragraphs are numbered from the first paragraph of the body
("The reported flight…") to the last ("Their actions amount…"), not counting the
"Related article" link; a paragraph broken across lines in our copy counts once.
Summaries are ours. Facts the article does not give stay blank. Each case's certainty
(classification) is coded from the article's own wording, noted beside it where it is not
"certain"; tests/test_seed.py pins every one.
"""

ARTICLE = {
    "url": "https://www.themoscowtimes.com/2026/05/04/"
    "why-an-officials-flight-to-the-west-should-worry-the-kremlin-a92658",
    "title": "Why an Official's Flight to the West Should Worry the Kremlin",
    "author": "Kevin Riehle",
    "outlet": "The Moscow Times",
    "published_on": "2026-05-04",
    "language": "en",
    "kind": "analysis",
    "reliability": "medium",
}

MOTIVES = [
    ("corruption-probe", "Corruption probe", "An investigation into the person's own dealings."),
    ("fear-of-punishment", "Fear of punishment", "Fear of arrest, prosecution or a purge."),
    ("money", "Money", "Debts, greed or the hope of a better income."),
    ("relationships", "Relationships", "Family, marriage or personal ties."),
    ("conflict-with-superiors", "Conflict with superiors",
     "Disagreement or a feud with the person's superiors."),
    ("opposition-to-the-war", "Opposition to the war", "Opposition to the war against Ukraine."),
    ("regime-no-longer-tolerable", "Regime no longer tolerable",
     "A growing sense that the regime itself can no longer be borne."),
    ("unknown", "Unknown", "The sources do not say why."),
]

# Bounds are the editors' reading of the article's periods (para. 2); edit them in the admin.
PERIODS = [
    ("great-purge", "The purges of the late 1930s", "1936-01-01", "1938-12-31",
     "Stalin's Great Terror, when suicides among officials became more frequent."),
    ("barbarossa", "After Operation Barbarossa", "1941-06-22", "1942-12-31",
     "The chaos that followed Germany's invasion of the Soviet Union."),
    ("stalins-death", "After Stalin's death", "1953-03-05", "1954-12-31",
     "The struggle for power and the purge of the security services after Stalin died."),
    ("soviet-collapse", "The Soviet collapse", "1986-01-01", "1991-12-26",
     "The crumbling of the Soviet Union in the late 1980s, until its dissolution."),
    ("war-since-2022", "The war since 2022", "2022-02-24", None,
     "The full-scale invasion of Ukraine and the war that followed."),
]

# slug: (name, acronym, native name, kind, country, parent slug, predecessor slug, from, until)
# The article gives no agency's years: they stay blank until an editor enters them from a
# source of their own (the seed once had the MGB ending in 1954; it was merged into the MVD in
# March 1953).
AGENCIES = {
    "nkvd": ("People's Commissariat for Internal Affairs", "NKVD", "НКВД", "intelligence", "SU",
             None, None, None, None),
    "mgb": ("Ministry of State Security", "MGB", "МГБ", "intelligence", "SU", None, "nkvd", None, None),
    "kgb": ("Committee for State Security", "KGB", "КГБ", "intelligence", "SU", None, "mgb", None, None),
    "fsb": ("Federal Security Service", "FSB", "ФСБ", "intelligence", "RU", None, "kgb", None, None),
    "mod": ("Ministry of Defence", "MO", "Министерство обороны", "military", "RU", None, None, None,
            None),
    "gru": ("Main Intelligence Directorate", "GRU", "ГРУ", "intelligence", "RU", "mod", None, None,
            None),
    "fso": ("Federal Protective Service", "FSO", "ФСО", "intelligence", "RU", None, None, None, None),
    "mid": ("Ministry of Foreign Affairs", "MID", "МИД", "diplomatic", "RU", None, None, None, None),
    "un-geneva-mission": ("Permanent Mission of Russia to the United Nations in Geneva", "", "",
                          "diplomatic", "RU", "mid", None, None, None),
    "minprirody": ("Ministry of Natural Resources and Ecology", "", "Минприроды", "government", "RU",
                   None, None, None, None),
    "gazprombank": ("Gazprombank", "", "Газпромбанк", "state-company", "RU", None, None, None, None),
}

# name: (native name, aliases, death as written)
PEOPLE = {
    "Denis Butsayev": ("Денис Буцаев", ["Denis Butsaev", "Буцаев"], ""),
    "Ilya Remeslo": ("Илья Ремесло", [], ""),
    "Viktoria Bonya": ("Виктория Боня", ["Victoria Bonya"], ""),
    "Yevgeny Prigozhin": ("Евгений Пригожин", ["Evgeny Prigozhin", "Yevgeniy Prigozhin"],
                          "August 2023"),
    "Igor Volobuyev": ("Игорь Волобуев", ["Igor Volobuev"], ""),
    "Boris Bondarev": ("Борис Бондарев", [], ""),
    "Sergei Skripal": ("Сергей Скрипаль", ["Sergey Skripal"], ""),
    "Maxim Kuzminov": ("Максим Кузьминов", ["Maksim Kuzminov"], "2024"),
}

# Each case is keyed by (person, form). Citations: (paragraph, claim, quote).
CASES = [
    {
        # The article places the flight after the invasion (paras. 1, 17) and before its own
        # date, 4 May 2026: that span is all it says. Possible: he "may now belong" to the
        # geographic defectors, and whether politics played a part is unclear (para. 16).
        "person": "Denis Butsayev", "form": "geographic", "date": "2022–2026",
        "agency": "minprirody", "role": "Deputy minister, recently dismissed",
        "destination_country": "US", "visibility": "discreet", "verification": "reported",
        "classification": "possible", "motives": ["corruption-probe"],
        "summary": "A deputy minister of natural resources and ecology, dismissed shortly before, "
        "is reported to have fled Russia for the United States after being drawn into a "
        "corruption inquiry. Whether politics played any part is not known.",
        "citations": [
            (1, "general", "The reported flight from Russia to the U.S. of Denis Butsayev"),
            (16, "motive", "He reportedly became entangled in a corruption investigation "
             "and lost his job."),
            (16, "form", "Butsayev may now belong to this category."),
        ],
        "responses": [],
    },
    {
        "person": "Ilya Remeslo", "form": "articulated", "date": "March 2026",
        "agency": None, "role": "Lawyer long associated with pro-Kremlin causes",
        "visibility": "public", "verification": "reported", "classification": "certain",
        "motives": ["unknown"],
        "summary": "A lawyer known for pro-Kremlin work turned on the president in public, calling "
        "him illegitimate and a war criminal who should resign.",
        "citations": [(12, "general", "declared Putin an \"illegitimate\" leader and called for "
                       "his resignation as a war criminal")],
        "responses": [
            {"kind": "psychiatric", "date": "",
             "description": "Committed to a psychiatric hospital for 30 days after his statement.",
             "citations": [(12, "response", "He was subsequently committed to a psychiatric "
                            "hospital for 30 days.")]},
        ],
    },
    {
        # Probable: the article counts her complaint among its examples (para. 13), though what she
        # said was that the president was kept uninformed, not that he was to blame.
        "person": "Viktoria Bonya", "form": "articulated", "date": "April 2026",
        "agency": None, "role": "Reality television star and influencer",
        "visibility": "public", "verification": "reported", "classification": "probable",
        "motives": ["unknown"],
        "summary": "A reality-television star and influencer living abroad said in public that the "
        "president was not being told about the country's growing problems.",
        "narrative": "She lives in Monaco, so any prosecution would most likely take place in "
        "her absence.",
        "citations": [(13, "general", "complained that Putin was being kept in the dark about "
                       "the country's mounting problems")],
        "responses": [
            {"kind": "denunciation", "date": "",
             "description": "A pro-Kremlin television host insulted her on air and demanded that "
             "she be designated a “foreign agent”.",
             "citations": [(13, "response", "demanding that she be labeled a \"foreign agent.\"")]},
        ],
    },
    {
        # Probable, not certain: what the article has him denounce is the Defence Ministry's
        # handling of the war and the military leadership (para. 11), not the regime, to which
        # he professed loyalty throughout.
        "person": "Yevgeny Prigozhin", "form": "articulated", "date": "June 2023",
        "agency": None, "role": "",
        "visibility": "public", "verification": "reported", "classification": "probable",
        "motives": ["conflict-with-superiors"],
        "summary": "Attacked the Defence Ministry's conduct of the war in public, then led an armed "
        "“march of justice” on Moscow in June 2023 to force out the military leadership.",
        "citations": [
            (11, "general", "Prigozhin himself publicly denounced the Defense Ministry's handling "
             "of the war"),
            (11, "date", "Yevgeny Prigozhin's march on Moscow in June 2023"),
        ],
        "responses": [
            {"kind": "unclear-death", "date": "August 2023",
             "description": "Killed in a plane crash two months after the march.",
             "citations": [(11, "response", "He died in a plane crash two months later.")]},
        ],
    },
    {
        "person": "Igor Volobuyev", "form": "articulated", "date": "2022",
        "agency": "gazprombank", "role": "Executive",
        "visibility": "public", "verification": "reported", "classification": "certain",
        "motives": ["unknown"],
        "summary": "A Gazprombank executive who resigned soon after the full-scale invasion began "
        "and broke with the regime in public.",
        "citations": [(17, "general", "resigned and publicly broke with the regime")],
        "responses": [],
    },
    {
        # Probable: one of the "high-profile exits" of the article's geographic section
        # (para. 17), which does not say in so many words that he left the country.
        "person": "Igor Volobuyev", "form": "geographic", "date": "2022",
        "agency": "gazprombank", "role": "Executive",
        "visibility": "public", "verification": "reported", "classification": "probable",
        "motives": ["unknown"],
        "summary": "One of the prominent departures from Russia in the first months of the "
        "full-scale war: a Gazprombank executive who left his post and the country's service.",
        "citations": [(17, "general", "several other high-profile exits since the invasion "
                       "of Ukraine")],
        "responses": [],
    },
    {
        "person": "Boris Bondarev", "form": "articulated", "date": "2022",
        "agency": "un-geneva-mission", "role": "Diplomat",
        "visibility": "public", "verification": "reported", "classification": "certain",
        "motives": ["unknown"],
        "summary": "A Russian diplomat at the permanent mission to the United Nations in Geneva who "
        "resigned soon after the invasion began and broke with the regime in public.",
        "citations": [(17, "general", "resigned and publicly broke with the regime")],
        "responses": [],
    },
    {
        # Probable: one of the "high-profile exits" of the article's geographic section
        # (para. 17), which does not say in so many words that he left the country.
        "person": "Boris Bondarev", "form": "geographic", "date": "2022",
        "agency": "un-geneva-mission", "role": "Diplomat",
        "visibility": "public", "verification": "reported", "classification": "probable",
        "motives": ["unknown"],
        "summary": "Counted among the high-profile exits from Russia's service after the invasion: "
        "a diplomat posted in Geneva who resigned rather than go on serving.",
        "citations": [(17, "general", "several other high-profile exits since the invasion "
                       "of Ukraine")],
        "responses": [],
    },
    {
        # Possible: the article names him only as a former spy attacked in Britain (para. 19),
        # an example of the defectors abroad that Russia has targeted; it says nothing of his
        # leaving.
        "person": "Sergei Skripal", "form": "geographic", "date": "",
        "agency": None, "role": "Former spy", "destination_country": "GB",
        "visibility": "unknown", "verification": "reported", "classification": "possible",
        "motives": ["unknown"],
        "summary": "A former Russian spy living in Britain, where he survived an attempt on his "
        "life in 2018: an example of why defectors abroad keep out of sight.",
        "citations": [(19, "general", "the attempted assassination of former spy Sergei Skipal "
                       "in Britain in 2018")],
        "responses": [
            {"kind": "assassination-attempt", "date": "2018",
             "description": "Survived an assassination attempt in Britain.",
             "citations": [(19, "response", "the attempted assassination of former spy "
                            "Sergei Skipal in Britain in 2018")]},
        ],
    },
    {
        # Possible, as Skripal: named in the same sentence, only as a pilot killed in Spain.
        "person": "Maxim Kuzminov", "form": "geographic", "date": "",
        "agency": None, "role": "Helicopter pilot",
        "visibility": "unknown", "verification": "reported", "classification": "possible",
        "motives": ["unknown"],
        "summary": "A helicopter pilot who left Russia and was killed in Spain in 2024, one of the "
        "cases that have taught defectors abroad to disappear quietly.",
        "citations": [(19, "general", "the killing of the helicopter pilot Maxim Kuzminov in "
                       "Spain in 2024")],
        "responses": [
            {"kind": "assassination", "date": "2024", "description": "Killed in Spain.",
             "citations": [(19, "response", "the killing of the helicopter pilot Maxim Kuzminov "
                            "in Spain in 2024")]},
        ],
    },
]

# What an earlier seed wrote that the review above corrected: load_seed writes each correction
# once into a database seeded before it, and only where the value is still the old seed's (an
# editor's own value stays). Keyed as load_seed keys rows: {key: {field: (was, now)}}.
CORRECTIONS = {
    "agency:nkvd": {"active_from": (1934, None), "active_until": (1946, None)},
    "agency:mgb": {"active_from": (1946, None), "active_until": (1954, None)},
    "agency:kgb": {"active_from": (1954, None), "active_until": (1991, None)},
    "agency:fsb": {"active_from": (1995, None)},
    "case:Yevgeny Prigozhin:articulated": {"classification": ("certain", "probable")},
    "case:Sergei Skripal:geographic": {"classification": ("probable", "possible")},
    "case:Maxim Kuzminov:geographic": {"classification": ("probable", "possible")},
}
