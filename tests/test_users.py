"""Users and tokens: hashes only, revocation, validation, and the command line."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess

import asyncpg
import pytest
from pydantic import ValidationError

from domain.people import Role, Tier
from store.users import create_user, list_users, revoke_user, user_for_token
from tests.helpers.processes import run_cli


async def test_only_the_hash_of_a_token_is_stored(pool: asyncpg.Pool) -> None:
    user, token = await create_user(pool, name="Hal", role=Role.APPROVER, tier=Tier.HR)
    stored = await pool.fetchval("SELECT token_hash FROM users WHERE user_id = $1", user.user_id)
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored
    found = await user_for_token(pool, token)
    assert found is not None and found.user_id == user.user_id and found.tier is Tier.HR
    assert await user_for_token(pool, token + "x") is None


async def test_a_revoked_token_stops_at_once(pool: asyncpg.Pool) -> None:
    user, token = await create_user(pool, name="Cas", role="caseworker")
    assert await revoke_user(pool, user.user_id)
    found = await user_for_token(pool, token)
    assert found is not None and found.revoked
    assert not await revoke_user(pool, user.user_id)


async def test_listing_shows_revoked_users_unless_asked_not_to(pool: asyncpg.Pool) -> None:
    kept, _ = await create_user(pool, name="Aud", role=Role.AUDITOR)
    gone, _ = await create_user(pool, name="Adm", role="admin")
    await revoke_user(pool, gone.user_id)
    everyone = {user.user_id: user for user in await list_users(pool)}
    assert everyone[gone.user_id].revoked and not everyone[kept.user_id].revoked
    active = {user.user_id for user in await list_users(pool, include_revoked=False)}
    assert kept.user_id in active and gone.user_id not in active


@pytest.mark.parametrize(
    ("role", "tier", "officer_id"),
    [
        (Role.APPROVER, None, None),
        (Role.CASEWORKER, Tier.HR, None),
        (Role.OFFICER, None, None),
    ],
)
async def test_roles_and_their_fields_must_fit(
    pool: asyncpg.Pool, role: Role, tier: Tier | None, officer_id: str | None
) -> None:
    before = await pool.fetchval("SELECT count(*) FROM users")
    with pytest.raises(ValidationError):
        await create_user(pool, name="X", role=role, tier=tier, officer_id=officer_id)
    assert await pool.fetchval("SELECT count(*) FROM users") == before


def _exitcases(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=os.environ | {"EXITCASES_DATABASE_URL": database_url})


@pytest.mark.slow
async def test_users_add_prints_the_token_once_and_revoke_ends_it(
    database_url: str, pool: asyncpg.Pool
) -> None:
    added = _exitcases(
        database_url,
        "users",
        "add",
        "--name",
        "Ada",
        "--role",
        "officer",
        "--officer-id",
        "OF77",
        "--json",
    )
    assert added.returncode == 0, added.stderr
    printed = json.loads(added.stdout)
    user = await user_for_token(pool, printed["token"])
    assert user is not None and user.user_id == printed["user_id"] and user.officer_id == "OF77"
    revoked = _exitcases(database_url, "users", "revoke", printed["user_id"])
    assert revoked.returncode == 0
    assert (await user_for_token(pool, printed["token"])).revoked
    bad = _exitcases(database_url, "users", "add", "--name", "Ann", "--role", "approver")
    assert bad.returncode == 2 and "tier" in bad.stderr


@pytest.mark.slow
async def test_users_list_prints_a_table_and_json_without_tokens(
    database_url: str, pool: asyncpg.Pool
) -> None:
    kept, kept_token = await create_user(pool, name="Lis Ted", role=Role.APPROVER, tier=Tier.HR)
    gone, gone_token = await create_user(
        pool, name="Gone Away", role=Role.OFFICER, officer_id="OF9"
    )
    await revoke_user(pool, gone.user_id)

    as_json = _exitcases(database_url, "users", "list", "--json")
    assert as_json.returncode == 0, as_json.stderr
    listed = json.loads(as_json.stdout)
    assert [u["user_id"] for u in listed] == [u.user_id for u in await list_users(pool)]
    by_id = {u["user_id"]: u for u in listed}
    assert by_id[kept.user_id] | {"created_at": None} == {
        "user_id": kept.user_id,
        "name": "Lis Ted",
        "role": "approver",
        "tier": "hr",
        "officer_id": None,
        "email": None,
        "created_at": None,
        "revoked": False,
    }
    assert by_id[gone.user_id]["revoked"] is True

    table = _exitcases(database_url, "users", "list")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["user_id", "role", "tier", "officer_id", "created", "status", "name"]
    row = next(line for line in rows if line.startswith(kept.user_id))
    assert row.split()[:3] == [kept.user_id, "approver", "hr"]
    assert row.split()[-3:] == ["active", "Lis", "Ted"]
    assert next(line for line in rows if line.startswith(gone.user_id)).split()[-3] == "revoked"
    for token in (kept_token, gone_token):
        assert token not in table.stdout + as_json.stdout


async def test_only_officers_are_stored_with_an_officer_id(pool: asyncpg.Pool) -> None:
    before = await pool.fetchval("SELECT count(*) FROM users")
    with pytest.raises(ValueError, match="only officers have an officer_id"):
        await create_user(pool, name="X", role=Role.AUDITOR, officer_id="OF1")
    assert await pool.fetchval("SELECT count(*) FROM users") == before
