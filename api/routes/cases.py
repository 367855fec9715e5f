"""Cases: open one (idempotently), read one, list them, and act on them.

Each action is its own route (``/v1/cases/{case_id}/actions/review`` ...) so that OpenAPI shows
its body exactly; all of them run :func:`_act`, which maps the action onto the workflow Update
of the same name and the workflow's refusals onto problem documents.

No ``from __future__ import annotations`` here: the action routes are built in a loop, and
FastAPI must see their body models as objects, not as names to resolve.
"""

import asyncio
import hashlib
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    create_model,
    model_validator,
)
from temporalio.service import RPCError

from api.access import ALLOW, ALLOW_ACTION, VisibleCase, any_case_creator, case_not_found
from api.auth import Principal
from api.authz import (
    Operation,
    create_operation,
    list_scope,
    on_behalf_of,
    require_create,
)
from api.bodies import RequestBody
from api.deps import AppSettings, Pool, Temporal
from api.idempotency import IdempotencyKey, run_once
from api.pagination import Limit, Page, cursor_param, decode_cursor, page_of
from api.preconditions import ETAG_HEADER, IfMatch, etag, expected_version
from api.problems import FieldError, ProblemError, problem_responses, validation_errors
from domain.actions import actions_open_to
from domain.bounds import NEW_INPUT
from domain.case import Application, CaseView, case_id_from
from domain.commands import COMMANDS, Refusal, ReviewDecision
from domain.efficiency import Proposal
from domain.lifecycle import DECISIONS_ON_FIGURES, Action, CaseKind, CaseState
from domain.officer import Rank
from service.cases import (
    CaseNotFound,
    CommandRefused,
    LeaversCapReached,
    OfficerHasLeft,
    OpenCaseExists,
    UnknownOfficer,
    act,
    open_case,
)
from service.kinds import KindNotAvailable, OutsideApplicationWindow
from store import case_queries, paper_trail
from store.case_queries import CaseCursor, CaseSummary

router = APIRouter(prefix="/v1/cases", tags=["cases"])

Cursor = Annotated[str | None, cursor_param(CaseCursor)]

_CREATE_SCOPE = "POST /v1/cases"
# The problem kind of an acceptance or a date change into a month whose cap is reached.
LEAVERS_CAP_REACHED = "leavers-cap-reached"

# How long an action may wait for the workflow before the caller is told to check and retry.
ACTION_TIMEOUT_SECONDS = 30.0


class CaseResource(CaseView):
    """The case as the caller may see it, and what the caller may do to it now."""

    allowed_actions: list[Action] = Field(
        description="Actions this caller may take now: the state's, narrowed by role, own case, "
        "the tier due and four eyes (the rule the workflow refuses by)."
    )


def to_resource(view: CaseView, user: Principal) -> CaseResource:
    # The view's fields as they are (its nested models pass as instances), not dumped to dicts
    # and validated again: 11 µs a case instead of 27.
    return CaseResource.model_validate(
        {**dict(view), "allowed_actions": actions_open_to(view, user)}
    )


# -- opening a case ------------------------------------------------------------------------


class CreateCase(RequestBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "officer_id": "OF1001",
                    "kind": "voluntary_exit",
                    "leaving_date": "2026-06-30",
                    "statement": "I would like to leave at the end of June.",
                }
            ],
            # _proposal_for_efficiency_only, as JSON Schema says it.
            "if": {
                "properties": {"kind": {"const": CaseKind.EFFICIENCY_RETIREMENT.value}},
                "required": ["kind"],
            },
            "then": {"required": ["proposal"], "properties": {"proposal": {"type": "object"}}},
            "else": {"properties": {"proposal": {"type": "null"}}},
        },
    )

    officer_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    kind: CaseKind = CaseKind.VOLUNTARY_EXIT
    leaving_date: date | None = None
    statement: str | None = Field(default=None, max_length=4000)
    proposal: Proposal | None = Field(
        default=None,
        description="Efficiency retirement only (and required there): the assessments of "
        "critical skills and of performance, and the equality impact assessment reference.",
    )

    @model_validator(mode="after")
    def _proposal_for_efficiency_only(self) -> "CreateCase":
        if (self.kind is CaseKind.EFFICIENCY_RETIREMENT) != (self.proposal is not None):
            raise ValueError(
                "a proposal is required for efficiency_retirement cases, and only there"
            )
        return self


def case_id_for_key(user_id: str, key: str) -> str:
    """The case id a user's idempotency key opens: every retry names the same workflow."""
    digest = int.from_bytes(hashlib.sha256(f"{user_id}\x00{key}".encode()).digest()[:8])
    return case_id_from(digest)


_CREATE_EXAMPLE: dict[str, Any] = {
    "case_id": "EX-4K7M2Q9TXA",
    "kind": "voluntary_exit",
    "state": "submitted",
    "policy_version": "2026-1",
    "officer_id": "OF1001",
    "rank": "superintendent",
    "allowed_actions": [],
}


@router.post(
    "",
    status_code=201,
    response_model=CaseResource,
    summary="Open a case",
    description="Opens a case and starts its workflow. Officers may open only their own; "
    "an officer with an open case already gets 409. With `Idempotency-Key`, retries and "
    "concurrent duplicates get the first answer and open nothing more.",
    responses={
        201: {
            "content": {"application/json": {"example": _CREATE_EXAMPLE}},
            "headers": ETAG_HEADER,
        },
        **problem_responses(
            401,
            403,
            409,
            422,
            503,
            s409="the officer already has an open case (EX-4K7M2Q9TXA)",
            s422="invalid input in: body.officer_id",
            s503="the workflow engine's namespace lacks the search attribute CaseKind, so "
            "nothing was changed; an operator must run `exitcases temporal setup`, then the "
            "request can be sent again",
        ),
    },
)
async def create_case(
    user: Annotated[Principal, Depends(any_case_creator)],
    body: CreateCase,
    pool: Pool,
    client: Temporal,
    settings: AppSettings,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    require_create(user, body.kind, body.officer_id)
    # A key names the case too, so a retry that overtakes the first request finds its case.
    case_id = (
        case_id_for_key(user.user_id, idempotency_key) if idempotency_key is not None else None
    )

    async def write() -> tuple[int, Any]:
        try:
            view = await open_case(
                pool,
                client,
                settings,
                officer_id=body.officer_id,
                kind=body.kind,
                application=Application(leaving_date=body.leaving_date, statement=body.statement),
                actor=user.actor(on_behalf_of(user, create_operation(body.kind), body.officer_id)),
                case_id=case_id,
                proposal=body.proposal,
            )
        except UnknownOfficer:
            raise ProblemError(
                422,
                "there is no officer with this id on the roster",
                kind="unknown-officer",
                errors=[FieldError(field="body.officer_id", message="not on the roster")],
            ) from None
        except OpenCaseExists as error:
            raise ProblemError(
                409,
                f"the officer already has an open case ({error.case_id}); "
                "close or withdraw it before opening another",
                kind="open-case-exists",
                case_id=error.case_id,
            ) from None
        except OfficerHasLeft as error:
            raise ProblemError(
                409,
                f"the officer's exit was completed in case {error.case_id}: they have left the "
                "force and cannot have another case",
                kind="officer-has-left",
                case_id=error.case_id,
            ) from None
        except OutsideApplicationWindow as refused:
            raise ProblemError(409, str(refused), kind="outside-application-window") from None
        except KindNotAvailable as refused:
            raise ProblemError(409, str(refused), kind="kind-not-available") from None
        return 201, to_resource(view, user).model_dump(mode="json")

    status, content = await run_once(
        pool, user, _CREATE_SCOPE, idempotency_key, body.model_dump(), write
    )
    return _created(status, content)


def _created(status: int, content: dict[str, Any]) -> JSONResponse:
    return JSONResponse(
        content,
        status_code=status,
        headers={
            "Location": f"/v1/cases/{content['case_id']}",
            "ETag": etag(content["version"]),
        },
    )


# -- reading ------------------------------------------------------------------------------


@router.get(
    "/needs-attention",
    response_model=Page[CaseSummary],
    summary="Cases that need attention",
    description="Open cases that stopped for a person to look at them (`needs_attention` "
    "gives the reason), newest first. Such a case can only be withdrawn (voluntary exit) or "
    "halted (efficiency retirement). For HR managers and admins.",
    responses=problem_responses(401, 403, 422),
)
async def list_needing_attention(
    user: Annotated[Principal, ALLOW[Operation.CASES_NEEDING_ATTENTION]],
    pool: Pool,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CaseSummary]:
    return await cases_page(pool, limit, cursor, needs_attention=True)


@router.get(
    "/{case_id}",
    response_model=CaseResource,
    summary="Read a case",
    description="The case as it stands, with the actions the caller may take now. Officers "
    "see only their own case; any other is a 404. The `ETag` is the case's version: send it "
    "back as `If-Match` on an action to act on the case as you read it.",
    responses={200: {"headers": ETAG_HEADER}, **problem_responses(401, 403, 404, 422)},
)
async def get_case(
    user: Annotated[Principal, ALLOW[Operation.CASES_READ]], view: VisibleCase, response: Response
) -> CaseResource:
    response.headers["ETag"] = etag(view.version)
    return to_resource(view, user)


@router.get(
    "",
    response_model=Page[CaseSummary],
    summary="List cases",
    description="Newest first, a page at a time (keyset: pages stay consistent while cases "
    "move). Officers get only their own; representatives only those they are nominated for.",
    responses=problem_responses(401, 403, 422),
)
async def list_cases(
    user: Annotated[Principal, ALLOW[Operation.CASES_LIST]],
    pool: Pool,
    state: Annotated[CaseState | None, Query(description="Only cases in this state.")] = None,
    kind: Annotated[CaseKind | None, Query(description="Only cases of this kind.")] = None,
    rank: Annotated[Rank | None, Query(description="Only officers of this rank.")] = None,
    overdue: Annotated[
        bool | None, Query(description="true: work past its deadline; false: none overdue.")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CaseSummary]:
    return await cases_page(
        pool,
        limit,
        cursor,
        **list_scope(user),
        state=state,
        kind=kind,
        rank=rank,
        overdue=overdue,
    )


async def cases_page(
    pool: asyncpg.Pool, limit: int, cursor: str | None, **filters: Any
) -> Page[CaseSummary]:
    """A page of cases after ``cursor``, newest first, filtered: the list routes' and the case
    list page's."""
    after = decode_cursor(cursor, CaseCursor)
    items = await case_queries.list_cases(pool, limit=limit + 1, after=after, **filters)
    return page_of(
        items, limit, lambda last: CaseCursor(created_at=last.created_at, case_id=last.case_id)
    )


# -- actions ------------------------------------------------------------------------------


# Pounds as a decimal string of ASCII digits only (Python's Decimal takes any script's digits),
# more than 0 and at most MAX_AMOUNT: the command checks the range with a clear message, and
# this pattern says the same to OpenAPI readers (tests hold the two together).
_MONEY = re.compile(r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$")
_ADJUSTABLE_PATTERN = r"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,5}(\.[0-9]{1,2})?|1000000(\.00?)?)$"


def _money(value: Any) -> Any:
    # Money travels as a decimal string; a JSON number could already have lost pennies.
    if not isinstance(value, str) or not _MONEY.match(value):
        raise ValueError('give the amount as a decimal string of pounds, such as "41538.46"')
    return Decimal(value)


MoneyIn = Annotated[
    Decimal,
    BeforeValidator(_money),
    WithJsonSchema({"type": "string", "pattern": _ADJUSTABLE_PATTERN, "examples": ["41538.46"]}),
]

_FIELD_OVERRIDES: dict[str, Any] = {"amount": MoneyIn}

_EXAMPLES: dict[Action, dict[str, Any]] = {
    Action.REVIEW: {"decision": "proceed", "reason": "eligible; figures checked"},
    Action.PROVIDE_INFO: {"note": "My service record is attached."},
    Action.ADJUST_COMPENSATION: {"amount": "41538.46", "reason": "service break corrected"},
    Action.APPROVE: {"reason": "within budget"},
    Action.REJECT: {"reason": "exceeds the approved budget"},
    Action.ACCEPT_OFFER: {"leaving_date": "2026-06-30"},
    Action.DECLINE_OFFER: {"reason": "staying on"},
    Action.WITHDRAW: {"reason": "personal circumstances changed"},
    Action.CHANGE_LEAVING_DATE: {"leaving_date": "2026-07-31", "reason": "agreed with officer"},
    Action.COMPLETE_CHECKLIST_ITEM: {"item": "equipment_return"},
    Action.SUSPEND: {"reason": "misconduct proceedings opened"},
    Action.RESUME: {"reason": "proceedings closed"},
    Action.REASSIGN: {"assignee_user_id": "u_4f2a", "reason": "workload"},
    Action.DECIDE: {"decision": "serve_notice", "reason": "assessments support retirement"},
    Action.MAKE_REPRESENTATIONS: {"representations": "My skills in firearms command are rare."},
    Action.PANEL_DECISION: {
        "decision": "defer",
        "reason": "critical skills needed for the summer operation",
        "review_date": "2027-03-01",
    },
    Action.APPLY_VOLUNTARY: {"leaving_date": "2027-01-31", "statement": "I prefer to volunteer."},
    Action.HALT: {"reason": "the regulation was revoked"},
}

# Rules of the workflow's validators that JSON Schema can state.
_RULES: dict[Action, dict[str, Any]] = {
    Action.REVIEW: {
        "if": {
            "properties": {
                "decision": {
                    "enum": [ReviewDecision.REJECT.value, ReviewDecision.REQUEST_INFO.value]
                }
            },
            "required": ["decision"],
        },
        "then": {"required": ["reason"], "properties": {"reason": {"type": "string"}}},
    },
}

_SUMMARIES: dict[Action, str] = {
    Action.REVIEW: "HR review: proceed, reject or ask for information (caseworker)",
    Action.PROVIDE_INFO: "Answer HR's request for information (officer, or caseworker for them)",
    Action.ADJUST_COMPENSATION: "Adjust the compensation, with a reason (caseworker)",
    Action.APPROVE: "Approve for the tier now due (approver of that tier)",
    Action.REJECT: "Reject for the tier now due (approver of that tier)",
    Action.ACCEPT_OFFER: "Accept the offer, optionally on another leaving date (officer)",
    Action.DECLINE_OFFER: "Decline the offer (officer)",
    Action.WITHDRAW: "Withdraw the application (officer, or caseworker for them)",
    Action.CHANGE_LEAVING_DATE: "Change the agreed leaving date (caseworker)",
    Action.COMPLETE_CHECKLIST_ITEM: "Record an exit checklist step (caseworker)",
    Action.SUSPEND: "Suspend the case: misconduct proceedings (HR manager)",
    Action.RESUME: "Resume a suspended case (HR manager)",
    Action.DECIDE: "Efficiency retirement: serve notice or withdraw (executive approver)",
    Action.MAKE_REPRESENTATIONS: "Make representations against retirement (officer, or for them)",
    Action.PANEL_DECISION: "Panel: confirm, defer to a review date, or withdraw (executive)",
    Action.APPLY_VOLUNTARY: "Apply for voluntary exit instead, before the panel confirms (officer)",
    Action.HALT: "Halt an efficiency retirement case, e.g. when its regulation ends (admin)",
    Action.REASSIGN: "Reassign the case's open staff work to a named user (HR manager)",
}


def body_model(action: Action) -> type[BaseModel]:
    """The request body of an action: its command without the actor (the API sets that) and
    without the version (it travels in If-Match, the one place HTTP gives it)."""
    command = COMMANDS[action]
    fields: dict[str, Any] = {}
    for name, info in command.model_fields.items():
        if name in {"actor", "version"}:
            continue
        annotation = _FIELD_OVERRIDES.get(name, info.annotation)
        if name in _FIELD_OVERRIDES:
            fields[name] = (annotation, Field(description=info.description))
        else:
            fields[name] = (annotation, info)
    name = "".join(part.capitalize() for part in action.value.split("-")) + "Body"
    model = create_model(name, __base__=RequestBody, **fields)
    model.model_config["json_schema_extra"] = {
        "examples": [_EXAMPLES[action]],
        **_RULES.get(action, {}),
    }
    model.model_rebuild(force=True)
    return model


_REFUSAL_STATUS = {
    Refusal.INVALID_STATE: 409,
    Refusal.FORBIDDEN: 403,
    Refusal.INVALID_INPUT: 422,
    Refusal.STALE: 412,
    Refusal.SUPERSEDED: 409,
}
_REFUSAL_KIND = {
    Refusal.INVALID_STATE: "invalid-state",
    Refusal.FORBIDDEN: "forbidden",
    Refusal.INVALID_INPUT: "invalid-input",
    Refusal.STALE: "case-changed",
    Refusal.SUPERSEDED: "letter-superseded",
}
_REFUSAL_TITLE = {
    Refusal.INVALID_STATE: "Not allowed in this state",
    Refusal.FORBIDDEN: "Not allowed",
    Refusal.INVALID_INPUT: "Invalid input",
    Refusal.STALE: "The case has changed",
    Refusal.SUPERSEDED: "The letter has been superseded",
}


async def perform_action(
    action: Action,
    fields: dict[str, Any],
    version: int | None,
    user: Principal,
    view: CaseView,
    pool: Any,
    client: Any,
) -> CaseView:
    """Run ``action`` with the body's ``fields`` on the case at ``version``, for ``user``.

    Refusals become problems: 422 with the fields at fault (named ``body.<field>``), 409 for
    the case's state, 403 for four eyes, 412 for a case that has changed, 503 when the
    workflow does not answer. The web pages call this too, so both say the same.
    """
    try:
        command = COMMANDS[action].model_validate(
            {
                **fields,
                "version": version,
                "actor": user.actor(on_behalf_of(user, action, view.officer_id)),
            },
            context=NEW_INPUT,
        )
    except ValidationError as error:
        errors = validation_errors({**e, "loc": ("body", *e["loc"])} for e in error.errors())
        names = ", ".join(dict.fromkeys(e.field for e in errors))
        raise ProblemError(422, f"invalid input in: {names}", errors=errors) from None
    # An answer or representation may name evidence: only files already on this case.
    hashes: list[str] = getattr(command, "evidence", [])
    if hashes and (missing := await paper_trail.unattached(pool, view.case_id, hashes)):
        raise ProblemError(
            422,
            f"invalid input in: body.evidence ({len(missing)} of the files named is not "
            "attached to this case; attach it first with POST /v1/cases/{case_id}/evidence)",
            errors=[FieldError(field="body.evidence", message="not attached to this case")],
        )
    try:
        async with asyncio.timeout(ACTION_TIMEOUT_SECONDS):
            return await act(client, pool, view.case_id, action, command)
    except CommandRefused as refused:
        current = refused.current_version
        extensions: dict[str, Any] = {"current_version": current} if current is not None else {}
        raise ProblemError(
            _REFUSAL_STATUS[refused.refusal],
            refused.detail,
            kind=_REFUSAL_KIND[refused.refusal],
            title=_REFUSAL_TITLE[refused.refusal],
            headers={"ETag": etag(current)} if current is not None else None,
            **extensions,
        ) from None
    except LeaversCapReached as refused:
        raise ProblemError(409, str(refused), kind=LEAVERS_CAP_REACHED) from None
    except CaseNotFound:
        raise case_not_found() from None
    except (TimeoutError, RPCError):
        raise ProblemError(
            503,
            "the case service did not confirm the action in time; read the case before "
            "trying again",
            headers={"Retry-After": "5"},
        ) from None


async def _act(
    action: Action,
    body: BaseModel | None,
    if_match: str | None,
    user: Principal,
    view: CaseView,
    pool: Any,
    client: Any,
    response: Response,
) -> CaseResource:
    fields = body.model_dump(exclude_unset=False) if body is not None else {}
    version = expected_version(action, if_match)
    updated = await perform_action(action, fields, version, user, view, pool, client)
    response.headers["ETag"] = etag(updated.version)
    return to_resource(updated, user)


def _action_route(action: Action) -> None:
    model = body_model(action)
    optional = all(not info.is_required() for info in model.model_fields.values())
    allow = ALLOW_ACTION[action]

    if optional:

        async def endpoint(
            user: Annotated[Principal, allow],
            view: VisibleCase,
            pool: Pool,
            client: Temporal,
            response: Response,
            if_match: IfMatch = None,
            # FastAPI reads the body's model, picked per action at run time, from here; mypy
            # takes an annotation for a static type.
            body: Annotated[model | None, Body()] = None,  # type: ignore[valid-type]
        ) -> CaseResource:
            return await _act(action, body, if_match, user, view, pool, client, response)

    else:
        # The variants differ in whether the body is required, which mypy does not allow
        # conditional definitions of one function to do.
        async def endpoint(  # type: ignore[misc]
            user: Annotated[Principal, allow],
            view: VisibleCase,
            pool: Pool,
            client: Temporal,
            response: Response,
            body: Annotated[model, Body()],  # type: ignore[valid-type]  # as above
            if_match: IfMatch = None,
        ) -> CaseResource:
            return await _act(action, body, if_match, user, view, pool, client, response)

    router.add_api_route(
        f"/{{case_id}}/actions/{action.value}",
        endpoint,
        methods=["POST"],
        response_model=CaseResource,
        name=f"action_{action.name.lower()}",
        operation_id=f"case_action_{action.name.lower()}",
        summary=_SUMMARIES[action],
        description="Runs the action as the workflow's Update of the same name and returns "
        "the case as it stands right after it, with its new `ETag`. 409: not allowed in the "
        "case's state (the detail names the state and the actions allowed now); 403: the "
        "caller's role or tier, or four eyes; 422: the body breaks a rule; 412: the case has "
        "changed since the version sent in `If-Match`"
        + (
            "; 428: no version was sent, and this decision on the case's figures needs one."
            if action in DECISIONS_ON_FIGURES
            else "."
        ),
        responses={
            200: {"headers": ETAG_HEADER},
            **problem_responses(
                401,
                403,
                404,
                409,
                412,
                422,
                *((428,) if action in DECISIONS_ON_FIGURES else ()),
                503,
                s403="four eyes: you reviewed this case",
            ),
        },
        tags=["case actions"],
    )


for _action in Action:
    _action_route(_action)
