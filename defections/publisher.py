"""Who publishes the data, under which licences, and where to write: one place for every face.

The footer, /about/, every export and release, and every citation read these, so a deployment
names its publisher once (settings: PUBLISHER_NAME, PUBLISHER_URL, CONTACT_EMAIL,
CORRECTIONS_EMAIL) and the licences are stated the same way everywhere.
"""

from django.conf import settings
from django.utils.translation import gettext, gettext_noop

# The licences' names stay English here (exports and releases quote them as they are); a
# page translates them (gettext_noop marks them for the catalogue).

# The data: anyone may reuse it, crediting the database; a citation is that credit.
DATA_LICENCE = {
    "id": "CC-BY-4.0",
    "name": gettext_noop("Creative Commons Attribution 4.0 International"),
    "title": "CC BY 4.0",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}
# The code (LICENSE in the repository).
CODE_LICENCE = {
    "id": "MIT",
    "name": gettext_noop("MIT License"),
    "title": "MIT",
    "url": "https://opensource.org/license/mit",
}
TITLE = "Defection case database"


# The default publisher's name (settings.PUBLISHER_NAME), for the catalogue: a deployment's own
# name is shown as it is written, unless the catalogue translates it too.
DEFAULT_NAME = gettext_noop("The defection case database project")


def publisher() -> dict:
    """The publisher's name (in the reader's language when the catalogue has it), web address
    and the addresses for contact and corrections."""
    return {
        "name": gettext(settings.PUBLISHER_NAME) if settings.PUBLISHER_NAME else "",
        "url": settings.PUBLISHER_URL,
        "contact_email": settings.CONTACT_EMAIL,
        "corrections_email": settings.CORRECTIONS_EMAIL,
    }


def statement() -> str:
    """One line for the head of an export: what it is, who publishes it, under which licence."""
    return (f"{TITLE}, published by {settings.PUBLISHER_NAME}. Data licensed under "
            f"{DATA_LICENCE['name']} ({DATA_LICENCE['url']}): credit the database when you reuse it.")
