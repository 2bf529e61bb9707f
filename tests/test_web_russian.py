"""The public pages in Russian: a case read, cited and found in Russian under /ru/, a person
called by the Cyrillic name the reader is shown, a record's missing Russian shown in English
and marked, and the English pages as they were."""

import re
from datetime import date

from defections import withholding
from defections.models import Agency, Period, Response, Withholding
from tests.factories import AgencyFactory, CaseFactory, PersonFactory


def page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def bilingual_case():
    agency = AgencyFactory(name="Ministry of Natural Resources", name_ru="Министерство природных ресурсов",
                           acronym="")
    person = PersonFactory(name="Denis Testov", native_name="Денис Тестов")
    case = CaseFactory(person=person, agency=agency, date="March 2026", summary="Left for the West.",
                       summary_ru="Уехал на Запад.", narrative="He left in spring.",
                       narrative_ru="Он уехал весной.")
    Response.objects.create(case=case, kind="criminal-case", description="Dismissed from the ministry.",
                            description_ru="Уволен из министерства.")
    return case


def test_a_case_reads_in_russian(client, db):
    case = bilingual_case()
    html = page(client, f"/ru/cases/{case.pk}/")
    assert '<html lang="ru">' in html
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert "Денис Тестов" in h1 and "разрыв с государством" in h1 and "Denis Testov" not in h1
    assert "(Denis Testov)" in html  # the Latin name beside it, for the reader who searches it
    for russian in ["Уехал на Запад.", "Он уехал весной.", "Уволен из министерства.",
                    "Министерство природных ресурсов", "Что сделало государство",
                    "Как цитировать эту запись"]:
        assert russian in html, russian
    for english in ["Left for the West.", "He left in spring.", "Dismissed from the ministry.",
                    "Ministry of Natural Resources", "What the state did", "Cite this record"]:
        assert english not in html, english
    # Dates as a Russian reader writes them: the day of the last change, "28 ноября 2026".
    assert re.search(r"\d{1,2} (января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|"
                     r"ноября|декабря) \d{4}", html)


def test_the_english_case_page_is_as_it_was(client, db):
    case = bilingual_case()
    html = page(client, f"/cases/{case.pk}/")
    assert '<html lang="en">' in html
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert "Denis Testov</a>: geographic defection" in h1
    assert '<span lang="ru">(Денис Тестов)</span>' in html
    for english in ["Left for the West.", "He left in spring.", "Dismissed from the ministry.",
                    "What the state did", "Cite this record", "Ministry of Natural Resources"]:
        assert english in html, english
    assert "Уехал на Запад." not in html and "Министерство природных ресурсов" not in html


def test_a_missing_russian_text_is_shown_in_english_and_marked(client, db):
    case = CaseFactory(summary="Only in English so far.", narrative="An English narrative.")
    html = page(client, f"/ru/cases/{case.pk}/")
    assert re.search(r'<span class="untranslated" lang="en">Only in English so far\.</span>', html)
    assert re.search(r'<div class="untranslated" lang="en"><p>An English narrative\.</p></div>', html)
    assert "Пока не переведено" in html or "(Not yet translated" not in html
    listing = page(client, "/ru/cases/")
    assert re.search(r'<span class="untranslated" lang="en">Only in English so far\.</span>', listing)


def test_a_person_is_named_in_cyrillic_only_when_the_reader_is_shown_it(client, db):
    shown = PersonFactory(name="Ivan Shownov", native_name="Иван Шоунов")
    CaseFactory(person=shown, summary="A shown case.", summary_ru="Открытый случай.")
    at_risk = PersonFactory(name="Pyotr Riskov", native_name="Пётр Рисков", at_risk=True)
    CaseFactory(person=at_risk, summary="An at-risk case.")
    kept = PersonFactory(name="Olga Keptova", native_name="Ольга Кептова")
    CaseFactory(person=kept, summary="A case whose person's native name is withheld.")
    Withholding.objects.create(person=kept, field="native_name", reason="Safety.",
                               until=withholding.today().replace(year=withholding.today().year + 1))
    for url in ["/ru/cases/", "/ru/people/", f"/ru/people/{shown.pk}/", f"/ru/people/{at_risk.pk}/",
                f"/ru/people/{kept.pk}/", "/ru/cases/feed/", "/ru/sources/"]:
        html = page(client, url)
        assert "Пётр Рисков" not in html and "Ольга Кептова" not in html, url
    people = page(client, "/ru/people/")
    assert "Иван Шоунов" in people and "Pyotr Riskov" in people and "Olga Keptova" in people
    assert "Иван Шоунов" in page(client, "/ru/cases/feed/")


def test_a_case_is_cited_in_russian(client, db):
    case = bilingual_case()
    bib = page(client, f"/ru/cases/{case.pk}/citation.bib/")
    assert "language = {russian}" in bib
    assert "Денис Тестов: разрыв с государством — отъезд из страны" in bib
    assert "abstract = {Уехал на Запад.}" in bib and "Left for the West." not in bib
    assert f"url = {{http://testserver/ru/cases/{case.pk}/}}" in bib
    english = page(client, f"/cases/{case.pk}/citation.bib/")
    assert "language = {english}" in english and "Denis Testov: geographic defection" in english
    assert "abstract = {Left for the West.}" in english
    ris = page(client, f"/ru/cases/{case.pk}/citation.ris/")
    assert "LA  - ru" in ris and "Лицензия:" in ris
    cite = re.search(r'<p id="citation-text">(.*?)</p>', page(client, f"/ru/cases/{case.pk}/"), re.S).group(1)
    assert "Денис Тестов" in cite and "запись" in cite and "дата обращения" in cite


def test_the_lists_filters_and_feed_speak_russian(client, db):
    bilingual_case()
    listing = page(client, "/ru/cases/?form=geographic")
    for russian in ["Применить фильтры", "Сортировка", "По дате, сначала поздние", "Постоянная ссылка",
                    "Скачать CSV", "1 случай"]:
        assert russian in listing, russian
    assert 'value="geographic"' in listing  # the values stay the same in both languages
    feed = page(client, "/ru/cases/feed/?form=geographic")
    assert 'xml:lang="ru"' in feed and "Уехал на Запад." in feed
    assert "Новые и изменённые случаи" in feed
    assert "Invalid filter values" not in page(client, "/ru/cases/feed/?year_min=abc", status=400)


def test_agencies_and_periods_are_named_in_russian(client, db):
    bilingual_case()
    agency = Agency.objects.get(name="Ministry of Natural Resources")
    assert "<h1>Министерство природных ресурсов</h1>" in page(client, f"/ru/agencies/{agency.pk}/")
    period = Period.objects.create(slug="test-thaw", name="The test thaw", name_ru="Пробная оттепель",
                                   start=date(1956, 1, 1), end=date(1957, 12, 31))
    about = page(client, "/ru/about/")
    assert "Пробная оттепель" in about and "The test thaw" not in about
    assert "Кодификатор" in about or "кодификатор" in about
    assert f"period={period.slug}" in about


def test_error_pages_answer_in_the_language_of_the_address(client, db):
    russian = page(client, "/ru/cases/999999/", status=404)
    assert "Не найдено" in russian and "Not found" not in russian
    english = page(client, "/cases/999999/", status=404)
    assert "Not found" in english and "Не найдено" not in english
    bad = page(client, "/ru/cases/?year_min=abc", status=400)
    assert "Некоторые фильтры применить не удалось" in bad
