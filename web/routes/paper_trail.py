"""The paper trail's forms: a staff note, an evidence file, and the officer's nomination of a
representative (and its withdrawal), each confirmed first.

Each runs the API's own function (``add_note``'s body model, ``attach_file``,
``nominate_representative``, ``withdraw_nomination``) behind the authorisation table's row, so
the limits and refusals are the API's. A form with errors brings back the page it was sent
from (the officer's own, or the case page) with the error summary linked to the field and
what was typed; a bad file stores nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.access import read_case
from api.auth import Principal
from api.authz import Operation
from api.problems import ProblemError
from api.routes.notes import NOTE_MAX_CHARS, NewNote
from api.routes.representatives import (
    nominate_representative,
    representative_named,
    withdraw_nomination,
)
from domain.case import CaseView
from domain.evidence import AttachedTo
from domain.people import Role
from store.paper_trail import add_note, current_nomination
from store.users import User, get_user
from web.format import sentence
from web.paper_trail import PaperForm
from web.routes.cases import CaseId, attach_upload, staff_case_page, uploaded
from web.routes.officer import CONFIRMED, officer_case_page
from web.session import ALLOW_PAGE, CheckedForm, form_values
from web.templating import render

router = APIRouter()


def _case_address(user: Principal, case_id: str) -> str:
    return f"/your-case/{case_id}" if user.role is Role.OFFICER else f"/cases/{case_id}"


async def _again(
    request: Request, user: Principal, view: CaseView, paper: PaperForm
) -> HTMLResponse:
    """The page the form was on, with its errors and what was typed."""
    page = officer_case_page if user.role is Role.OFFICER else staff_case_page
    return await page(request, user, view, status_code=paper.status, paper=paper)


def _done(user: Principal, case_id: str, done: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"{_case_address(user, case_id)}?done={done}#{anchor}", 303)


# -- notes ------------------------------------------------------------------------------------


@router.post("/cases/{case_id}/notes")
async def add_a_note(
    request: Request,
    case_id: CaseId,
    user: Annotated[Principal, ALLOW_PAGE[Operation.NOTES_ADD]],
    form: CheckedForm,
) -> Response:
    pool = request.app.state.pool
    view = await read_case(pool, user, case_id, None)
    values = form_values(form, ("text",))
    try:
        note = NewNote.model_validate(values)
    except ValidationError:
        message = (
            "Enter the note"
            if not values["text"]
            else f"The note must be {NOTE_MAX_CHARS:,} characters or fewer"
        )
        paper = PaperForm("note", values, {"note-text": message})
        return await _again(request, user, view, paper)
    await add_note(
        pool, case_id=view.case_id, author=user.user_id, author_role=user.role.value, text=note.text
    )
    return _done(user, view.case_id, "note", "notes")


# -- evidence ---------------------------------------------------------------------------------


@router.post("/cases/{case_id}/evidence")
async def attach_evidence(
    request: Request,
    case_id: CaseId,
    user: Annotated[Principal, ALLOW_PAGE[Operation.EVIDENCE_ADD]],
    form: CheckedForm,
) -> Response:
    view = await read_case(request.app.state.pool, user, case_id, None)
    values = form_values(form, ("attached_to",))
    upload = uploaded(form, "file")
    errors = {}
    if values["attached_to"] not in set(AttachedTo):
        errors["attached-to"] = "Select what the file supports"
    if upload is None:
        errors["file"] = "Select a file"
    if errors or upload is None:
        return await _again(request, user, view, PaperForm("evidence", values, errors))
    try:
        await attach_upload(request, user, view, AttachedTo(values["attached_to"]), upload)
    except ProblemError as refused:
        if refused.status in {403, 404, 503}:
            raise
        errors = {"file": sentence(refused.detail)}
        return await _again(
            request, user, view, PaperForm("evidence", values, errors, refused.status)
        )
    return _done(user, view.case_id, "evidence", "evidence")


# -- the officer's representative ---------------------------------------------------------------

_NOMINATORS = ALLOW_PAGE[Operation.REPRESENTATIVE_NOMINATE]
_WITHDRAWERS = ALLOW_PAGE[Operation.REPRESENTATIVE_WITHDRAW]


def _confirm(
    request: Request,
    user: Principal,
    view: CaseView,
    *,
    question: str,
    explanation: str,
    button: str,
    action: str,
    values: dict[str, str],
) -> HTMLResponse:
    context = {
        "case": view,
        "question": question,
        "explanation": explanation,
        "button": button,
        "action": action,
        "values": values,
    }
    return render(request, "officer/confirm-representative.html", context, user=user)


async def _chosen(request: Request, form: FormData) -> User | PaperForm:
    """The representative the form names (a listed one, or "someone not listed" by user id),
    or the form to show again with what is wrong."""
    values = form_values(form, ("representative_id", "other_id"))
    # "Someone not listed", or no choice but an id typed: the id.
    other = values["representative_id"] == "other" or (
        not values["representative_id"] and bool(values["other_id"])
    )
    chosen = values["other_id"] if other else values["representative_id"]
    if not chosen:
        at, message = ("other-id", "Enter their user id") if other else (_SELECT_AT, _SELECT)
        return PaperForm("representative", values, {at: message})
    try:
        return await representative_named(request.app.state.pool, chosen)
    except ProblemError:
        unknown = {"other-id" if other else _SELECT_AT: _UNKNOWN}
        return PaperForm("representative", values, unknown, 422)


_SELECT, _SELECT_AT = "Select your representative", "representative-id"
_UNKNOWN = "There is no representative with this user id: check it with them"


@router.post("/your-case/{case_id}/representative")
async def nominate(
    request: Request, case_id: CaseId, user: Annotated[Principal, _NOMINATORS], form: CheckedForm
) -> Response:
    pool = request.app.state.pool
    view = await read_case(pool, user, case_id, None)
    chosen = await _chosen(request, form)
    if isinstance(chosen, PaperForm):
        return await _again(request, user, view, chosen)
    if form.get(CONFIRMED) != "yes":
        return _confirm(
            request,
            user,
            view,
            question=f"Nominate {chosen.name} as your representative?",
            explanation=f"{chosen.name} ({chosen.user_id}) will see this case, its letters "
            "and evidence, and may provide information and make representations for you. They "
            "cannot accept or decline an offer, nor withdraw: those stay yours. You can "
            "withdraw the nomination at any time.",
            button="Nominate",
            action="representative",
            values={"representative_id": "other", "other_id": chosen.user_id},
        )
    await nominate_representative(pool, user, view, chosen.user_id)
    return _done(user, view.case_id, "nominated", "representative")


@router.post("/your-case/{case_id}/representative/withdraw")
async def withdraw(
    request: Request, case_id: CaseId, user: Annotated[Principal, _WITHDRAWERS], form: CheckedForm
) -> Response:
    pool = request.app.state.pool
    view = await read_case(pool, user, case_id, None)
    if form.get(CONFIRMED) != "yes":
        nomination = await current_nomination(pool, view.case_id)
        named = nomination.representative_id if nomination else None
        person = await get_user(pool, named) if named else None
        if person is None:  # withdrawn already (another tab): nothing left to confirm
            return RedirectResponse(_case_address(user, view.case_id), 303)
        return _confirm(
            request,
            user,
            view,
            question=f"Withdraw {person.name}\N{RIGHT SINGLE QUOTATION MARK}s nomination?",
            explanation=f"From now on {person.name} no longer sees this case nor acts on it. "
            "What they did for you stays on record. You can nominate them again later.",
            button="Withdraw the nomination",
            action="representative/withdraw",
            values={},
        )
    await withdraw_nomination(pool, user, view)
    return _done(user, view.case_id, "nomination-withdrawn", "representative")
