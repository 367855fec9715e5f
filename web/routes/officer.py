"""An officer's pages: applying, and their case in plain words with what they may do now.

An officer sees their own cases only: another officer's case is the 404 page, as one that
does not exist (``read_case``). The page offers exactly ``actions_open_to(view, user)``; accepting
or declining the offer and withdrawing ask the officer to confirm first, showing what the
decision means, and the values typed travel with the confirmation so nothing is lost.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.access import read_case
from api.auth import Principal
from api.authz import Operation
from api.problems import ProblemError
from api.routes.cases import LEAVERS_CAP_REACHED
from api.routes.invitation_letters import SchemeName, invitation_letter_download
from domain.actions import actions_open_to
from domain.case import Application, CaseView
from domain.documents import LetterKind
from domain.lifecycle import TERMINAL_STATES, Action, CaseKind, CaseState
from domain.people import Role
from service.cases import OfficerHasLeft, OpenCaseExists, UnknownOfficer
from service.kinds import KindNotAvailable
from store import case_queries, cases, letters, officers
from web.action_forms import Submitted, form_fields, read_form
from web.actions import ACTION_NAMES
from web.leaving_dates import leaving_date_error
from web.officer_status import officer_status
from web.paper_trail import PaperForm, names_on_page, paper_trail_context
from web.routes.cases import (
    CaseId,
    NewCase,
    Refused,
    action_of,
    attempt,
    done_message,
    error_list,
    start_case,
)
from web.session import ALLOW_PAGE, CheckedForm, form_values
from web.templating import render, render_form

router = APIRouter()

# Decisions an officer cannot take back: each asks "are you sure?" first.
CONFIRM = frozenset({Action.ACCEPT_OFFER, Action.DECLINE_OFFER, Action.WITHDRAW})
CONFIRMED = "confirmed"
_MOVED_ON = (
    "Your case has moved on since you opened the page, so “{}” was not done. This page shows "
    "where it stands now and what you can do."
)

Reader = Annotated[Principal, ALLOW_PAGE[Operation.CASES_READ]]
Applicant = Annotated[Principal, ALLOW_PAGE[Operation.CASES_CREATE_VOLUNTARY]]
LetterReader = Annotated[Principal, ALLOW_PAGE[Operation.DOCUMENTS_READ]]


def _officer(user: Principal) -> str:
    """The officer id of an officer's page; staff work on the case pages instead."""
    if user.role is not Role.OFFICER or user.officer_id is None:
        raise ProblemError(403, "these pages are for officers; staff see cases on the Cases pages")
    return user.officer_id


@router.get("/your-case")
async def your_cases(request: Request, user: Reader) -> Response:
    """The officer's open case, or (with none open) their past cases and a way to apply."""
    officer_id = _officer(user)
    own = await case_queries.list_cases(request.app.state.pool, limit=50, officer_id=officer_id)
    open_cases = [case for case in own if case.state not in TERMINAL_STATES]
    if open_cases:
        return RedirectResponse(f"/your-case/{open_cases[0].case_id}", status_code=303)
    pool = request.app.state.pool
    invitations = await letters.list_invitation_letters(pool, officer_id)
    on_roster = await officers.get_officer(pool, officer_id) is not None
    left = next((case for case in own if case.state is CaseState.COMPLETED), None)
    context = {
        "cases": own,
        "invitations": invitations,
        "not_on_roster": not on_roster,
        "left": left.case_id if left else None,
        "left_on": left.leaving_date if left else None,
    }
    return render(request, "officer/cases.html", context, user=user)


async def officer_case_page(
    request: Request,
    user: Principal,
    view: CaseView,
    *,
    status_code: int = 200,
    refused: Refused | None = None,
    action: Action | None = None,
    paper: PaperForm | None = None,
) -> HTMLResponse:
    """The officer's case page, with the form that came back with errors, if one did."""
    submitted = (action, refused.sent) if refused is not None and action else None
    errors = error_list(refused.refusal if refused else None, submitted)
    pool = request.app.state.pool
    trail = await paper_trail_context(pool, user, view, paper)
    context = {
        **trail,
        "names": await names_on_page(pool, view, trail),
        "case": view,
        "status": officer_status(view),
        "actions": [(a, form_fields(a, view)) for a in actions_open_to(view, user)],
        "submitted": submitted,
        "error_list": errors + (paper.error_list() if paper else []),
        "done": done_message(request),
    }
    return render(request, "officer/case.html", context, status_code=status_code, user=user)


@router.get("/your-case/{case_id}")
async def your_case(request: Request, case_id: CaseId, user: Reader) -> HTMLResponse:
    _officer(user)
    view = await read_case(request.app.state.pool, user, case_id, None)
    return await officer_case_page(request, user, view)


def _confirm_page(
    request: Request,
    user: Principal,
    view: CaseView,
    action: Action,
    sent: Submitted,
    form: FormData,
) -> HTMLResponse:
    chosen = sent.values.get("leaving_date")
    offered = view.offer.leaving_date if view.offer else None
    values, letter = dict(sent.values), None
    if action is Action.ACCEPT_OFFER and (letter := view.current_letter(LetterKind.OFFER)):
        # The acceptance is bound to the offer letter this page shows: if the offer moves on
        # before the officer confirms, the workflow refuses it rather than accept a new amount.
        values["letter_sha256"] = values.get("letter_sha256") or letter.sha256
        letter = next((ref for ref in view.letters if ref.sha256 == values["letter_sha256"]), None)
    context = {
        "case": view,
        "action": action,
        "values": values,
        "letter": letter,
        "version": form.get("version", ""),
        "leaving_date": date.fromisoformat(chosen) if chosen else offered,
    }
    return render(request, "officer/confirm.html", context, user=user)


@router.post("/your-case/{case_id}/actions/{action_name}")
async def your_case_action(
    request: Request, case_id: CaseId, action_name: str, user: Reader, form: CheckedForm
) -> Response:
    _officer(user)
    pool = request.app.state.pool
    view = await read_case(pool, user, case_id, None)
    action = action_of(action_name)
    if action in CONFIRM and form.get(CONFIRMED) != "yes" and action in actions_open_to(view, user):
        sent = read_form(action, view, form)
        # A date the notice rules refuse comes back now, not after the officer confirms it.
        if sent.body is not None and not await leaving_date_error(pool, view, action, sent.body):
            return _confirm_page(request, user, view, action, sent, form)
    refused = await attempt(request, user, view, action, form)
    if refused is not None:
        if refused.status == 409 and refused.kind != LEAVERS_CAP_REACHED:
            # The service's words name states and actions as staff know them; a full month's
            # refusal is kept, as it names the months the officer could choose instead.
            refused = replace(refused, refusal=_MOVED_ON.format(ACTION_NAMES[action]))
        current = await read_case(pool, user, case_id, None)
        return await officer_case_page(
            request, user, current, status_code=refused.status, refused=refused, action=action
        )
    return RedirectResponse(f"/your-case/{case_id}?done={action.value}", status_code=303)


# -- applying ---------------------------------------------------------------------------------


_APPLY = "officer/apply.html"
_APPLY_ERRORS = {
    "leaving_date": "Enter the leaving date as a real date, today or later",
    "statement": "Your statement must be 4,000 characters or fewer",
}


@router.get("/apply")
async def apply(request: Request, user: Applicant) -> HTMLResponse:
    officer_id = _officer(user)
    pool = request.app.state.pool
    if await officers.get_officer(pool, officer_id) is None:
        # Said before the form is filled in, not after: the service would refuse it.
        return _not_on_roster(request, user, status_code=200)
    left = await cases.completed_exit(pool, officer_id)
    if left is not None:
        return render_form(request, _APPLY, {}, {}, user=user, left=left)
    invitations = await letters.list_invitation_letters(pool, officer_id)
    return render_form(request, _APPLY, {}, {}, user=user, invitations=invitations)


def _not_on_roster(request: Request, user: Principal, status_code: int) -> HTMLResponse:
    context = {"not_on_roster": True}
    return render_form(request, _APPLY, {}, {}, user=user, status_code=status_code, **context)


@router.get("/invitation-letters/{scheme}")
async def invitation_letter(request: Request, scheme: SchemeName, user: LetterReader) -> Response:
    """The officer's own invitation letter, through the API's function: the same access-log
    line. The path names no officer, so it is the link the invitation's e-mail carries."""
    officer_id = _officer(user)
    return await invitation_letter_download(request.app.state.pool, user, officer_id, scheme)


@router.post("/apply")
async def send_application(request: Request, user: Applicant, form: CheckedForm) -> Response:
    officer_id = _officer(user)
    values = form_values(form, ("leaving_date", "statement"))
    try:
        body = NewCase.model_validate(
            {"officer_id": officer_id, **{k: v for k, v in values.items() if v}}
        )
    except ValidationError as error:
        names = dict.fromkeys(str(e["loc"][0]) for e in error.errors() if e["loc"])
        errors = {name: _APPLY_ERRORS[name] for name in names if name in _APPLY_ERRORS}
        return render_form(request, _APPLY, values, errors, user=user, status_code=400)
    try:
        view = await start_case(
            request,
            user,
            officer_id,
            CaseKind.VOLUNTARY_EXIT,
            Application(leaving_date=body.leaving_date, statement=body.statement),
        )
    except UnknownOfficer:
        return _not_on_roster(request, user, status_code=409)
    except OfficerHasLeft as error:
        return render_form(request, _APPLY, {}, {}, user=user, status_code=409, left=error.case_id)
    except OpenCaseExists as error:
        # About the application as a whole, not its leaving date: the summary links to the case.
        already = [
            {
                "text": "You already have an open case: you cannot apply again yet",
                "href": "#existing",
            }
        ]
        return render_form(
            request,
            _APPLY,
            values,
            {},
            user=user,
            status_code=409,
            existing=error.case_id,
            error_list=already,
        )
    except KindNotAvailable as refused:
        raise ProblemError(409, str(refused)) from None
    return RedirectResponse(f"/your-case/{view.case_id}?done=applied", status_code=303)
