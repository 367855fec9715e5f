"""An officer's case in plain words: where it stands and what happens next, with the dates.

Officers are not caseworkers: they see no state names, tiers or task kinds, only what has
happened to their application and what they (or HR) do next, by when. Everything here reads
the case view; what the officer may do now is still ``actions_open_to`` (the page's buttons).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.case import CaseView
from domain.lifecycle import CaseState
from web.format import date_text, datetime_text, money, sentence


@dataclass(frozen=True)
class Status:
    """Sentences for the two headings of the page, and the dates that matter, in order."""

    where: list[str]
    next: list[str]
    dates: list[tuple[str, str]] = field(default_factory=list)


def _due(view: CaseView) -> str | None:
    """When the open work on the case is due (its soonest deadline), in words."""
    dues = [task.due_at for task in view.tasks if task.due_at is not None]
    return datetime_text(min(dues)) if dues else None


def _sentence(text: str) -> str:
    return sentence(text) + "."


def _key_dates(view: CaseView) -> list[tuple[str, str]]:
    case = view.efficiency
    if case is None:
        dates = [("You applied on", date_text(view.created_at))]
    else:
        dates = [("Proposed on", date_text(view.created_at))]
        if case.notice_served_on:
            dates.append(("Notice served on", date_text(case.notice_served_on)))
            dates.append(("Notice ends on", date_text(case.notice_ends_on)))
        if case.representations_close_at:
            close = datetime_text(case.representations_close_at)
            dates.append(("Representations close on", close))
    if view.application.leaving_date:
        dates.append(("Leaving date you asked for", date_text(view.application.leaving_date)))
    if view.offer:
        dates.append(("Amount offered", money(view.offer.amount)))
        dates.append(("Offer made on", date_text(view.offer.made_at)))
        if view.state is CaseState.OFFER_MADE or view.state is CaseState.OFFER_LAPSED:
            dates.append(("Offer lapses on", datetime_text(view.offer.lapses_at)))
    if view.acceptance:
        # Worked out again for the final day in service (docs/final-day-amount.md).
        dates.append(("Compensation for your leaving date", money(view.amount)))
        dates.append(("You accepted on", date_text(view.acceptance.accepted_at)))
        dates.append(("Cooling-off ends on", datetime_text(view.acceptance.cooling_off_ends_at)))
    if view.leaving_date:
        dates.append(("Leaving date", date_text(view.leaving_date)))
    return dates


def _voluntary(view: CaseView) -> tuple[list[str], list[str]]:
    state, due = view.state, _due(view)
    by = f" by {due}" if due else ""
    amount = money(view.amount)
    if state is CaseState.SUBMITTED:
        return (
            ["We have your application for voluntary exit and are checking that you are eligible."],
            ["If you are, HR reviews your application next. This page will say when."],
        )
    if state is CaseState.INELIGIBLE:
        return (
            ["You are not eligible for voluntary exit, for these reasons:"]
            + [_sentence(reason.detail) for reason in view.ineligibility],
            ["Nothing more happens on this application. Ask HR if you think this is wrong."],
        )
    if state is CaseState.HR_REVIEW:
        return (
            ["HR is reviewing your application."],
            [f"HR will decide whether it goes forward{by}. You do not need to do anything."],
        )
    if state is CaseState.INFO_REQUESTED:
        question = view.info_requests[-1].question if view.info_requests else ""
        return (
            ["HR needs more information from you before they can go on: " + question],
            [f"Give HR the information below{by}."],
        )
    if state is CaseState.APPROVAL:
        return (
            [f"HR has reviewed your application and worked out your compensation: {amount}."],
            [f"Senior staff must approve it{by}. If they do, you will get an offer here."],
        )
    if state is CaseState.OFFER_MADE and view.offer:
        lapses = datetime_text(view.offer.lapses_at)
        return (
            [
                f"You have an offer of {money(view.offer.amount)}, leaving on "
                f"{date_text(view.offer.leaving_date)}."
            ],
            [
                f"Accept or decline it before {lapses}. If you do neither, the offer lapses "
                f"on {lapses} and your case closes.",
                "If you accept, you have a cooling-off period in which you can still withdraw.",
            ],
        )
    if state is CaseState.ACCEPTED and view.acceptance:
        ends = datetime_text(view.acceptance.cooling_off_ends_at)
        return (
            [
                f"You accepted the offer on {date_text(view.acceptance.accepted_at)}. For "
                f"your leaving date your compensation is {amount}."
            ],
            [
                f"Your cooling-off period ends on {ends}. Until then you can withdraw.",
                f"After that you are leaving on {date_text(view.leaving_date)}.",
            ],
        )
    if state is CaseState.LEAVING_SCHEDULED:
        return (
            [f"You are leaving on {date_text(view.leaving_date)}."],
            ["On your leaving date HR starts your exit: pay, pension, access and equipment."],
        )
    if state is CaseState.EXIT_PROCESSING:
        return (
            [f"You left on {date_text(view.leaving_date)}. HR is finishing your exit."],
            ["Payroll pays your compensation; your pension scheme is told. Nothing is needed."],
        )
    if state is CaseState.COMPLETED:
        return ([f"Your exit is complete. You left on {date_text(view.leaving_date)}."], [])
    if state is CaseState.SUSPENDED:
        return (
            ["Your case is on hold while HR deals with another matter."],
            ["HR will restart it, or close it, and this page will say so."],
        )
    closed = {
        CaseState.OFFER_LAPSED: "The offer lapsed because it was not accepted in time.",
        CaseState.OFFER_DECLINED: "You declined the offer.",
        CaseState.WITHDRAWN: "The application was withdrawn.",
        CaseState.REJECTED: "Your application was not approved.",
    }
    where = [closed.get(state, "Your case is closed.")]
    if view.outcome_reason:
        where.append(f"The reason given: {view.outcome_reason}")
    return where, ["Your case is closed. You may apply again while the scheme is open."]


def _efficiency(view: CaseView) -> tuple[list[str], list[str]]:
    state, case = view.state, view.efficiency
    if case and case.superseded_by:
        return (
            [f"You applied for voluntary exit instead: that is your case {case.superseded_by}."],
            ["Go to Your case to follow it."],
        )
    if state in {CaseState.PROPOSED, CaseState.DECISION_PENDING}:
        return (
            ["HR has proposed that you retire in the interests of efficiency."],
            ["A senior officer decides whether to serve notice. This page will say when."],
        )
    if state in {CaseState.NOTICE_SERVED, CaseState.REPRESENTATIONS} and case:
        close = datetime_text(case.representations_close_at)
        return (
            [
                f"Notice of retirement was served on {date_text(case.notice_served_on)}; "
                f"it ends on {date_text(case.notice_ends_on)}."
            ],
            [
                f"You can make representations against it until {close}.",
                "Until a panel confirms the retirement you may apply for voluntary exit instead.",
            ],
        )
    if state is CaseState.PANEL_REVIEW:
        return (
            ["A panel is considering your case and any representations you made."],
            ["The panel confirms the retirement, defers it, or withdraws it."],
        )
    if state is CaseState.DEFERRED and case and case.panel_decisions:
        review = date_text(case.panel_decisions[-1].review_date)
        return (
            [f"The panel deferred its decision until {review}."],
            [f"The panel looks at your case again on {review}."],
        )
    if state is CaseState.RETIREMENT_WITHDRAWN:
        return (["The proposal that you retire was withdrawn."], ["Your case is closed."])
    return _voluntary(view)


def officer_status(view: CaseView) -> Status:
    if view.needs_attention:
        return Status(
            ["Your case has stopped while HR looks into a problem with it."],
            ["HR will contact you. You do not need to do anything."],
            _key_dates(view),
        )
    efficiency = view.efficiency is not None
    where, after = _efficiency(view) if efficiency else _voluntary(view)
    return Status(where, after, _key_dates(view))
