"""The authorisation matrix: every endpoint and every action against every role.

The expected table is written out by hand from docs/roles.md, not derived from ``api.authz``, so a
change to the authorisation table that breaks the contract fails here. ``officer`` is the
officer whose case it is; ``other_officer`` is any other officer; ``representative`` is the one
the officer nominated on every case here (tests/api/test_paper_trail.py covers one who is not).
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.clock import local_date
from domain.letters import default_templates
from domain.officer import Rank
from domain.people import Actor, Role, Tier
from domain.policy import load_bundled_policy
from domain.scheme import Scheme
from service.schemes import start_invitations
from store.letters import list_documents, store_invitation_letters
from store.officers import upsert_officers
from store.policies import add_policy
from store.schemes import add_scheme
from tests.helpers.api import STAFF, Stack, User, add_user, if_match
from tests.helpers.files import pdf
from tests.helpers.officers import officer as officer_record

ROLES = [
    "officer",
    "other_officer",
    "caseworker",
    "hr_manager",
    "approver_hr",
    "approver_finance",
    "approver_executive",
    "auditor",
    "admin",
    "representative",
]

STAFF_READ = {
    "caseworker",
    "hr_manager",
    "approver_hr",
    "approver_finance",
    "approver_executive",
    "auditor",
    "admin",
}


def _cells(ok: int, allowed: set[str], *, other_officer: int = 403) -> dict[str, int]:
    cells = {role: (ok if role in allowed else 403) for role in ROLES}
    if "other_officer" not in allowed:
        cells["other_officer"] = other_officer
    return cells


# endpoint -> role -> status
ENDPOINTS: dict[str, dict[str, int]] = {
    "POST /v1/officers/import": _cells(200, {"caseworker", "admin"}),
    "POST /v1/cases voluntary_exit": _cells(201, {"officer", "caseworker"}),
    # hr_manager is allowed; no regulation is in force, so the answer is 409.
    "POST /v1/cases efficiency_retirement": _cells(409, {"hr_manager"}),
    # Whoever may read one case may list cases, and the reverse (docs/roles.md): staff, admins
    # included; officers their own (a list of their own is 200; another's case is 404).
    "GET /v1/cases": _cells(200, {"officer", "other_officer", "representative", *STAFF_READ}),
    "GET /v1/cases/needs-attention": _cells(200, {"hr_manager", "admin"}),
    "GET /v1/cases/{case_id}": _cells(
        200, {"officer", "representative", *STAFF_READ}, other_officer=404
    ),
    "GET /v1/cases/{case_id}/audit": _cells(
        200, {"officer", "caseworker", "hr_manager", "auditor"}, other_officer=404
    ),
    "GET /v1/cases/{case_id}/timeline": _cells(200, {"caseworker", "hr_manager", "auditor"}),
    "GET /v1/cases/{case_id}/documents": _cells(
        200, {"officer", "representative", *STAFF_READ}, other_officer=404
    ),
    "GET /v1/cases/{case_id}/documents/{document_id}": _cells(
        200, {"officer", "representative", *STAFF_READ}, other_officer=404
    ),
    "GET /v1/letter-templates": _cells(200, STAFF_READ),
    "GET /v1/letter-templates/{version}": _cells(200, STAFF_READ),
    "POST /v1/letter-templates": _cells(201, {"admin"}),
    "GET /v1/tasks": _cells(200, STAFF_READ),
    "GET /v1/audit/access": _cells(200, {"auditor"}),
    "GET /v1/audit/export": _cells(200, {"auditor"}),
    "GET /v1/policies/current": _cells(200, STAFF_READ),
    "GET /v1/policies/{version}": _cells(200, STAFF_READ),
    "POST /v1/policies": _cells(201, {"admin"}),
    "GET /v1/regulations": _cells(200, STAFF_READ),
    "POST /v1/regulations": _cells(201, {"admin"}),
    "GET /v1/schemes": _cells(200, STAFF_READ),
    "GET /v1/schemes/{name}": _cells(200, STAFF_READ),
    "POST /v1/schemes": _cells(201, {"admin"}),
    "POST /v1/schemes/{name}/invitations": _cells(202, {"hr_manager"}),
    "GET /v1/schemes/{name}/invitations": _cells(200, STAFF_READ),
    "GET /v1/schemes/{name}/invitations/{run_id}": _cells(200, STAFF_READ),
    "GET /v1/reports/scheme": _cells(200, {"hr_manager", "auditor"}),
    "GET /v1/reports/equality": _cells(200, {"hr_manager", "auditor"}),
    "GET /v1/users": _cells(200, {"admin"}),
    "POST /v1/users": _cells(201, {"admin"}),
    "POST /v1/users/{user_id}/revoke": _cells(200, {"admin"}),
    # The HR manager's role may attach, but to a proposal only: this is an information answer.
    "POST /v1/cases/{case_id}/evidence": _cells(
        201, {"officer", "caseworker", "representative"}, other_officer=404
    ),
    "GET /v1/cases/{case_id}/evidence": _cells(
        200, {"officer", "representative", *STAFF_READ} - {"admin"}, other_officer=404
    ),
    "GET /v1/cases/{case_id}/evidence/{evidence_id}": _cells(
        200, {"officer", "representative", *STAFF_READ} - {"admin"}, other_officer=404
    ),
    "POST /v1/cases/{case_id}/notes": _cells(201, STAFF_READ - {"auditor", "admin"}),
    "GET /v1/cases/{case_id}/notes": _cells(200, STAFF_READ - {"admin"}),
    "GET /v1/cases/{case_id}/representative": _cells(
        200,
        {"officer", "caseworker", "hr_manager", "auditor", "representative"},
        other_officer=404,
    ),
    "PUT /v1/cases/{case_id}/representative": _cells(200, {"officer"}, other_officer=404),
    "DELETE /v1/cases/{case_id}/representative": _cells(200, {"officer"}, other_officer=404),
    "GET /v1/officers/{officer_id}/subject-access-export": _cells(200, {"admin"}),
    # An invitation belongs to no case: no representative reads its letter.
    "GET /v1/officers/{officer_id}/invitation-letters": _cells(
        200, {"officer", *STAFF_READ}, other_officer=404
    ),
    "GET /v1/officers/{officer_id}/invitation-letters/{scheme}": _cells(
        200, {"officer", *STAFF_READ}, other_officer=404
    ),
}

# action -> (state the case is put in, body, roles that may take it)
ACTIONS: dict[str, tuple[str, dict[str, Any], set[str]]] = {
    "review": ("hr_review", {"decision": "proceed"}, {"caseworker"}),
    "provide-info": (
        "info_requested",
        {"note": "attached"},
        {"officer", "caseworker", "representative"},
    ),
    "adjust-compensation": ("approval", {"amount": "40000.00", "reason": "r"}, {"caseworker"}),
    # The HR tier is due first: only an HR approver may decide now.
    "approve": ("approval", {}, {"approver_hr"}),
    "reject": ("approval", {"reason": "over budget"}, {"approver_hr"}),
    "accept-offer": ("offer_made", {}, {"officer"}),
    "decline-offer": ("offer_made", {}, {"officer"}),
    "withdraw": ("hr_review", {"reason": "changed my mind"}, {"officer", "caseworker"}),
    "change-leaving-date": (
        "accepted",
        {"leaving_date": (date.today() + timedelta(days=40)).isoformat(), "reason": "agreed"},
        {"caseworker"},
    ),
    "complete-checklist-item": ("exit_processing", {"item": "equipment_return"}, {"caseworker"}),
    "suspend": ("hr_review", {"reason": "proceedings"}, {"hr_manager"}),
    "resume": ("suspended", {"reason": "closed"}, {"hr_manager"}),
    "reassign": ("hr_review", {"assignee_user_id": "u_someone"}, {"hr_manager"}),
    # Efficiency retirement, under a regulation the test puts in force after the endpoints.
    "decide": (
        "decision_pending",
        {"decision": "withdraw", "reason": "r"},
        {"approver_executive"},
    ),
    "halt": ("decision_pending", {"reason": "regulation revoked"}, {"admin"}),
    "make-representations": (
        "notice_served",
        {"representations": "r"},
        {"officer", "caseworker", "representative"},
    ),
    "apply-voluntary": ("notice_served", {}, {"officer", "caseworker"}),
    # Last: it needs a representations window short enough to close during the test.
    "panel-decision": (
        "panel_review",
        {"decision": "withdraw", "reason": "r"},
        {"approver_executive"},
    ),
}

EFFICIENCY_STATES = {"decision_pending", "notice_served", "panel_review"}
PROPOSAL = {
    "critical_skills": "none critical",
    "performance": "meets the standard",
    "equality_impact_reference": "EIA-2026-7",
}


def _regulation(reference: str, effective_from: str, window: str) -> dict[str, Any]:
    return {
        "legal_reference": reference,
        "version": "1",
        "effective_from": effective_from,
        "parameters": {
            "minimum_pensionable_service_years": "10",
            "minimum_service_by_scheme": {"1987": "10", "2006": "10", "2015": "10"},
            "representations_window": window,
        },
    }


# Accepting today with no notice and five seconds of cooling off takes a case to exit
# processing soon; meanwhile a case left accepted stays accepted while every role tries
# change-leaving-date on it (one of them on a case of its own, opened and taken to
# acceptance in the meantime).
MATRIX_POLICY = load_bundled_policy().model_copy(
    update={
        "version": "matrix",
        "application_opens": date(2000, 1, 1),
        "application_closes": date(2099, 12, 31),
        "earliest_leaving_date": date(2000, 1, 1),
        "notice_min": "PT0S",
        # Long enough for every role to try change-leaving-date while a case is still accepted
        # (each new case writes its letters first), short enough to reach exit processing.
        "cooling_off": "PT10S",
    }
)


MATRIX_SCHEME = Scheme(
    name="matrix",
    policy_version="matrix",
    application_opens=date(2000, 1, 1),
    application_closes=date(2099, 12, 31),
    budget=Decimal("1000000000.00"),
)


class World:
    """The stack, its staff, and cases put into any state for any officer."""

    def __init__(self, stack: Stack, staff: dict[str, User]) -> None:
        self.stack = stack
        self.staff = staff

    async def officer(self) -> User:
        record = officer_record()
        await upsert_officers(self.stack.pool, [record])
        return await add_user(self.stack.pool, "o", Role.OFFICER, officer_id=record.officer_id)

    async def call(self, user: User, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with self.stack.http(user.token) as client:
            response = await client.request(method, path, **kwargs)
        content_type = response.headers.get("content-type", "").split(";")[0]
        body = (
            response.json()
            if content_type in {"application/json", "application/problem+json"}
            else None
        )
        return response.status_code, body

    async def act(self, case_id: str, action: str, user: User, body: dict[str, Any]) -> Any:
        status, result = await self.call(
            user,
            "POST",
            f"/v1/cases/{case_id}/actions/{action}",
            json=body,
            headers=await if_match(self.stack.pool, case_id, action),
        )
        assert status == 200, (action, result)
        return result

    async def nominate(self, case_id: str, officer: User) -> None:
        """The officer nominates the matrix's representative on their case."""
        status, _ = await self.call(
            officer,
            "PUT",
            f"/v1/cases/{case_id}/representative",
            json={"representative_id": self.staff["representative"].user_id},
        )
        assert status == 200

    async def wait_for(self, case_id: str, state: str) -> None:
        import asyncio

        async with asyncio.timeout(30):
            while True:
                _, case = await self.call(self.staff["auditor"], "GET", f"/v1/cases/{case_id}")
                if case["state"] == state:
                    return
                await asyncio.sleep(0.05)

    async def efficiency_case_in(self, state: str) -> tuple[str, User]:
        """Proposed by the HR manager, decided by an executive who is not on the matrix (the
        panel must be someone else), and left in ``state``."""
        officer = await self.officer()
        status, case = await self.call(
            self.staff["hr_manager"],
            "POST",
            "/v1/cases",
            json={
                "officer_id": officer.officer_id,
                "kind": "efficiency_retirement",
                "proposal": PROPOSAL,
            },
        )
        assert status == 201, case
        case_id = case["case_id"]
        await self.nominate(case_id, officer)
        await self.wait_for(case_id, "decision_pending")
        if state != "decision_pending":
            decision = {"decision": "serve_notice", "reason": "assessed"}
            await self.act(case_id, "decide", self.staff["executive_decider"], decision)
            await self.wait_for(case_id, state)
        return case_id, officer

    async def case_in(self, state: str) -> tuple[str, User]:
        if state in EFFICIENCY_STATES:
            return await self.efficiency_case_in(state)
        officer = await self.officer()
        status, case = await self.call(
            self.staff["caseworker"], "POST", "/v1/cases", json={"officer_id": officer.officer_id}
        )
        assert status == 201, case
        case_id = case["case_id"]
        await self.nominate(case_id, officer)
        await self.wait_for(case_id, "hr_review")
        cw = self.staff["caseworker"]
        steps: dict[str, Callable[[], Awaitable[Any]]] = {
            "info_requested": lambda: self.act(
                case_id, "review", cw, {"decision": "request_info", "reason": "payslips"}
            ),
            "suspended": lambda: self.act(
                case_id, "suspend", self.staff["hr_manager"], {"reason": "proceedings"}
            ),
        }
        if state in steps:
            await steps[state]()
            return case_id, officer
        if state == "hr_review":
            return case_id, officer
        case = await self.act(case_id, "review", cw, {"decision": "proceed"})
        if state == "approval":
            return case_id, officer
        for tier in case["required_tiers"]:
            case = await self.act(case_id, "approve", self.staff[f"approver_{tier}"], {})
        if state == "offer_made":
            return case_id, officer
        # Today, named: the date offered is one the officer could still accept on the offer's
        # last day, ten days on.
        today = local_date(datetime.now(UTC)).isoformat()
        await self.act(case_id, "accept-offer", officer, {"leaving_date": today})
        if state == "accepted":
            return case_id, officer
        assert state == "exit_processing"
        await self.wait_for(case_id, "exit_processing")
        return case_id, officer


@pytest.fixture
def world_staff() -> dict[str, tuple[Role, Tier | None]]:
    # One user for each role and tier.
    return {k: v for k, v in STAFF.items() if k != "caseworker2"} | {
        "representative": (Role.REPRESENTATIVE, None)
    }


def _csv(officer_id: str) -> str:
    return (
        "officer_id,name,rank,date_of_birth,service_start,annual_pay,pension_scheme,"
        f"misconduct_pending\n{officer_id},M. Atrix,superintendent,1975-03-14,2001-09-03,"
        "82000.00,2006,false\n"
    )


async def test_every_endpoint_and_action_against_every_role(
    isolated_stack: Stack, world_staff: dict[str, tuple[Role, Tier | None]]
) -> None:
    stack = isolated_stack
    await add_policy(stack.pool, MATRIX_POLICY, "test")
    staff = {k: await add_user(stack.pool, k, r, t) for k, (r, t) in world_staff.items()}
    world = World(stack, staff)
    # The scheme's window is always open and its budget out of reach: cases run as without it.
    await add_scheme(stack.pool, MATRIX_SCHEME, "test")

    # Every route of the API has a row here (a new route without one fails this test).
    routes = {
        f"{method.upper()} {path}"
        for path, item in stack.app.openapi()["paths"].items()
        if path.startswith("/v1/")
        for method in item
    }
    covered = {e.split(" ")[0] + " " + e.split(" ")[1] for e in ENDPOINTS}
    covered |= {f"POST /v1/cases/{{case_id}}/actions/{a}" for a in ACTIONS}
    assert routes == covered

    got: dict[str, dict[str, int]] = {}
    for endpoint in ENDPOINTS:
        got[endpoint] = {}
        for role in ROLES:
            got[endpoint][role] = await _call_endpoint(world, endpoint, role)
    staff["executive_decider"] = await add_user(
        stack.pool, "decider", Role.APPROVER, Tier.EXECUTIVE
    )
    for action, (state, body, allowed) in ACTIONS.items():
        if action == "decide":
            regulation = _regulation("Matrix regulation A", "2000-01-01", "P28D")
            assert (await world.call(staff["admin"], "POST", "/v1/regulations", json=regulation))[
                0
            ] == 201
        if action == "panel-decision":
            # A later record takes over: its windows close after two seconds.
            regulation = _regulation("Matrix regulation B", "2000-01-02", "PT2S")
            assert (await world.call(staff["admin"], "POST", "/v1/regulations", json=regulation))[
                0
            ] == 201
        got[action] = {}
        shared_case, shared_officer = await world.case_in(state)
        for role in ROLES:
            if role in allowed:
                case_id, officer = await world.case_in(state)  # this cell changes its case
            else:
                case_id, officer = shared_case, shared_officer
            user = await _user(world, role, officer)
            status, _ = await world.call(
                user,
                "POST",
                f"/v1/cases/{case_id}/actions/{action}",
                json=body,
                headers=await if_match(stack.pool, case_id, action),
            )
            got[action][role] = status
        _, after = await world.call(staff["auditor"], "GET", f"/v1/cases/{shared_case}")
        # An accepted case moves on by itself when its second of cooling-off ends.
        moved_on = {"exit_processing"} if state == "accepted" else set()
        assert after["state"] in {state, *moved_on}, f"a refused {action} changed the case"

    expected = dict(ENDPOINTS)
    for action, (_, _, allowed) in ACTIONS.items():
        expected[action] = _cells(200, allowed, other_officer=404)
    mismatches = {
        (row, role): (got[row][role], expected[row][role])
        for row in expected
        for role in ROLES
        if got[row][role] != expected[row][role]
    }
    assert not mismatches, f"(row, role): (got, expected) {mismatches}"
    print(f"\nauthorisation matrix: {len(expected)} rows x {len(ROLES)} roles all as expected")


async def _user(world: World, role: str, officer: User) -> User:
    if role == "officer":
        return officer
    if role == "other_officer":
        return await world.officer()
    return world.staff[role]


async def _call_endpoint(world: World, endpoint: str, role: str) -> int:
    """Call one endpoint as one role, on fresh data wherever a success would change things."""
    officer = await world.officer()
    user = await _user(world, role, officer)
    case_path = None
    if "{case_id}" in endpoint:
        case_id, _ = await _owned_case(world, officer)
        case_path = endpoint.split(" ")[1].replace("{case_id}", case_id)
    match endpoint:
        case "POST /v1/officers/import":
            args: dict[str, Any] = {
                "content": _csv(f"MX{secrets.token_hex(4)}"),
                "headers": {"Content-Type": "text/csv"},
            }
            status, _ = await world.call(user, "POST", "/v1/officers/import", **args)
        case "POST /v1/cases voluntary_exit":
            status, _ = await world.call(
                user, "POST", "/v1/cases", json={"officer_id": officer.officer_id}
            )
        case "POST /v1/cases efficiency_retirement":
            status, _ = await world.call(
                user,
                "POST",
                "/v1/cases",
                json={
                    "officer_id": officer.officer_id,
                    "kind": "efficiency_retirement",
                    "proposal": PROPOSAL,
                },
            )
        case "GET /v1/cases/{case_id}/documents/{document_id}":
            assert case_path is not None
            letter = await _first_letter(world, case_path.split("/")[3])
            status, _ = await world.call(user, "GET", case_path.replace("{document_id}", letter))
        case "GET /v1/letter-templates/{version}":
            status, _ = await world.call(user, "GET", "/v1/letter-templates/default")
        case "POST /v1/letter-templates":
            templates = default_templates().model_copy(update={"version": uuid.uuid4().hex[:8]})
            status, _ = await world.call(
                user, "POST", "/v1/letter-templates", json=templates.model_dump()
            )
        case "GET /v1/policies/{version}":
            status, _ = await world.call(user, "GET", "/v1/policies/matrix")
        case "POST /v1/policies":
            policy = MATRIX_POLICY.model_copy(update={"version": f"m-{uuid.uuid4().hex[:8]}"})
            status, _ = await world.call(
                user, "POST", "/v1/policies", json=policy.model_dump(mode="json")
            )
        case "POST /v1/regulations":
            status, _ = await world.call(
                user,
                "POST",
                "/v1/regulations",
                json={
                    "legal_reference": "A19",
                    "version": uuid.uuid4().hex[:8],
                    "effective_from": "2099-01-01",
                },
            )
        case "GET /v1/schemes/{name}" | "GET /v1/schemes/{name}/invitations":
            path = endpoint.split(" ")[1].replace("{name}", "matrix")
            status, _ = await world.call(user, "GET", path)
        case "POST /v1/schemes":
            scheme = MATRIX_SCHEME.model_copy(update={"description": uuid.uuid4().hex})
            status, _ = await world.call(
                user, "POST", "/v1/schemes", json=scheme.model_dump(mode="json")
            )
        case "POST /v1/schemes/{name}/invitations":
            status, _ = await world.call(
                user, "POST", "/v1/schemes/matrix/invitations", json={"ranks": ["commander"]}
            )
        case "GET /v1/schemes/{name}/invitations/{run_id}":
            run = await start_invitations(
                world.stack.pool,
                world.stack.client,
                world.stack.settings,
                scheme="matrix",
                ranks=[Rank.COMMANDER],
                actor=Actor(user_id=world.staff["hr_manager"].user_id, role=Role.HR_MANAGER),
            )
            path = f"/v1/schemes/matrix/invitations/{run.run_id}"
            status, _ = await world.call(user, "GET", path)
        case "POST /v1/users":
            status, _ = await world.call(
                user, "POST", "/v1/users", json={"name": "New", "role": "auditor"}
            )
        case "POST /v1/cases/{case_id}/evidence":
            status, _ = await world.call(
                user,
                "POST",
                case_path,
                params={"attached_to": "info_answer", "filename": "a.pdf"},
                content=pdf(),
            )
        case "GET /v1/cases/{case_id}/evidence/{evidence_id}":
            _, added = await world.call(
                world.staff["caseworker"],
                "POST",
                case_path.removesuffix("/{evidence_id}"),
                params={"attached_to": "info_answer", "filename": "a.pdf"},
                content=pdf(),
            )
            path = case_path.replace("{evidence_id}", str(added["evidence_id"]))
            status, _ = await world.call(user, "GET", path)
        case "POST /v1/cases/{case_id}/notes":
            status, _ = await world.call(user, "POST", case_path, json={"text": "a note"})
        case "PUT /v1/cases/{case_id}/representative":
            rep = world.staff["representative"].user_id
            status, _ = await world.call(user, "PUT", case_path, json={"representative_id": rep})
        case "GET /v1/officers/{officer_id}/subject-access-export":
            path = endpoint.split(" ")[1].replace("{officer_id}", officer.officer_id)
            status, _ = await world.call(user, "GET", path)
        case "GET /v1/officers/{officer_id}/invitation-letters/{scheme}":
            await _invitation_letter(world, officer.officer_id)
            path = f"/v1/officers/{officer.officer_id}/invitation-letters/matrix"
            status, _ = await world.call(user, "GET", path)
        case "GET /v1/officers/{officer_id}/invitation-letters":
            path = f"/v1/officers/{officer.officer_id}/invitation-letters"
            status, _ = await world.call(user, "GET", path)
        case "POST /v1/users/{user_id}/revoke":
            target = await add_user(world.stack.pool, "to revoke", Role.AUDITOR)
            status, _ = await world.call(user, "POST", f"/v1/users/{target.user_id}/revoke")
        case _:
            method, path = endpoint.split(" ")
            status, _ = await world.call(user, method, case_path or path)
    return status


async def _invitation_letter(world: World, officer_id: str) -> None:
    """The officer invited to the matrix scheme, with a letter, as an invitation run leaves it."""
    async with world.stack.pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "INSERT INTO scheme_invitations (scheme, officer_id, run_id, invited_by) "
            "VALUES ('matrix', $1, 'matrix', 'test')",
            officer_id,
        )
        await store_invitation_letters(connection, "matrix", "default", {officer_id: pdf()})


async def _first_letter(world: World, case_id: str) -> str:
    """The id of the case's first letter, once the workflow has written it."""
    async with asyncio.timeout(15):
        while True:
            found = await list_documents(world.stack.pool, case_id)
            if found:
                return found[0].document_id
            await asyncio.sleep(0.05)


async def _owned_case(world: World, officer: User) -> tuple[str, User]:
    status, case = await world.call(
        world.staff["caseworker"], "POST", "/v1/cases", json={"officer_id": officer.officer_id}
    )
    assert status == 201
    await world.nominate(case["case_id"], officer)
    return case["case_id"], officer
