"""HR managers' pages: the escalations, and proposing an efficiency retirement.

Suspending, resuming and reassigning are case actions: the case page offers them to whoever
``actions_open_to`` allows. Proposing needs the assessments the regulation in force requires;
the page asks for exactly those (others are optional) and checks them before the case opens,
as the workflow would otherwise record the case as ineligible for want of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from api.auth import Principal
from api.authz import Operation
from api.routes.tasks import tasks_page
from domain.case import Application
from domain.clock import local_date
from domain.efficiency import Proposal
from domain.lifecycle import CaseKind
from domain.regulation import Assessment, RegulationRecord
from service.cases import OfficerHasLeft, OpenCaseExists, UnknownOfficer
from service.kinds import KindNotAvailable
from store import case_queries
from store.regulations import regulation_in_force
from web.routes.cases import HAS_LEFT, OPEN_CASE_EXISTS, NewCase, not_on_roster, start_case
from web.routes.tasks import Cursor
from web.session import ALLOW_PAGE, CheckedForm, form_values
from web.templating import render, render_form

router = APIRouter()

PAGE_SIZE = 50


@router.get("/escalations")
async def escalations(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.CASES_NEEDING_ATTENTION]],
    cursor: Cursor = None,
) -> HTMLResponse:
    """Work past its deadline that came to HR, and cases stopped for a person to look at."""
    pool = request.app.state.pool
    page = await tasks_page(pool, user, PAGE_SIZE, cursor, escalated_only=True)
    attention = await case_queries.list_cases(pool, limit=PAGE_SIZE, needs_attention=True)
    context = {"page": page, "attention": attention}
    return render(request, "hr/escalations.html", context, user=user)


# -- proposing an efficiency retirement --------------------------------------------------------

_PROPOSES = Operation.CASES_CREATE_EFFICIENCY
Proposer = Annotated[Principal, ALLOW_PAGE[_PROPOSES]]


class ProposalField(BaseModel):
    name: str
    label: str
    hint: str
    assessment: Assessment
    prose: bool


# The proposal's fields (domain/efficiency.py), each the record of one assessment.
PROPOSAL_FIELDS = (
    ProposalField(
        name="critical_skills",
        label="Assessment of critical skills or knowledge",
        hint="Whether the force would lose skills or knowledge it needs if the officer retired.",
        assessment=Assessment.CRITICAL_SKILLS,
        prose=True,
    ),
    ProposalField(
        name="performance",
        label="Assessment of performance in rank",
        hint="How the officer performs in their rank, as assessed.",
        assessment=Assessment.PERFORMANCE,
        prose=True,
    ),
    ProposalField(
        name="equality_impact_reference",
        label="Equality impact assessment reference",
        hint="For example, EIA-2026-014",
        assessment=Assessment.EQUALITY_IMPACT,
        prose=False,
    ),
)
_NAMES = ("officer_id", *(f.name for f in PROPOSAL_FIELDS))


def _propose_page(
    request: Request,
    user: Principal,
    regulation: RegulationRecord | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    existing: str | None = None,
) -> HTMLResponse:
    required = regulation.parameters.required_assessments if regulation else frozenset()
    return render_form(
        request,
        "hr/propose.html",
        values,
        errors,
        user=user,
        status_code=status_code,
        regulation=regulation,
        fields=[(f, f.assessment in required) for f in PROPOSAL_FIELDS],
        existing=existing,
    )


async def _in_force(request: Request) -> RegulationRecord | None:
    today = local_date(datetime.now(UTC))
    return await regulation_in_force(request.app.state.pool, today)


@router.get("/propose")
async def propose(request: Request, user: Proposer) -> HTMLResponse:
    return _propose_page(request, user, await _in_force(request), {}, {})


def _check(values: dict[str, str], regulation: RegulationRecord) -> dict[str, str]:
    """Errors in the form, by field, in the order of the page."""
    errors: dict[str, str] = {}
    try:
        NewCase.model_validate({"officer_id": values["officer_id"]})
    except ValidationError:
        errors["officer_id"] = "Enter the officer's id as it is on the roster, such as OF1001"
    required = regulation.parameters.required_assessments
    for field in PROPOSAL_FIELDS:
        limit = Proposal.model_fields[field.name].metadata[0].max_length
        if field.assessment in required and not values[field.name]:
            errors[field.name] = f"Enter the {field.label.lower()}: the regulation requires it"
        elif len(values[field.name]) > limit:
            errors[field.name] = f"The {field.label.lower()} must be {limit:,} characters or fewer"
    return errors


@router.post("/propose")
async def send_proposal(request: Request, user: Proposer, form: CheckedForm) -> Response:
    values = form_values(form, _NAMES)
    regulation = await _in_force(request)
    if regulation is None:
        return _propose_page(request, user, None, values, {}, 409)
    errors = _check(values, regulation)
    if errors:
        return _propose_page(request, user, regulation, values, errors, 400)
    officer_id = values["officer_id"]
    proposal = Proposal.model_validate({f.name: values[f.name] or None for f in PROPOSAL_FIELDS})
    try:
        view = await start_case(
            request, user, officer_id, CaseKind.EFFICIENCY_RETIREMENT, Application(), proposal
        )
    except UnknownOfficer:
        errors = {"officer_id": await not_on_roster(request.app.state.pool, officer_id)}
        return _propose_page(request, user, regulation, values, errors, 422)
    except OpenCaseExists as error:
        errors = {"officer_id": OPEN_CASE_EXISTS}
        return _propose_page(request, user, regulation, values, errors, 409, error.case_id)
    except OfficerHasLeft as error:
        errors = {"officer_id": HAS_LEFT}
        return _propose_page(request, user, regulation, values, errors, 409, error.case_id)
    except KindNotAvailable:
        # The record ended between reading the page and sending it.
        return _propose_page(request, user, None, values, {}, 409)
    return RedirectResponse(f"/cases/{view.case_id}?done=opened", status_code=303)
