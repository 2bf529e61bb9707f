"""The admin site itself: Django's own phrases said again, and the dashboard."""


from django.contrib import admin
from django.utils.translation import gettext_noop

from defections import codebook, models

# --- Django's own phrases, said again ---------------------------------------------------------

# Django's Russian makes these agree with a masculine name only ("Лицо … был добавлен"), and
# most of ours are neuter; our catalog, read before Django's (LOCALE_PATHS), speaks of the
# record instead ("Запись … добавлена"). Marked here so that makemessages keeps them.
DJANGO_PHRASES = (
    gettext_noop("Add another %(verbose_name)s"),
    gettext_noop("The {name} “{obj}” was added successfully."),
    gettext_noop("The {name} “{obj}” was added successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may edit it again below."),
    gettext_noop("The %(name)s “%(obj)s” was deleted successfully."),
)


# --- the dashboard ----------------------------------------------------------------------------

_index = admin.site.index


def index(request, extra_context=None):
    """The admin's front page says how many cases await re-review under the current codebook."""
    queue = (models.Case.objects.needing_review().count()
             if request.user.has_perm("defections.view_case") else None)
    return _index(request, {**(extra_context or {}), "review_queue": queue,
                            "codebook_version": codebook.CURRENT})


admin.site.index = index
