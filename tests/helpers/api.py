"""The HTTP API as its users meet it: the application, users with real tokens, and a client
that moves cases along.

Requests go through httpx's ASGI transport to ``create_app``'s application, given the test's
own pool and Temporal client (the live-server tests serve it with uvicorn instead).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from temporalio.client import Client

from api.preconditions import etag
from config.settings import Settings
from domain.lifecycle import DECISIONS_ON_FIGURES, Action
from domain.people import Role, Tier
from domain.policy import SchemePolicy, load_bundled_policy
from store.cases import get_case_view
from store.users import create_user

# The default policy with an application window that stays open whenever the tests run.
API_POLICY: SchemePolicy = load_bundled_policy().model_copy(
    update={
        "version": "api-test",
        "application_opens": date(2000, 1, 1),
        "application_closes": date(2099, 12, 31),
    }
)

STAFF = {
    "caseworker": (Role.CASEWORKER, None),
    "caseworker2": (Role.CASEWORKER, None),
    "hr_manager": (Role.HR_MANAGER, None),
    "approver_hr": (Role.APPROVER, Tier.HR),
    "approver_finance": (Role.APPROVER, Tier.FINANCE),
    "approver_executive": (Role.APPROVER, Tier.EXECUTIVE),
    "auditor": (Role.AUDITOR, None),
    "admin": (Role.ADMIN, None),
}


@dataclass
class Stack:
    """One database, one worker and one app: a service as a user would meet it."""

    pool: asyncpg.Pool
    client: Client
    settings: Settings
    app: FastAPI
    database_url: str

    def http(self, token: str | None = None, **headers: str) -> httpx.AsyncClient:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://api.test",
            headers=headers,
            timeout=60,
        )


@dataclass
class User:
    user_id: str
    role: Role
    tier: Tier | None
    token: str
    officer_id: str | None = None


async def add_user(
    pool: asyncpg.Pool,
    name: str,
    role: Role,
    tier: Tier | None = None,
    officer_id: str | None = None,
) -> User:
    user, token = await create_user(pool, name=name, role=role, tier=tier, officer_id=officer_id)
    return User(user.user_id, role, tier, token, officer_id)


async def if_match(pool: asyncpg.Pool, case_id: str, action: str) -> dict[str, str]:
    """The If-Match a client that has just read the case sends with a decision on figures."""
    if Action(action) not in DECISIONS_ON_FIGURES:
        return {}
    view = await get_case_view(pool, case_id)
    assert view is not None, case_id
    return {"If-Match": etag(view.version)}


NewOfficer = Callable[..., Awaitable[User]]


class Api:
    """Requests as one user or another, and the steps that move a case along."""

    def __init__(self, stack: Stack, staff: dict[str, User]) -> None:
        self.stack = stack
        self.staff = staff
        self._clients: dict[str, httpx.AsyncClient] = {}

    def as_(self, user: User | str) -> httpx.AsyncClient:
        user = self.staff[user] if isinstance(user, str) else user
        if user.token not in self._clients:
            self._clients[user.token] = self.stack.http(user.token)
        return self._clients[user.token]

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def open(
        self, officer: User, by: User | str = "caseworker", **body: Any
    ) -> dict[str, Any]:
        response = await self.as_(by).post(
            "/v1/cases", json={"officer_id": officer.officer_id, **body}
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def get(self, case_id: str, as_: User | str = "caseworker") -> dict[str, Any]:
        response = await self.as_(as_).get(f"/v1/cases/{case_id}")
        assert response.status_code == 200, response.text
        return response.json()

    async def wait_for(self, case_id: str, state: str, within: float = 15) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while (case := await self.get(case_id))["state"] != state:
                await asyncio.sleep(0.05)
        return case

    async def act(
        self,
        case_id: str,
        action: str,
        by: User | str,
        expect: int = 200,
        version: int | None = None,
        **body: Any,
    ) -> dict[str, Any]:
        """Act as ``by``; decisions on figures carry ``version``, or the case's version now."""
        headers = (
            {"If-Match": etag(version)}
            if version is not None
            else await if_match(self.stack.pool, case_id, action)
        )
        response = await self.as_(by).post(
            f"/v1/cases/{case_id}/actions/{action}", json=body, headers=headers
        )
        assert response.status_code == expect, response.text
        return response.json()

    async def to_hr_review(self, officer: User, **body: Any) -> str:
        case = await self.open(officer, **body)
        await self.wait_for(case["case_id"], "hr_review")
        return case["case_id"]

    async def to_approval(self, officer: User) -> str:
        case_id = await self.to_hr_review(officer)
        await self.act(case_id, "review", "caseworker", decision="proceed")
        return case_id

    async def approve_all(self, case_id: str) -> dict[str, Any]:
        case = await self.get(case_id)
        for tier in case["required_tiers"]:
            case = await self.act(case_id, "approve", f"approver_{tier}")
        assert case["state"] == "offer_made", case
        return case
