"""The scheme dashboard: the API's scheme report (``GET /v1/reports/scheme``) as a page, for
HR managers and auditors; each view is in the access log, as the API's is. And the scheme's
invitation runs: the list, starting one (HR managers, after a confirmation), and a run's
progress, which refreshes itself while officers are being invited."""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from api.auth import Principal
from api.authz import TABLE, Operation
from api.problems import ProblemError
from api.routes.reports import NoSchemeYet, viewed_report
from api.routes.schemes import RunId, no_scheme
from domain.officer import Rank
from domain.scheme import NAME_PATTERN, SchemeVersion
from service import schemes as service
from store import policies, schemes, users
from web.session import ALLOW_PAGE, CheckedForm
from web.templating import render, render_form

router = APIRouter()


@router.get("/scheme")
async def dashboard(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.REPORTS_SCHEME]],
    name: Annotated[str | None, Query(alias="scheme", max_length=64, pattern=NAME_PATTERN)] = None,
) -> HTMLResponse:
    try:
        report = await viewed_report(request.app.state.pool, user, name, "GET /scheme")
    except NoSchemeYet:
        return render(request, "scheme/none.html", {}, user=user)
    context = {"report": report, "may_invite": _may_invite(user)}
    return render(request, "scheme.html", context, user=user)


# -- inviting the cohort ----------------------------------------------------------------------

SchemeName = Annotated[str, Path(max_length=64, pattern=NAME_PATTERN)]
# A run's progress page refreshes itself this often (seconds) while officers are being invited.
REFRESH_SECONDS = 5
_INVITE = "scheme/invite.html"
_RANKS = "ranks"
# The confirmation form's token naming the run it starts: unguessable, as a key is.
_RUN_FIELD = "run"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_NO_RANK = "Select at least one rank to invite"


def _may_invite(user: Principal) -> bool:
    return user.role in TABLE[Operation.SCHEMES_INVITE].roles


async def _scheme(request: Request, name: str) -> SchemeVersion:
    found = await schemes.get_scheme(request.app.state.pool, name)
    if found is None:
        raise no_scheme()
    return found


async def _eligible(request: Request, scheme: SchemeVersion) -> list[Rank]:
    """The ranks an invitation can ask for: those the scheme's policy makes eligible."""
    policy = await policies.get_policy(request.app.state.pool, scheme.scheme.policy_version)
    assert policy is not None  # a scheme is only stored naming a stored policy
    return [rank for rank in Rank if rank in policy.eligible_ranks]


def _chosen(form: FormData, eligible: list[Rank]) -> list[Rank]:
    """The ranks ticked, in rank order; none if any is not one the form offered."""
    sent = {value for value in form.getlist(_RANKS) if isinstance(value, str)}
    if not sent or not sent <= {rank.value for rank in eligible}:
        return []
    return [rank for rank in eligible if rank.value in sent]


def _invite_form(
    request: Request,
    user: Principal,
    scheme: SchemeVersion,
    eligible: list[Rank],
    chosen: list[Rank],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    errors = {} if status_code == 200 else {_RANKS: _NO_RANK}
    return render_form(
        request,
        _INVITE,
        {},
        errors,
        user=user,
        status_code=status_code,
        scheme=scheme,
        eligible=eligible,
        chosen=chosen,
    )


@router.get("/scheme/{name}/invitations")
async def invitation_runs(
    request: Request,
    name: SchemeName,
    user: Annotated[Principal, ALLOW_PAGE[Operation.REPORTS_SCHEME]],
) -> HTMLResponse:
    scheme = await _scheme(request, name)
    runs = await service.invitation_runs(request.app.state.pool, request.app.state.temporal, name)
    context = {
        "scheme": scheme,
        "runs": runs,
        "may_invite": _may_invite(user),
    }
    return render(request, "scheme/invitations.html", context, user=user)


@router.get("/scheme/{name}/invitations/new")
async def new_invitation_run(
    request: Request,
    name: SchemeName,
    user: Annotated[Principal, ALLOW_PAGE[Operation.SCHEMES_INVITE]],
) -> HTMLResponse:
    scheme = await _scheme(request, name)
    eligible = await _eligible(request, scheme)
    return _invite_form(request, user, scheme, eligible, eligible)


@router.post("/scheme/{name}/invitations/new")
async def confirm_invitation_run(
    request: Request,
    name: SchemeName,
    user: Annotated[Principal, ALLOW_PAGE[Operation.SCHEMES_INVITE]],
    form: CheckedForm,
) -> HTMLResponse:
    """The confirmation: how many officers the ranks ticked hold, and how many of them were
    invited before. Its form carries a token naming the run, so pressing its button twice (or
    sending it again after a lost answer) starts one run."""
    scheme = await _scheme(request, name)
    eligible = await _eligible(request, scheme)
    chosen = _chosen(form, eligible)
    if not chosen:
        return _invite_form(request, user, scheme, eligible, chosen, status_code=400)
    pool = request.app.state.pool
    on_roster = await schemes.roster_count(pool, chosen)
    context = {
        "scheme": scheme,
        "chosen": chosen,
        "on_roster": on_roster,
        "invited_before": await schemes.already_invited(pool, name, chosen),
        "token": secrets.token_urlsafe(16),
    }
    return render(request, "scheme/invite-confirm.html", context, user=user)


@router.post("/scheme/{name}/invitations")
async def start_invitation_run(
    request: Request,
    name: SchemeName,
    user: Annotated[Principal, ALLOW_PAGE[Operation.SCHEMES_INVITE]],
    form: CheckedForm,
) -> Response:
    scheme = await _scheme(request, name)
    eligible = await _eligible(request, scheme)
    chosen = _chosen(form, eligible)
    token = form.get(_RUN_FIELD)
    if not chosen or not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return _invite_form(request, user, scheme, eligible, chosen, status_code=400)
    state = request.app.state
    started = await service.start_invitations(
        state.pool,
        state.temporal,
        state.settings,
        scheme=name,
        ranks=chosen,
        actor=user.actor(),
        run_id=service.run_id_for(user.user_id, token),
    )
    return RedirectResponse(f"/scheme/{name}/invitations/{started.run_id}", status_code=303)


@router.get("/scheme/{name}/invitations/{run_id}")
async def invitation_run(
    request: Request,
    name: SchemeName,
    run_id: RunId,
    user: Annotated[Principal, ALLOW_PAGE[Operation.REPORTS_SCHEME]],
    refresh: Annotated[Literal["off"] | None, Query()] = None,
) -> HTMLResponse:
    try:
        run = await service.invitation_run(
            request.app.state.pool, request.app.state.temporal, name, run_id
        )
    except service.UnknownRun:
        raise ProblemError(404, "there is no such invitation run", kind="no-run") from None
    starter = [run.started_by] if run.started_by else []
    context = {
        "run": run,
        "names": await users.names_of(request.app.state.pool, starter),
        "refresh_seconds": REFRESH_SECONDS if run.state == "running" and refresh is None else None,
        "paused": run.state == "running" and refresh is not None,
    }
    return render(request, "scheme/invitation-run.html", context, user=user)
