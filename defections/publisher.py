"""Who publishes the data, under which licences, and where to write: one place for every face.

The footer, /about/, every export and release, and every citation read these, so a deployment
names its publisher once (settings: PUBLISHER_NAME, PUBLISHER_URL, CONTACT_EMAIL,
CORRECTIONS_EMAIL) and the licences are stated the same way everywhere.
"""

from django.conf import settings

# The data: anyone may reuse it, crediting the database; a citation is that credit.
DATA_LICENCE = {
    "id": "CC-BY-4.0",
    "name": "Creative Commons Attribution 4.0 International",
    "title": "CC BY 4.0",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}
# The code (LICENSE in the repository).
CODE_LICENCE = {
    "id": "MIT",
    "name": "MIT License",
    "title": "MIT",
    "url": "https://opensource.org/license/mit",
}
TITLE = "Defection case database"


def publisher() -> dict:
    """The publisher's name, web address and the addresses for contact and corrections."""
    return {
        "name": settings.PUBLISHER_NAME,
        "url": settings.PUBLISHER_URL,
        "contact_email": settings.CONTACT_EMAIL,
        "corrections_email": settings.CORRECTIONS_EMAIL,
    }


def statement() -> str:
    """One line for the head of an export: what it is, who publishes it, under which licence."""
    return (f"{TITLE}, published by {settings.PUBLISHER_NAME}. Data licensed under "
            f"{DATA_LICENCE['name']} ({DATA_LICENCE['url']}): credit the database when you reuse it.")
