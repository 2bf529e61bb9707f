"""The codebook's coded values, each with the definition that researchers code by.

Every coded field is a TextChoices enum; `define()` attaches a definition to each
value. The field help texts, the /about/ page and the API schema read the
definitions from here, so the codebook is written once.
"""

from django.db import models


def define(choices: type[models.TextChoices], definitions: dict[str, str]) -> None:
    missing = set(choices.values) - set(definitions)
    if missing:
        raise ValueError(f"{choices.__name__} has values without a definition: {sorted(missing)}")
    choices.definitions = {str(value): text for value, text in definitions.items()}


def help_text(choices: type[models.TextChoices]) -> str:
    """A field's help text: each code and what it means."""
    return " ".join(f"“{value}”: {text}" for value, text in choices.definitions.items())


class Form(models.TextChoices):
    ARTICULATED = "articulated", "Articulated"
    FINAL = "final", "Final"
    GEOGRAPHIC = "geographic", "Geographic"


define(Form, {
    Form.ARTICULATED: "Speaking out against the regime and exposing its failures.",
    Form.FINAL: "Suicide: an exit from a political order the person no longer wished to "
    "support (the source article's term).",
    Form.GEOGRAPHIC: "Leaving the country in protest or self-exile.",
})


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    DISCREET = "discreet", "Discreet"
    UNKNOWN = "unknown", "Unknown"


define(Visibility, {
    Visibility.PUBLIC: "The person announced the break.",
    Visibility.DISCREET: "The person left or broke quietly, without announcing it.",
    Visibility.UNKNOWN: "Whether the break was announced is not known.",
})


class Verification(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    REPORTED = "reported", "Reported"
    CLAIMED = "claimed", "Claimed"
    DISPUTED = "disputed", "Disputed"


define(Verification, {
    Verification.CONFIRMED: "Sources of at least two independent origins agree (a reprint, wire "
                            "copy, repost or translation counts with its original).",
    Verification.REPORTED: "One credible source reports it.",
    Verification.CLAIMED: "A claim that cannot be verified.",
    Verification.DISPUTED: "Credible sources disagree.",
})


class Classification(models.TextChoices):
    CERTAIN = "certain", "Certain"
    PROBABLE = "probable", "Probable"
    POSSIBLE = "possible", "Possible"
    CONTESTED = "contested", "Contested"


define(Classification, {
    Classification.CERTAIN: "The act clearly is the coded form.",
    Classification.PROBABLE: "The act most likely is the coded form.",
    Classification.POSSIBLE: "The act may be the coded form; other readings are as likely.",
    Classification.CONTESTED: "Whether the act is the coded form is disputed (a death coded "
    "final that may have been murder).",
})


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    PUBLISHED = "published", "Published"
    RETRACTED = "retracted", "Retracted"


define(Status, {
    Status.DRAFT: "Being written; seen by staff only.",
    Status.REVIEW: "Submitted for an editor's review; seen by staff only.",
    Status.PUBLISHED: "Reviewed and public.",
    Status.RETRACTED: "Withdrawn after publication; seen by staff only.",
})


class ResponseKind(models.TextChoices):
    CRIMINAL_CASE = "criminal-case", "Criminal case"
    ARREST = "arrest", "Arrest or imprisonment"
    PSYCHIATRIC = "psychiatric", "Psychiatric confinement"
    IN_ABSENTIA = "in-absentia", "Prosecution in absentia"
    FOREIGN_AGENT = "foreign-agent", "“Foreign agent” designation"
    WANTED_LIST = "wanted-list", "Wanted list"
    ASSASSINATION = "assassination", "Assassination"
    ASSASSINATION_ATTEMPT = "assassination-attempt", "Assassination attempt"
    UNCLEAR_DEATH = "unclear-death", "Death in unclear circumstances"
    DENUNCIATION = "denunciation", "Public denunciation"


define(ResponseKind, {
    ResponseKind.CRIMINAL_CASE: "A criminal case opened against the person.",
    ResponseKind.ARREST: "The person was arrested, detained or imprisoned.",
    ResponseKind.PSYCHIATRIC: "The person was committed to a psychiatric institution.",
    ResponseKind.IN_ABSENTIA: "The person was tried or sentenced while abroad.",
    ResponseKind.FOREIGN_AGENT: "The state listed the person as a “foreign agent”.",
    ResponseKind.WANTED_LIST: "The person was put on a national or international wanted list.",
    ResponseKind.ASSASSINATION: "The person was killed, by the state's agents or so attributed.",
    ResponseKind.ASSASSINATION_ATTEMPT: "An attempt on the person's life.",
    ResponseKind.UNCLEAR_DEATH: "The person died in circumstances that remain unexplained.",
    ResponseKind.DENUNCIATION: "Officials or state media denounced the person in public.",
})


class AgencyKind(models.TextChoices):
    INTELLIGENCE = "intelligence", "Intelligence or security service"
    MILITARY = "military", "Military"
    GOVERNMENT = "government", "Ministry or government body"
    DIPLOMATIC = "diplomatic", "Diplomatic service"
    STATE_COMPANY = "state-company", "State company or bank"
    LEGISLATURE = "legislature", "Legislature"
    JUDICIARY = "judiciary", "Judiciary"
    PARTY = "party", "Party"
    MEDIA = "media", "Media"
    OTHER = "other", "Other"


define(AgencyKind, {
    AgencyKind.INTELLIGENCE: "A civilian or military intelligence, security or protective service "
    "(NKVD, KGB, FSB, GRU, SVR, FSO).",
    AgencyKind.MILITARY: "The armed forces and their units, and armed groups fighting for the state.",
    AgencyKind.GOVERNMENT: "A ministry, agency or other body of the executive.",
    AgencyKind.DIPLOMATIC: "The foreign ministry's missions, embassies and consulates.",
    AgencyKind.STATE_COMPANY: "A company or bank that the state owns or controls.",
    AgencyKind.LEGISLATURE: "A parliament or council (Duma, Federation Council, Supreme Soviet).",
    AgencyKind.JUDICIARY: "Courts and prosecutors.",
    AgencyKind.PARTY: "A ruling or loyal political party.",
    AgencyKind.MEDIA: "State or state-aligned media.",
    AgencyKind.OTHER: "Anything else, or no institution at all.",
})


class SourceKind(models.TextChoices):
    NEWS = "news", "News"
    ANALYSIS = "analysis", "Analysis or opinion"
    OFFICIAL = "official", "Official document"
    COURT = "court", "Court record"
    LEAK = "leak", "Leak"
    BOOK = "book", "Book or memoir"
    INTERVIEW = "interview", "Interview"
    SOCIAL_MEDIA = "social-media", "Social media"
    NGO_REPORT = "ngo-report", "NGO report"


define(SourceKind, {
    SourceKind.NEWS: "A news report.",
    SourceKind.ANALYSIS: "An analysis, commentary or opinion piece.",
    SourceKind.OFFICIAL: "A document issued by a state body.",
    SourceKind.COURT: "A court's record, ruling or filing.",
    SourceKind.LEAK: "A document published without its owner's consent.",
    SourceKind.BOOK: "A book, memoir or other long-form publication.",
    SourceKind.INTERVIEW: "An interview with the person or a witness.",
    SourceKind.SOCIAL_MEDIA: "A post on a social network or messaging channel.",
    SourceKind.NGO_REPORT: "A report by a non-governmental organisation.",
})


class Reliability(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    UNKNOWN = "unknown", "Unknown"


define(Reliability, {
    Reliability.HIGH: "A primary document or an outlet with a record of accuracy and corrections.",
    Reliability.MEDIUM: "A credible outlet or author relaying others' reporting.",
    Reliability.LOW: "Anonymous, partisan or unverified.",
    Reliability.UNKNOWN: "Not yet assessed.",
})


class Claim(models.TextChoices):
    GENERAL = "general", "General"
    DATE = "date", "Date"
    FORM = "form", "Form"
    MOTIVE = "motive", "Motive"
    RESPONSE = "response", "Response"


define(Claim, {
    Claim.GENERAL: "The case as a whole: who broke with the state, and how.",
    Claim.DATE: "When it happened.",
    Claim.FORM: "That the act is of the coded form.",
    Claim.MOTIVE: "Why the person did it.",
    Claim.RESPONSE: "What the state did in response.",
})


class Holder(models.TextChoices):
    OFFICIAL = "official", "Official"
    FAMILY = "family", "Family"
    JOURNALIST = "journalist", "Journalist"
    NGO = "ngo", "NGO"
    OTHER = "other", "Other"


define(Holder, {
    Holder.OFFICIAL: "The state's version: a ministry, an investigator, a court, state media.",
    Holder.FAMILY: "The person's family or friends.",
    Holder.JOURNALIST: "Reporters or outlets, from their own reporting.",
    Holder.NGO: "A human-rights or monitoring organisation.",
    Holder.OTHER: "Anyone else: colleagues, opposition figures, anonymous sources.",
})


class Rank(models.TextChoices):
    PREFERRED = "preferred", "Preferred"
    NORMAL = "normal", "Normal"
    DEPRECATED = "deprecated", "Deprecated"


define(Rank, {
    Rank.PREFERRED: "The account the editors judge best supported, shown first.",
    Rank.NORMAL: "An account held and sourced, neither preferred nor set aside.",
    Rank.DEPRECATED: "Shown to be wrong, kept and marked so that nobody adds it again.",
})
