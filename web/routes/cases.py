"""Cases: the list with its filters, one case's page with a form per allowed action, and
opening a case for an officer.

The case page offers exactly ``actions_open_to(view, user)`` (domain/actions.py): the one rule
the workflow refuses by, for the case's state, the user's role and tier, and four eyes. An
action runs through the API's ``perform_action``, so its checks and refusals are the API's; a
refusal brings the page back with the reason at the top and the form as it was typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import asyncpg
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError, field_validator
from starlette.datastructures import FormData, UploadFile

from api.access import case_not_found, read_case
from api.auth import Principal
from api.authz import (
    TABLE,
    Operation,
    check_action,
    create_operation,
    list_scope,
    on_behalf_of,
    require_create,
)
from api.pagination import cursor_pattern
from api.problems import ProblemError
from api.routes.cases import cases_page, perform_action
from api.routes.documents import letter_download
from api.routes.evidence import attach_file, display_name, evidence_download
from domain.actions import actions_open_to, refusal, tier_due
from domain.case import Application, CaseView
from domain.clock import local_date
from domain.efficiency import Proposal
from domain.evidence import AttachedTo
from domain.lifecycle import Action, CaseKind, CaseState
from domain.officer import Rank
from domain.people import Role
from service.cases import OfficerHasLeft, OpenCaseExists, UnknownOfficer, open_case
from service.kinds import KindNotAvailable
from store import case_queries, officers
from store.case_queries import AuditEvent, CaseCursor
from store.paper_trail import Evidence
from web.action_forms import ANSWERED_WITH_FILES, Submitted, form_fields, read_form
from web.actions import ACTION_NAMES
from web.format import sentence, words
from web.leaving_dates import leaving_date_error
from web.paper_trail import PaperForm, names_on_page, paper_trail_context, with_notes
from web.session import ALLOW_PAGE, CheckedForm, form_values
from web.templating import render, render_form

router = APIRouter()

PAGE_SIZE = 50
_CURSOR = re.compile(cursor_pattern(CaseCursor))
CaseId = Annotated[str, Path(min_length=1, max_length=64)]
_E = TypeVar("_E", bound=StrEnum)


# -- the list -------------------------------------------------------------------------------


def _choice(value: str | None, kind: type[_E]) -> _E | None:
    """A filter's value, or None for "any" (and for a value no option has)."""
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def _options(kind: type[StrEnum], chosen: StrEnum | None) -> list[dict[str, Any]]:
    return [{"value": "", "text": "Any"}] + [
        {"value": m.value, "text": words(m), "selected": m is chosen} for m in kind
    ]


class Overdue(StrEnum):
    YES = "yes"
    NO = "no"


def _staff(user: Principal) -> None:
    """Officers may list and open their own cases through the API, but these are the staff's
    pages: an officer's are Your case and Apply (web/routes/officer.py)."""
    if user.role is Role.OFFICER:
        raise ProblemError(403, "these pages are for staff; your case is on the Your case page")


@router.get("/cases")
async def case_list(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.CASES_LIST]],
    state: str | None = None,
    kind: str | None = None,
    rank: str | None = None,
    overdue: str | None = None,
    cursor: str | None = None,
) -> HTMLResponse:
    _staff(user)
    filters = {
        "state": _choice(state, CaseState),
        "kind": _choice(kind, CaseKind),
        "rank": _choice(rank, Rank),
    }
    late = _choice(overdue, Overdue)
    if cursor is not None and not _CURSOR.fullmatch(cursor):
        cursor = None  # a cursor mangled by hand: the first page
    page = await cases_page(
        request.app.state.pool,
        PAGE_SIZE,
        cursor,
        **list_scope(user),
        overdue=None if late is None else late is Overdue.YES,
        **filters,
    )
    context = {
        "page": page,
        "filters": {
            "state": _options(CaseState, filters["state"]),
            "kind": _options(CaseKind, filters["kind"]),
            "rank": _options(Rank, filters["rank"]),
            "overdue": [
                {"value": "", "text": "Any"},
                {"value": "yes", "text": "Overdue", "selected": late is Overdue.YES},
                {"value": "no", "text": "Not overdue", "selected": late is Overdue.NO},
            ],
        },
        "filtered": any(filters.values()) or late is not None,
        "may_open": user.role in TABLE[Operation.CASES_CREATE_VOLUNTARY].roles,
    }
    return render(request, "cases.html", context, user=user)


# -- one case -------------------------------------------------------------------------------


def approval_block(user: Principal, view: CaseView) -> str | None:
    """Why this approver may not decide on the case now, in words (the one rule's reason:
    the tier due, four eyes); None when they may, or are no approver, or nothing waits for
    approval."""
    if user.role is not Role.APPROVER or view.state is not CaseState.APPROVAL:
        return None
    decided = [d for d in view.approvals if d.user_id == user.user_id]
    if decided:
        # The rule names the tier now due first; the person who decided already wants this.
        return (
            f"You cannot decide on this case again: you decided it for the "
            f"{words(decided[0].tier)} tier, and four eyes need another person for each tier."
        )
    refused = refusal(view, Action.APPROVE, user)
    if refused is None:
        return None
    return f"You cannot approve or reject this case now: {refused[1]}."


def error_list(
    refusal: str | None, submitted: tuple[Action, Submitted] | None
) -> list[dict[str, str]]:
    """A case page's error summary: the refusal (linked to the actions), then each field the
    action's form got wrong (linked to the field, whose id is the action's and the field's)."""
    errors = [{"text": refusal, "href": "#actions"}] if refusal else []
    if submitted is not None:
        action, sent = submitted
        for name, message in sent.errors.items():
            errors.append({"text": message, "href": f"#{action.value}-{name.replace('_', '-')}"})
    return errors


async def staff_case_page(
    request: Request,
    user: Principal,
    view: CaseView,
    *,
    status_code: int = 200,
    refusal: str | None = None,
    submitted: tuple[Action, Submitted] | None = None,
    paper: PaperForm | None = None,
) -> HTMLResponse:
    """The case page (for all but the officer, web/routes/officer.py), with the form that came
    back with errors, if one did: an action's (``submitted``) or the paper trail's (``paper``)."""
    pool = request.app.state.pool
    allowed = actions_open_to(view, user)
    trail = await paper_trail_context(pool, user, view, paper)
    timeline: list[Any] = []
    events: list[AuditEvent] = []
    if user.role in TABLE[Operation.CASES_AUDIT].roles:
        events = await case_queries.case_audit(pool, view.case_id, limit=500)
        timeline = with_notes(events, trail["notes"])
    errors = error_list(refusal, submitted) + (paper.error_list() if paper else [])
    subject = await officers.get_officer(pool, view.officer_id)
    context = {
        **trail,
        "names": await names_on_page(pool, view, trail, events),
        "officer_name": subject.name if subject else None,
        "case": view,
        "actions": [(a, form_fields(a, view)) for a in allowed],
        "submitted": submitted,
        "error_list": errors,
        "timeline": timeline,
        "approval_block": approval_block(user, view),
        "tier_due": tier_due(view),
        "done": done_message(request, view),
    }
    return render(request, "case.html", context, status_code=status_code, user=user)


# What was just done, by the ``done`` a page's redirect names, besides the case actions.
DONE = {
    "opened": "The case is open",
    "applied": "Your application has been sent",
    "note": "Your note is added",
    "evidence": "The file is attached",
    "nominated": "Your representative is nominated",
    "nomination-withdrawn": "Your representative's nomination is withdrawn",
}


def done_message(request: Request, view: CaseView | None = None) -> str | None:
    """What was just done (after its redirect), for the success banner; with ``view``, also
    where the case stands now, since an action's outcome is the state it led to."""
    done = request.query_params.get("done", "")
    if done in DONE:
        return DONE[done]
    try:
        message = f"Done: {ACTION_NAMES[Action(done)]}"
    except ValueError:
        return None
    return f"{message}. The case is now at “{words(view.state)}”." if view else message


@router.get("/cases/{case_id}")
async def case_page(
    request: Request,
    case_id: CaseId,
    user: Annotated[Principal, ALLOW_PAGE[Operation.CASES_READ]],
) -> Response:
    view = await read_case(request.app.state.pool, user, case_id, "GET /cases/{case_id}")
    if user.role is Role.OFFICER:
        # Officers read their case in plain words on a page of their own (web/routes/officer.py).
        return RedirectResponse(f"/your-case/{case_id}", status_code=303)
    return await staff_case_page(request, user, view)


@router.get("/cases/{case_id}/letters/{document_id}")
async def letter(
    request: Request,
    case_id: CaseId,
    document_id: Annotated[str, Path(min_length=1, max_length=80)],
    user: Annotated[Principal, ALLOW_PAGE[Operation.DOCUMENTS_READ]],
) -> Response:
    """A letter of the case, as the API gives it (the same rules and the same access log)."""
    return await letter_download(request.app.state.pool, user, case_id, document_id)


@router.get("/cases/{case_id}/evidence/{evidence_id}")
async def evidence_file(
    request: Request,
    case_id: CaseId,
    evidence_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    user: Annotated[Principal, ALLOW_PAGE[Operation.EVIDENCE_READ]],
) -> Response:
    """An evidence file of the case, as the API gives it (the same rules, the same access log)."""
    view = await read_case(request.app.state.pool, user, case_id, None)
    return await evidence_download(request.app.state.pool, user, view, evidence_id)


def uploaded(form: FormData, name: str = "evidence") -> UploadFile | None:
    """The file sent in the form's field ``name``; None when none was chosen."""
    upload = form.get(name)
    return upload if isinstance(upload, UploadFile) and upload.filename else None


async def attach_upload(
    request: Request, user: Principal, view: CaseView, attached_to: AttachedTo, upload: UploadFile
) -> Evidence:
    """Attach a file sent from a page as the API attaches one (its refusals are ProblemErrors).
    One byte past the limit is read, so an oversized file is refused for its size."""
    state = request.app.state
    content = await upload.read(state.settings.evidence_max_bytes + 1)
    name = display_name(upload.filename or "")
    return await attach_file(state.pool, state.settings, user, view, attached_to, name, content)


def _version(form: FormData) -> int | None:
    value = form.get("version")
    return int(value) if isinstance(value, str) and value.isdigit() else None


@dataclass(frozen=True)
class Refused:
    """An action the service refused: the page comes back saying why, the form as typed."""

    status: int
    refusal: str | None
    sent: Submitted
    kind: str


async def attempt(
    request: Request, user: Principal, view: CaseView, action: Action, form: FormData
) -> Refused | None:
    """Run ``action`` on the case with the form's values; None when it was done.

    Every page that acts on a case comes here, so each refuses and explains the same way.
    """
    state = request.app.state
    sent = read_form(action, view, form)
    try:
        # An approver told why in words first (four eyes, the tier due); then the table's rule.
        if action in {Action.APPROVE, Action.REJECT} and (block := approval_block(user, view)):
            raise ProblemError(403, block, kind="four-eyes")
        check_action(user, action, view)
        if sent.body is not None and (
            problem := await leaving_date_error(state.pool, view, action, sent.body)
        ):
            sent.errors["leaving_date"] = problem
        if sent.errors:
            raise ProblemError(400, "check the form")
        assert sent.body is not None
        attached_to = ANSWERED_WITH_FILES.get(action)
        upload = uploaded(form)
        if attached_to and upload and action in actions_open_to(view, user):
            # The file first: the answer names it, and the workflow checks it is on the case.
            # Only for an answer the case takes now, so a refused one leaves no file behind.
            try:
                stored = await attach_upload(request, user, view, attached_to, upload)
            except ProblemError as bad:
                if bad.status in {404, 503}:
                    raise
                sent.errors["evidence"] = sentence(bad.detail)
                return Refused(bad.status, None, sent, bad.kind)
            sent.body["evidence"] = [stored.sha256]
        await perform_action(
            action, sent.body, _version(form), user, view, state.pool, state.temporal
        )
    except ProblemError as refused:
        if refused.status in {404, 503}:
            raise
        refusal = None
        if refused.status == 412:
            refusal = (
                "The case has changed since you opened it, so nothing was done. Check it as "
                "it stands now and decide again."
            )
        elif refused.kind == "invalid-state":
            # The API's words name states and every role's actions by their identifiers.
            refusal = (
                f"The case has moved on: it is now at “{words(view.state)}”, where "
                f"“{words(action)}” cannot be done. Nothing was changed; what you can do now "
                "is below."
            )
        elif refused.errors:
            for error in refused.errors:
                name = error.field.removeprefix("body.")
                if name in sent.values:
                    sent.errors.setdefault(name, error.message)
        elif refused.status != 400:
            refusal = sentence(refused.detail)
        return Refused(refused.status, refusal, sent, refused.kind)
    return None


def action_of(action_name: str) -> Action:
    """The action an address names; any other name is an address no page has."""
    try:
        return Action(action_name)
    except ValueError:
        raise case_not_found() from None


@router.post("/cases/{case_id}/actions/{action_name}")
async def case_action(
    request: Request,
    case_id: CaseId,
    action_name: str,
    user: Annotated[Principal, ALLOW_PAGE[Operation.CASES_READ]],
    form: CheckedForm,
) -> Response:
    pool = request.app.state.pool
    view = await read_case(pool, user, case_id, None)
    action = action_of(action_name)
    refused = await attempt(request, user, view, action, form)
    if refused is not None:
        current = await read_case(pool, user, case_id, None)
        return await staff_case_page(
            request,
            user,
            current,
            status_code=refused.status,
            refusal=refused.refusal,
            submitted=(action, refused.sent),
        )
    return RedirectResponse(f"/cases/{case_id}?done={action.value}", status_code=303)


# -- opening a case -------------------------------------------------------------------------


class NewCase(BaseModel):
    officer_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    leaving_date: date | None = None
    statement: str | None = Field(default=None, max_length=4000)

    @field_validator("leaving_date")
    @classmethod
    def _not_past(cls, day: date | None) -> date | None:
        # Eligibility would refuse the case at once, after it was opened and lettered.
        if day is not None and day < local_date(datetime.now(UTC)):
            raise ValueError("a leaving date in the past")
        return day


_NEW_CASE_ERRORS = {
    "officer_id": "Enter the officer's id as it is on the roster, such as OF1001",
    "leaving_date": "Enter the leaving date as a real date, today or later",
    "statement": "The statement must be 4,000 characters or fewer",
}


# Why no case can be opened for the officer named, on the staff's forms (here and /propose).
OPEN_CASE_EXISTS = "This officer already has an open case"
HAS_LEFT = "This officer's exit was completed: they cannot have a new case"


async def not_on_roster(pool: asyncpg.Pool, officer_id: str) -> str:
    """The error for an officer id the roster does not hold, naming the one meant if the only
    difference is upper and lower case."""
    meant = await officers.same_id_but_case(pool, officer_id)
    suggestion = f": did you mean {meant}?" if meant else ""
    return f"There is no officer with this id on the roster{suggestion}"


def _new_case_page(
    request: Request,
    user: Principal,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    existing: str | None = None,
) -> HTMLResponse:
    return render_form(
        request,
        "new-case.html",
        values,
        errors,
        user=user,
        status_code=status_code,
        existing=existing,
    )


async def start_case(
    request: Request,
    user: Principal,
    officer_id: str,
    kind: CaseKind,
    application: Application,
    proposal: Proposal | None = None,
) -> CaseView:
    """Open a case from a page, for ``user``: the authorisation table's rules first."""
    require_create(user, kind, officer_id)
    state = request.app.state
    return await open_case(
        state.pool,
        state.temporal,
        state.settings,
        officer_id=officer_id,
        kind=kind,
        application=application,
        actor=user.actor(on_behalf_of(user, create_operation(kind), officer_id)),
        proposal=proposal,
    )


_OPENS = Operation.CASES_CREATE_VOLUNTARY


@router.get("/cases/new/voluntary-exit")
async def new_case(request: Request, user: Annotated[Principal, ALLOW_PAGE[_OPENS]]) -> Response:
    _staff(user)
    return _new_case_page(request, user, {}, {})


@router.post("/cases/new/voluntary-exit")
async def open_new_case(
    request: Request, user: Annotated[Principal, ALLOW_PAGE[_OPENS]], form: CheckedForm
) -> Response:
    _staff(user)
    values = form_values(form, ("officer_id", "leaving_date", "statement"))
    try:
        body = NewCase.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as error:
        names = dict.fromkeys(str(e["loc"][0]) for e in error.errors() if e["loc"])
        errors = {name: _NEW_CASE_ERRORS[name] for name in names if name in _NEW_CASE_ERRORS}
        return _new_case_page(request, user, values, errors, 400)
    try:
        view = await start_case(
            request,
            user,
            body.officer_id,
            CaseKind.VOLUNTARY_EXIT,
            Application(leaving_date=body.leaving_date, statement=body.statement),
        )
    except UnknownOfficer:
        errors = {"officer_id": await not_on_roster(request.app.state.pool, body.officer_id)}
        return _new_case_page(request, user, values, errors, 422)
    except OpenCaseExists as error:
        errors = {"officer_id": OPEN_CASE_EXISTS}
        return _new_case_page(request, user, values, errors, 409, existing=error.case_id)
    except OfficerHasLeft as error:
        errors = {"officer_id": HAS_LEFT}
        return _new_case_page(request, user, values, errors, 409, existing=error.case_id)
    except KindNotAvailable as refused:
        errors = {"officer_id": sentence(str(refused))}
        return _new_case_page(request, user, values, errors, 409)
    return RedirectResponse(f"/cases/{view.case_id}?done=opened", status_code=303)
