"""Authentication (tokens, revocation, the single-sign-on seam) and problem documents."""

from __future__ import annotations

import asyncpg

from api.auth import DatabaseTokenVerifier, Principal, build_verifier
from config.settings import Settings
from domain.people import Role, Tier
from store.users import revoke_user
from tests.helpers.api import Api, Stack, add_user

PROBLEM = "application/problem+json"


async def test_no_token_bad_token_and_revoked_token_are_401(api: Api, stack: Stack) -> None:
    async with stack.http() as anonymous:
        missing = await anonymous.get("/v1/cases")
    assert missing.status_code == 401
    assert missing.headers["content-type"] == PROBLEM
    assert missing.headers["www-authenticate"] == "Bearer"
    assert set(missing.json()) >= {"type", "title", "status", "detail"}
    async with stack.http("not-a-token") as forged:
        assert (await forged.get("/v1/cases")).status_code == 401
    user = await add_user(stack.pool, "leaver", Role.CASEWORKER)
    async with stack.http(user.token) as client:
        assert (await client.get("/v1/cases")).status_code == 200
        await revoke_user(stack.pool, user.user_id)
        revoked = await client.get("/v1/cases")
    assert revoked.status_code == 401
    assert revoked.json()["detail"] == "the bearer token is not valid or has been revoked"


async def test_tokens_are_stored_only_as_hashes(stack: Stack) -> None:
    user = await add_user(stack.pool, "hashed", Role.AUDITOR)
    row = await stack.pool.fetchrow("SELECT * FROM users WHERE user_id = $1", user.user_id)
    assert user.token not in {str(v) for v in row.values()}


class FixedVerifier:
    """Stands in for a JWT verifier an installation would configure: it accepts one credential."""

    def __init__(self, settings: Settings, pool: asyncpg.Pool) -> None:
        self.settings = settings

    async def verify(self, token: str) -> Principal | None:
        if token == "signed-by-the-identity-provider":
            return Principal(user_id="sso:jdoe", role=Role.APPROVER, tier=Tier.FINANCE)
        return None


def sso_verifier(settings: Settings, pool: asyncpg.Pool) -> FixedVerifier:
    return FixedVerifier(settings, pool)


async def test_a_configured_verifier_replaces_database_tokens(stack: Stack) -> None:
    # EXITCASES_AUTH_VERIFIER names the factory; model_copy stands in for the environment.
    settings = Settings().model_copy(
        update={"auth_verifier": "tests.api.test_auth_and_problems:sso_verifier"}
    )
    assert isinstance(build_verifier(Settings(), stack.pool), DatabaseTokenVerifier)
    verifier = build_verifier(settings, stack.pool)
    assert isinstance(verifier, FixedVerifier)
    app = stack.app
    previous = getattr(app.state, "verifier", None)
    app.state.verifier = verifier
    try:
        async with stack.http("signed-by-the-identity-provider") as client:
            tasks = await client.get("/v1/tasks")
            assert tasks.status_code == 200
            audit = await client.get("/v1/audit/export")
            assert audit.status_code == 403
            assert audit.json()["detail"].startswith("the approver role may not")
        async with stack.http("anything-else") as client:
            assert (await client.get("/v1/tasks")).status_code == 401
    finally:
        app.state.verifier = previous


async def test_routing_and_validation_errors_are_problems(api: Api) -> None:
    client = api.as_("caseworker")
    nowhere = await client.get("/v1/nowhere")
    assert nowhere.status_code == 404 and nowhere.headers["content-type"] == PROBLEM
    wrong_method = await client.delete("/v1/cases")
    assert wrong_method.status_code == 405 and wrong_method.headers["content-type"] == PROBLEM
    malformed = await client.post(
        "/v1/cases", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["detail"] == "the request body is not valid JSON"
    secret = "Date-of-birth-1975-03-14"
    invalid = await client.post(
        "/v1/cases", json={"officer_id": "x y", "kind": "sideways", "statement": secret * 400}
    )
    assert invalid.status_code == 422
    problem = invalid.json()
    assert {e["field"] for e in problem["errors"]} == {
        "body.officer_id",
        "body.kind",
        "body.statement",
    }
    assert problem["detail"].startswith("invalid input in: ")
    assert secret not in invalid.text  # values are never echoed back
    extra = await client.post("/v1/cases", json={"officer_id": "OF1", "salary": 1})
    assert extra.json()["errors"] == [
        {"field": "body.salary", "message": "Extra inputs are not permitted"}
    ]


async def test_a_nul_character_in_a_path_is_a_problem_not_a_crash(api: Api) -> None:
    # PostgreSQL cannot hold NUL in text: refused as bad input, never a 500.
    for path in ("/v1/cases/EX-%00", "/v1/cases/%00/audit", "/v1/policies/v%001"):
        response = await api.as_("auditor").get(path)
        assert response.headers["content-type"] == PROBLEM, path
        assert response.status_code in {404, 422}, (path, response.text)


async def test_options_and_405_name_every_method_of_the_path(api: Api) -> None:
    client = api.as_("caseworker")
    paths = api.stack.app.openapi()["paths"]
    for path, operations in paths.items():
        concrete = path.replace("{case_id}", "EX-0000000000").replace("{version}", "v1")
        documented = {method.upper() for method in operations} | {"OPTIONS"}
        options = await client.options(concrete)
        assert options.status_code == 204, path
        assert set(options.headers["allow"].split(", ")) == documented, path
        unsupported = "PUT" if "PUT" not in documented else "PATCH"
        refused = await client.request(unsupported, concrete)
        assert refused.status_code == 405 and refused.headers["content-type"] == PROBLEM
        assert set(refused.headers["allow"].split(", ")) == documented, path
    assert (await client.options("/v1/nowhere")).status_code == 404


async def test_no_read_documents_a_400(api: Api) -> None:
    """A bad cursor or query is a 422 naming the parameter; only an unreadable body is a 400,
    and reads have no body."""
    paths = api.stack.app.openapi()["paths"]
    stale = [
        path
        for path, operations in paths.items()
        if "400" in operations.get("get", {}).get("responses", {})
    ]
    assert stale == []
