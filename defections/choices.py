"""The codebook's coded values, each with the definition that researchers code by.

Every coded field is a TextChoices enum; `define()` attaches a definition to each
value. The field help texts, the /about/ page and the API schema read the
definitions from here, so the codebook is written once.
"""

from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


def define(choices: type[models.TextChoices], definitions: dict[str, str]) -> None:
    missing = set(choices.values) - set(definitions)
    if missing:
        raise ValueError(f"{choices.__name__} has values without a definition: {sorted(missing)}")
    choices.definitions = {str(value): text for value, text in definitions.items()}


def _help_text(choices: type[models.TextChoices]) -> str:
    return " ".join(gettext("“%(value)s”: %(definition)s") % {"value": value, "definition": text}
                    for value, text in choices.definitions.items())


def help_text(choices: type[models.TextChoices]) -> str:
    """A field's help text: each code and what it means, in the reader's language (lazy: the
    models read it once, at import)."""
    return lazy(_help_text, str)(choices)


class Form(models.TextChoices):
    ARTICULATED = "articulated", _("Articulated")
    FINAL = "final", _("Final")
    GEOGRAPHIC = "geographic", _("Geographic")


define(Form, {
    Form.ARTICULATED: _("Speaking out against the regime and exposing its failures."),
    Form.FINAL: _("Suicide: an exit from a political order the person no longer wished to "
    "support (the source article's term)."),
    Form.GEOGRAPHIC: _("Leaving the country in protest or self-exile."),
})


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    DISCREET = "discreet", _("Discreet")
    UNKNOWN = "unknown", _("Unknown")


define(Visibility, {
    Visibility.PUBLIC: _("The person announced the break."),
    Visibility.DISCREET: _("The person left or broke quietly, without announcing it."),
    Visibility.UNKNOWN: _("Whether the break was announced is not known."),
})


class Verification(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    REPORTED = "reported", _("Reported")
    CLAIMED = "claimed", _("Claimed")
    DISPUTED = "disputed", _("Disputed")


define(Verification, {
    Verification.CONFIRMED: _("Sources of at least two independent origins agree (a reprint, wire "
                            "copy, repost or translation counts with its original)."),
    Verification.REPORTED: _("One credible source reports it."),
    Verification.CLAIMED: _("A claim that cannot be verified."),
    Verification.DISPUTED: _("Credible sources disagree."),
})


class Classification(models.TextChoices):
    CERTAIN = "certain", _("Certain")
    PROBABLE = "probable", _("Probable")
    POSSIBLE = "possible", _("Possible")
    CONTESTED = "contested", _("Contested")


define(Classification, {
    Classification.CERTAIN: _("The act clearly is the coded form."),
    Classification.PROBABLE: _("The act most likely is the coded form."),
    Classification.POSSIBLE: _("The act may be the coded form; other readings are as likely."),
    Classification.CONTESTED: _("Whether the act is the coded form is disputed (a death coded "
    "final that may have been murder)."),
})


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    RETRACTED = "retracted", _("Retracted")


define(Status, {
    Status.DRAFT: _("Being written; seen by staff only."),
    Status.REVIEW: _("Submitted for an editor's review; seen by staff only."),
    Status.PUBLISHED: _("Reviewed and public."),
    Status.RETRACTED: _("Withdrawn after publication; seen by staff only."),
})


class ResponseKind(models.TextChoices):
    CRIMINAL_CASE = "criminal-case", _("Criminal case")
    ARREST = "arrest", _("Arrest or imprisonment")
    PSYCHIATRIC = "psychiatric", _("Psychiatric confinement")
    IN_ABSENTIA = "in-absentia", _("Prosecution in absentia")
    FOREIGN_AGENT = "foreign-agent", _("“Foreign agent” designation")
    WANTED_LIST = "wanted-list", _("Wanted list")
    ASSASSINATION = "assassination", _("Assassination")
    ASSASSINATION_ATTEMPT = "assassination-attempt", _("Assassination attempt")
    UNCLEAR_DEATH = "unclear-death", _("Death in unclear circumstances")
    DENUNCIATION = "denunciation", _("Public denunciation")


define(ResponseKind, {
    ResponseKind.CRIMINAL_CASE: _("A criminal case opened against the person."),
    ResponseKind.ARREST: _("The person was arrested, detained or imprisoned."),
    ResponseKind.PSYCHIATRIC: _("The person was committed to a psychiatric institution."),
    ResponseKind.IN_ABSENTIA: _("The person was tried or sentenced while abroad."),
    ResponseKind.FOREIGN_AGENT: _("The state listed the person as a “foreign agent”."),
    ResponseKind.WANTED_LIST: _("The person was put on a national or international wanted list."),
    ResponseKind.ASSASSINATION: _("The person was killed, by the state's agents or so attributed."),
    ResponseKind.ASSASSINATION_ATTEMPT: _("An attempt on the person's life."),
    ResponseKind.UNCLEAR_DEATH: _("The person died in circumstances that remain unexplained."),
    ResponseKind.DENUNCIATION: _("Officials or state media denounced the person in public."),
})


class AgencyKind(models.TextChoices):
    INTELLIGENCE = "intelligence", _("Intelligence or security service")
    MILITARY = "military", _("Military")
    GOVERNMENT = "government", _("Ministry or government body")
    DIPLOMATIC = "diplomatic", _("Diplomatic service")
    STATE_COMPANY = "state-company", _("State company or bank")
    LEGISLATURE = "legislature", _("Legislature")
    JUDICIARY = "judiciary", _("Judiciary")
    PARTY = "party", _("Party")
    MEDIA = "media", _("Media")
    OTHER = "other", _("Other")


define(AgencyKind, {
    AgencyKind.INTELLIGENCE: _("A civilian or military intelligence, security or protective service "
    "(NKVD, KGB, FSB, GRU, SVR, FSO)."),
    AgencyKind.MILITARY: _("The armed forces and their units, and armed groups fighting for the state."),
    AgencyKind.GOVERNMENT: _("A ministry, agency or other body of the executive."),
    AgencyKind.DIPLOMATIC: _("The foreign ministry's missions, embassies and consulates."),
    AgencyKind.STATE_COMPANY: _("A company or bank that the state owns or controls."),
    AgencyKind.LEGISLATURE: _("A parliament or council (Duma, Federation Council, Supreme Soviet)."),
    AgencyKind.JUDICIARY: _("Courts and prosecutors."),
    AgencyKind.PARTY: _("A ruling or loyal political party."),
    AgencyKind.MEDIA: _("State or state-aligned media."),
    AgencyKind.OTHER: _("Anything else, or no institution at all."),
})


class SourceKind(models.TextChoices):
    NEWS = "news", _("News")
    ANALYSIS = "analysis", _("Analysis or opinion")
    OFFICIAL = "official", _("Official document")
    COURT = "court", _("Court record")
    LEAK = "leak", _("Leak")
    BOOK = "book", _("Book or memoir")
    INTERVIEW = "interview", _("Interview")
    SOCIAL_MEDIA = "social-media", _("Social media")
    NGO_REPORT = "ngo-report", _("NGO report")


define(SourceKind, {
    SourceKind.NEWS: _("A news report."),
    SourceKind.ANALYSIS: _("An analysis, commentary or opinion piece."),
    SourceKind.OFFICIAL: _("A document issued by a state body."),
    SourceKind.COURT: _("A court's record, ruling or filing."),
    SourceKind.LEAK: _("A document published without its owner's consent."),
    SourceKind.BOOK: _("A book, memoir or other long-form publication."),
    SourceKind.INTERVIEW: _("An interview with the person or a witness."),
    SourceKind.SOCIAL_MEDIA: _("A post on a social network or messaging channel."),
    SourceKind.NGO_REPORT: _("A report by a non-governmental organisation."),
})


class Reliability(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
    UNKNOWN = "unknown", _("Unknown")


define(Reliability, {
    Reliability.HIGH: _("A primary document or an outlet with a record of accuracy and corrections."),
    Reliability.MEDIUM: _("A credible outlet or author relaying others' reporting."),
    Reliability.LOW: _("Anonymous, partisan or unverified."),
    Reliability.UNKNOWN: _("Not yet assessed."),
})


class Claim(models.TextChoices):
    GENERAL = "general", _("General")
    DATE = "date", _("Date")
    FORM = "form", _("Form")
    MOTIVE = "motive", _("Motive")
    RESPONSE = "response", _("Response")


define(Claim, {
    Claim.GENERAL: _("The case as a whole: who broke with the state, and how."),
    Claim.DATE: _("When it happened."),
    Claim.FORM: _("That the act is of the coded form."),
    Claim.MOTIVE: _("Why the person did it."),
    Claim.RESPONSE: _("What the state did in response."),
})


class Holder(models.TextChoices):
    OFFICIAL = "official", pgettext_lazy("account holder", "Official")
    FAMILY = "family", _("Family")
    JOURNALIST = "journalist", _("Journalist")
    NGO = "ngo", _("NGO")
    OTHER = "other", pgettext_lazy("account holder", "Other")


define(Holder, {
    Holder.OFFICIAL: _("The state's version: a ministry, an investigator, a court, state media."),
    Holder.FAMILY: _("The person's family or friends."),
    Holder.JOURNALIST: _("Reporters or outlets, from their own reporting."),
    Holder.NGO: _("A human-rights or monitoring organisation."),
    Holder.OTHER: _("Anyone else: colleagues, opposition figures, anonymous sources."),
})


class Rank(models.TextChoices):
    PREFERRED = "preferred", _("Preferred")
    NORMAL = "normal", _("Normal")
    DEPRECATED = "deprecated", _("Deprecated")


define(Rank, {
    Rank.PREFERRED: _("The account the editors judge best supported, shown first."),
    Rank.NORMAL: _("An account held and sourced, neither preferred nor set aside."),
    Rank.DEPRECATED: _("Shown to be wrong, kept and marked so that nobody adds it again."),
})
