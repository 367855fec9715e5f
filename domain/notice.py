"""The notice rules: when an officer may leave, and the date compensation is calculated on."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from domain.periods import add_period
from domain.policy import SchemePolicy


class LeavingWindow(BaseModel):
    earliest: date
    latest: date

    def __contains__(self, day: date) -> bool:
        return self.earliest <= day <= self.latest


def leaving_window(accepted_on: date, policy: SchemePolicy) -> LeavingWindow:
    """Leaving dates allowed after accepting on ``accepted_on``: within the notice period and
    not before the scheme's earliest leaving date."""
    return LeavingWindow(
        earliest=earliest_leaving_date(accepted_on, policy),
        latest=add_period(accepted_on, policy.notice_max),
    )


def earliest_leaving_date(accepted_on: date, policy: SchemePolicy) -> date:
    """The first day of ``leaving_window``, which needs no latest day (and so cannot fail on
    a notice maximum beyond the calendar)."""
    return max(add_period(accepted_on, policy.notice_min), policy.earliest_leaving_date)


def calculation_date(requested: date | None, today: date, policy: SchemePolicy) -> date:
    """The leaving date applied for or, with none, the earliest date the notice rules allow."""
    return requested if requested is not None else leaving_window(today, policy).earliest


def leaving_date_problem(leaving_date: date, accepted_on: date, policy: SchemePolicy) -> str | None:
    """Why ``leaving_date`` breaks the notice rules, in a caseworker's words; None if it doesn't."""
    window = leaving_window(accepted_on, policy)
    if window.earliest > window.latest:
        return (
            f"no leaving date satisfies the notice rules when accepting on {accepted_on}: "
            f"the earliest allowed ({window.earliest}) is after the latest ({window.latest})"
        )
    if leaving_date not in window:
        return (
            f"the leaving date must be between {window.earliest} and {window.latest} "
            f"(notice of {policy.notice_min} to {policy.notice_max}, "
            f"not before {policy.earliest_leaving_date})"
        )
    return None
