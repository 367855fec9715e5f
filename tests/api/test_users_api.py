"""User management over the API: admins only, tokens shown once, pages, idempotent creation."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from domain.people import Role
from store.users import list_users, token_hash
from tests.api.test_lists import _pages
from tests.helpers.api import Api, NewOfficer, Stack, add_user

HAL = {"name": "Hal HR", "role": "approver", "tier": "hr"}
ROUTES = [
    ("GET", "/v1/users", None),
    ("POST", "/v1/users", HAL),
    ("POST", "/v1/users/{user_id}/revoke", None),
]


@pytest.mark.parametrize("role", ["caseworker", "auditor", "officer"])
async def test_only_admins_manage_users(
    api: Api, stack: Stack, new_officer: NewOfficer, role: str
) -> None:
    caller = await new_officer() if role == "officer" else api.staff[role]
    target = await add_user(stack.pool, "Target", Role.AUDITOR)
    before = len(await list_users(stack.pool))
    async with stack.http(caller.token) as client, stack.http() as anonymous:
        for method, path, body in ROUTES:
            url = path.format(user_id=target.user_id)
            refused = await client.request(method, url, json=body)
            assert refused.status_code == 403, (method, path, refused.text)
            assert f"the {role} role may not" in refused.json()["detail"]
            unauthenticated = await anonymous.request(method, url, json=body)
            assert unauthenticated.status_code == 401, (method, path)
    assert len(await list_users(stack.pool)) == before
    assert not {u.user_id: u for u in await list_users(stack.pool)}[target.user_id].revoked


async def test_admins_list_users_a_page_at_a_time_without_tokens(api: Api, stack: Stack) -> None:
    await add_user(stack.pool, "Listed", Role.CASEWORKER)
    admin = api.as_("admin")
    pages = await _pages(admin, "/v1/users", limit=2)
    listed = [user for page in pages for user in page]
    assert all(len(page) == 2 for page in pages[:-1])
    assert [u["user_id"] for u in listed] == [u.user_id for u in await list_users(stack.pool)]
    hashes = {row["token_hash"] for row in await stack.pool.fetch("SELECT token_hash FROM users")}
    for user in listed:
        assert set(user) == {
            "user_id",
            "name",
            "role",
            "tier",
            "officer_id",
            "email",
            "created_at",
            "revoked",
        }
        assert not hashes & {str(value) for value in user.values()}
    bad = await admin.get("/v1/users", params={"cursor": "not a cursor"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.cursor"


async def test_a_created_users_token_is_shown_once_and_works(api: Api, stack: Stack) -> None:
    admin = api.as_("admin")
    created = await admin.post("/v1/users", json={"name": "Cas Worker", "role": "caseworker"})
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["role"] == "caseworker" and not user["revoked"] and user["token"]
    stored = await stack.pool.fetchval(
        "SELECT token_hash FROM users WHERE user_id = $1", user["user_id"]
    )
    assert stored == token_hash(user["token"])
    async with stack.http(user["token"]) as client:
        assert (await client.get("/v1/tasks")).status_code == 200


async def test_creating_with_an_idempotency_key_makes_one_user(api: Api, stack: Stack) -> None:
    admin = api.as_("admin")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await admin.post("/v1/users", json=HAL, headers=key)
    again = await admin.post("/v1/users", json=HAL, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json()["token"] and again.json()["token"] is None
    assert {k: v for k, v in first.json().items() if k != "token"} == {
        k: v for k, v in again.json().items() if k != "token"
    }
    user_id = first.json()["user_id"]
    assert await stack.pool.fetchval("SELECT count(*) FROM users WHERE name = 'Hal HR'") == 1
    # The service keeps no token: not in the users table, not in the stored answer.
    stored = await stack.pool.fetchval(
        "SELECT response::text FROM idempotency_keys WHERE key = $1", key["Idempotency-Key"]
    )
    assert user_id in stored and first.json()["token"] not in stored
    reused = await admin.post("/v1/users", json={**HAL, "tier": "finance"}, headers=key)
    assert reused.status_code == 422
    assert reused.json()["type"] == "/problems/idempotency-key-reused"


async def test_concurrent_duplicates_create_one_user_and_one_token(api: Api, stack: Stack) -> None:
    body = {"name": f"Con Current {uuid.uuid4().hex[:6]}", "role": "caseworker"}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    admin = api.as_("admin")
    answers = await asyncio.gather(
        *(admin.post("/v1/users", json=body, headers=key) for _ in range(6))
    )
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["user_id"] for answer in answers}) == 1
    assert sum(answer.json()["token"] is not None for answer in answers) == 1
    count = "SELECT count(*) FROM users WHERE name = $1"
    assert await stack.pool.fetchval(count, body["name"]) == 1


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"name": "A", "role": "approver"}, "an approver needs a tier"),
        ({"name": "A", "role": "caseworker", "tier": "hr"}, "only approvers have a tier"),
        ({"name": "A", "role": "officer"}, "an officer needs an officer_id"),
        ({"name": "A", "role": "caseworker", "officer_id": "OF1"}, "body.officer_id"),
        ({"name": "A", "role": "admin", "officer_id": "OF1"}, "only officers have an officer_id"),
        ({"name": "A", "role": "system"}, "body.role"),
        ({"name": "   ", "role": "auditor"}, "body.name"),
        ({"name": "A", "role": "auditor", "token": "mine"}, "body.token"),
    ],
)
async def test_a_user_whose_fields_do_not_fit_is_refused(
    api: Api, stack: Stack, body: dict[str, str], says: str
) -> None:
    before = len(await list_users(stack.pool))
    refused = await api.as_("admin").post("/v1/users", json=body)
    assert refused.status_code == 422
    problem = refused.json()
    assert says in problem["detail"] + " ".join(e["message"] for e in problem["errors"])
    assert len(await list_users(stack.pool)) == before


async def test_a_revoked_token_is_refused_at_once(api: Api, stack: Stack) -> None:
    admin = api.as_("admin")
    created = (await admin.post("/v1/users", json={"name": "Aud", "role": "auditor"})).json()
    path = f"/v1/users/{created['user_id']}/revoke"
    async with stack.http(created["token"]) as client:
        assert (await client.get("/v1/tasks")).status_code == 200
        revoked = await admin.post(path)
        assert revoked.status_code == 200 and revoked.json()["revoked"] is True
        assert "token" not in revoked.json()
        assert (await client.get("/v1/tasks")).status_code == 401
    again = await admin.post(path)
    assert again.status_code == 200 and again.json() == revoked.json()
    missing = await admin.post("/v1/users/u_nobody000000/revoke")
    assert missing.status_code == 404
    own = await admin.post(f"/v1/users/{api.staff['admin'].user_id}/revoke")
    assert own.status_code == 409 and "your own token" in own.json()["detail"]
