"""What must always hold, kept by PostgreSQL: every path (the admin, the API, imports,
`queryset.update()`, raw SQL) meets the same wall.

A published case cites at least one source, and a `confirmed` case (unless retracted)
cites at least two different ones. The check runs in deferred constraint triggers (django-
pgtrigger), at commit: a case and its citations are written in any order inside one
transaction, and what is committed is sourced. Retracting is always possible. The faces
check the same rule first (defections/workflow.py) so that people get a form error or a
400, not a failed commit.
"""

import pgtrigger

NOT_SOURCED = "case_published_is_sourced"
NOT_CONFIRMED = "case_confirmed_has_two_sources"
DECLARE = [("_status", "text"), ("_verification", "text"), ("_citations", "int"), ("_sources", "int")]


def _check(case_id: str) -> str:
    return f"""
    SELECT status, verification INTO _status, _verification FROM defections_case WHERE id = {case_id};
    IF FOUND AND _status <> 'retracted' THEN
        SELECT count(*), count(DISTINCT source_id) INTO _citations, _sources
          FROM defections_citation WHERE case_id = {case_id};
        IF _status = 'published' AND _citations = 0 THEN
            RAISE EXCEPTION 'Case %: a published case cites at least one source.', {case_id}
              USING ERRCODE = 'check_violation', CONSTRAINT = '{NOT_SOURCED}';
        END IF;
        IF _verification = 'confirmed' AND _sources < 2 THEN
            RAISE EXCEPTION 'Case %: a confirmed case cites at least two different sources.', {case_id}
              USING ERRCODE = 'check_violation', CONSTRAINT = '{NOT_CONFIRMED}';
        END IF;
    END IF;"""


case_is_sourced = pgtrigger.Trigger(
    name="case_is_sourced", when=pgtrigger.After, operation=pgtrigger.Insert | pgtrigger.Update,
    timing=pgtrigger.Deferred, declare=DECLARE, func=f"{_check('NEW.id')}\n    RETURN NULL;",
)

citations_keep_cases_sourced = pgtrigger.Trigger(
    name="citations_keep_cases_sourced", when=pgtrigger.After,
    operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
    timing=pgtrigger.Deferred, declare=DECLARE, func=f"""
    IF TG_OP <> 'INSERT' AND OLD.case_id IS NOT NULL THEN {_check('OLD.case_id')}
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.case_id IS NOT NULL THEN {_check('NEW.case_id')}
    END IF;
    RETURN NULL;""",
)


# --- derived state ------------------------------------------------------------------------------
# A case's period is the period of instability holding the middle of its date interval
# (never set by hand). The database keeps it, so `update()`, raw SQL and period edits keep
# it right too.


def period_of(start: str, end: str) -> str:
    middle = f"{start} + ({end} - {start}) / 2"
    return (f'(SELECT p.id FROM defections_period p WHERE p.start <= {middle} '
            f'AND (p."end" IS NULL OR {middle} <= p."end") LIMIT 1)')


DERIVE_PERIODS = (f"UPDATE defections_case c SET period_id = {period_of('c.date_start', 'c.date_end')} "
                  f"WHERE c.period_id IS DISTINCT FROM {period_of('c.date_start', 'c.date_end')}")

case_period = pgtrigger.Trigger(
    name="case_period", when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.UpdateOf("date_start", "date_end", "period_id"),
    func=f"NEW.period_id := {period_of('NEW.date_start', 'NEW.date_end')};\n    RETURN NEW;",
)

periods_place_cases = pgtrigger.Trigger(
    name="periods_place_cases", level=pgtrigger.Statement, when=pgtrigger.After,
    operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
    func=f"{DERIVE_PERIODS};\n    RETURN NULL;",
)


# When a case was retracted: set as it happens, by any path; cleared if it is put back.
case_retracted_at = pgtrigger.Trigger(
    name="case_retracted_at", when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.UpdateOf("status", "retracted_at"),
    func="""
    IF NEW.status <> 'retracted' THEN
        NEW.retracted_at := NULL;
    ELSIF TG_OP = 'INSERT' OR OLD.status <> 'retracted' THEN
        NEW.retracted_at := now();
    ELSE
        NEW.retracted_at := OLD.retracted_at;
    END IF;
    RETURN NEW;""",
)
