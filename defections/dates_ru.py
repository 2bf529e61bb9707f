"""The Russian words researchers write dates with, read by defections/dates.py.

Only the vocabulary lives here; the patterns and what each date means are in dates.py, so a
Russian date and its English twin cannot drift apart. Words are lower case (the parser
ignores case); the month keys have no trailing dot (the parser drops it: "сент." reads as
"сент"), and a word listed with one may be written without it ("ок 1953", "1941 г").
"""

# Nominative ("июнь 1941"), genitive ("22 июня 1941"), prepositional ("в июне 1941") and the
# usual short forms ("сент.").
MONTHS = {
    "январь": 1, "января": 1, "январе": 1, "янв": 1,
    "февраль": 2, "февраля": 2, "феврале": 2, "фев": 2, "февр": 2,
    "март": 3, "марта": 3, "марте": 3, "мар": 3,
    "апрель": 4, "апреля": 4, "апреле": 4, "апр": 4,
    "май": 5, "мая": 5, "мае": 5,
    "июнь": 6, "июня": 6, "июне": 6, "июн": 6,
    "июль": 7, "июля": 7, "июле": 7, "июл": 7,
    "август": 8, "августа": 8, "августе": 8, "авг": 8,
    "сентябрь": 9, "сентября": 9, "сентябре": 9, "сен": 9, "сент": 9,
    "октябрь": 10, "октября": 10, "октябре": 10, "окт": 10,
    "ноябрь": 11, "ноября": 11, "ноябре": 11, "ноя": 11, "нояб": 11,
    "декабрь": 12, "декабря": 12, "декабре": 12, "дек": 12,
}

# "весна 1953", "весной 1953", "весны 1953": each season's first month.
SEASONS = {
    "весна": 3, "весной": 3, "весны": 3,
    "лето": 6, "летом": 6, "лета": 6,
    "осень": 9, "осенью": 9, "осени": 9,
    "зима": 12, "зимой": 12, "зимы": 12,
}

# "начало 1950-х", "в середине 1950-х", "конец 1980-х".
DECADE_PARTS = {
    "начало": "early", "начала": "early", "начале": "early",
    "середина": "mid", "середины": "mid", "середине": "mid",
    "конец": "late", "конца": "late", "конце": "late",
}

# A leading "в" adds nothing: "в 1941 году", "в июне 1941", "в начале 1950-х".
PREPOSITIONS = ("в", "во")

CIRCA = ("около", "ок.", "примерно", "приблизительно")
BEFORE = ("до",)
AFTER = ("после",)

# "1930-е", "1930-х", "1930-ые", "1930-ых": what follows a decade's year.
DECADE_ENDINGS = ("е", "х", "ые", "ых")

# Words for "year(s)" that may follow the date and add nothing: "1941 г.", "1930-е гг.",
# "1941 года", "1930-е годы".
YEAR_WORDS = ("г.", "гг.", "год", "года", "году", "годы", "годов", "годах")

# How the formatter writes a Russian date (each reads back through the words above): the
# month alone in the nominative ("март 2026"), after a day in the genitive ("22 июня 1941").
MONTH_NAMES = ("", "январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
               "сентябрь", "октябрь", "ноябрь", "декабрь")
MONTH_GENITIVE = ("", "января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                  "сентября", "октября", "ноября", "декабря")
SEASON_NAMES = {3: "весна", 6: "лето", 9: "осень", 12: "зима"}
# The part of a decade, written before the decade in the genitive: "начало 1950-х".
WRITTEN_PARTS = {(0, 3): "начало", (4, 6): "середина", (7, 9): "конец"}
