"""The notice rules for a leaving date someone types on a page, said before the case is asked
and in the dates people read. The workflow applies the same rules (``domain.notice``) and
refuses in a caseworker's terms: ISO dates and periods ("notice of PT0S to P3M")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from domain.case import CaseView
from domain.clock import local_date
from domain.lifecycle import Action
from domain.notice import leaving_date_problem, leaving_window
from store import policies
from web.format import date_text, sentence

# The actions whose leaving date the notice rules bound.
DATED = frozenset({Action.ACCEPT_OFFER, Action.CHANGE_LEAVING_DATE})


async def leaving_date_error(
    pool: asyncpg.Pool, view: CaseView, action: Action, body: dict[str, Any]
) -> str | None:
    """Why the leaving date in ``body`` cannot be, in words; None if it can (or none is given)."""
    if action not in DATED or not body.get("leaving_date"):
        return None
    chosen = date.fromisoformat(str(body["leaving_date"]))
    today = local_date(datetime.now(UTC))
    if chosen < today:
        return "The leaving date must be today or later"
    policy = await policies.get_policy(pool, view.policy_version)
    if policy is None:
        return None  # the workflow holds the case's policy and decides
    accepted = view.acceptance
    notice_from = (
        local_date(accepted.accepted_at)
        if action is Action.CHANGE_LEAVING_DATE and accepted is not None
        else today
    )
    problem = leaving_date_problem(chosen, notice_from, policy)
    if problem is None:
        return None
    window = leaving_window(notice_from, policy)
    if window.earliest > window.latest:
        return sentence(problem)
    return f"Choose a leaving date from {date_text(window.earliest)} to {date_text(window.latest)}"
