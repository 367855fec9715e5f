"""Users and their bearer tokens, for admins: list them, create one, revoke one.

A token is in the answer that creates its user and nowhere else: the service keeps only its
hash (``store.users``), so a repeated creation (the same ``Idempotency-Key``) answers with the
same user and ``token: null``.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from api.access import ALLOW
from api.auth import Principal
from api.authz import Operation
from api.bodies import RequestBody
from api.deps import Pool
from api.idempotency import IdempotencyKey, run_once
from api.pagination import Limit, Page, cursor_param, decode_cursor, page_of
from api.problems import ProblemError, problem_responses
from domain.commands import WORDS_PATTERN
from domain.people import USER_ROLES, Role, Tier, check_officer_id, check_role_fields
from store import users
from store.users import User, UserCursor, UserExists

log = structlog.get_logger(__name__)

Cursor = Annotated[str | None, cursor_param(UserCursor)]

router = APIRouter(prefix="/v1/users", tags=["users"])

_SCOPE = "POST /v1/users"


def _not_system(role: Role) -> Role:
    if role is Role.SYSTEM:
        raise ValueError("the system role belongs to the service itself")
    return role


UserRole = Annotated[
    Role,
    AfterValidator(_not_system),
    WithJsonSchema({"type": "string", "enum": [role.value for role in USER_ROLES]}),
]


def _only_for(role: str, field: str) -> dict[str, Any]:
    """JSON Schema: ``field`` is required when the role is ``role``, and absent or null else."""
    return {
        "if": {"properties": {"role": {"const": role}}, "required": ["role"]},
        "then": {"required": [field], "properties": {field: {"not": {"type": "null"}}}},
        "else": {"properties": {field: {"type": "null"}}},
    }


class CreateUser(RequestBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Hal HR", "role": "approver", "tier": "hr"},
                {"name": "Pat Example", "role": "officer", "officer_id": "OF1001"},
            ],
            # domain.people.check_role_fields and check_officer_id, said in JSON Schema: a
            # tier for approvers and only them, an officer id for officers and only them.
            "allOf": [_only_for("approver", "tier"), _only_for("officer", "officer_id")],
        },
    )

    name: str = Field(min_length=1, max_length=200, pattern=WORDS_PATTERN)
    role: UserRole
    tier: Tier | None = Field(default=None, description="Approvers only, and required there.")
    officer_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="Officers only, and required there: their id on the roster.",
    )
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00]+$")

    @field_validator("officer_id")
    @classmethod
    def _officers_only(cls, officer_id: str | None, info: ValidationInfo) -> str | None:
        role = info.data.get("role")
        if role is not None:
            check_officer_id(role, officer_id)
        return officer_id

    @model_validator(mode="after")
    def _fields_fit_the_role(self) -> CreateUser:
        check_role_fields(self.role, self.tier, self.officer_id)
        return self


class CreatedUser(User):
    token: str | None = Field(
        description="The bearer token, shown in this answer only (the service keeps its hash). "
        "null when the same Idempotency-Key is sent again: if the first answer was lost, "
        "revoke this user and create another."
    )


def user_id_for_key(user_id: str, key: str) -> str:
    """The user an admin's idempotency key creates: every retry names the same user."""
    digest = hashlib.sha256(f"{user_id}\x00{key}".encode()).digest()
    return users.user_id_from(int.from_bytes(digest[:8]))


_USER_EXAMPLE: dict[str, Any] = {
    "user_id": "u_4k7m2q9txa3b",
    "name": "Hal HR",
    "role": "approver",
    "tier": "hr",
    "officer_id": None,
    "email": None,
    "created_at": "2026-11-23T09:12:00Z",
    "revoked": False,
}


@router.get(
    "",
    response_model=Page[User],
    summary="List users",
    description="Every user, revoked ones too, oldest first, a page at a time. Never a token "
    "or its hash.",
    responses={
        200: {
            "content": {
                "application/json": {"example": {"items": [_USER_EXAMPLE], "next_cursor": None}}
            }
        },
        **problem_responses(401, 403, 422),
    },
)
async def list_all(
    user: Annotated[Principal, ALLOW[Operation.USERS_LIST]],
    pool: Pool,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[User]:
    after = decode_cursor(cursor, UserCursor)
    items = await users.list_users(pool, limit=limit + 1, after=after)
    return page_of(
        items, limit, lambda last: UserCursor(created_at=last.created_at, user_id=last.user_id)
    )


@router.post(
    "",
    status_code=201,
    response_model=CreatedUser,
    summary="Create a user",
    description="Creates a user and answers with its bearer token, once. With "
    "`Idempotency-Key`, retries and concurrent duplicates create one user; every answer but "
    "the first has `token: null`.",
    responses={
        201: {"content": {"application/json": {"example": _USER_EXAMPLE | {"token": "..."}}}},
        **problem_responses(
            401,
            403,
            409,
            422,
            s409="a user with this id exists already; try again",
            s422="invalid input in: body.tier",
        ),
    },
)
async def create(
    user: Annotated[Principal, ALLOW[Operation.USERS_CREATE]],
    pool: Pool,
    body: CreateUser,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    # A key names the user too, so a retry that overtakes the first request finds its user.
    user_id = (
        user_id_for_key(user.user_id, idempotency_key) if idempotency_key is not None else None
    )
    # Shown once, to the request that made the user; never stored with the response.
    token: str | None = None

    async def write() -> tuple[int, Any]:
        nonlocal token
        try:
            created, token = await users.create_user(pool, **body.model_dump(), user_id=user_id)
        except UserExists:
            # The same key, answered by a request still running: the same user, no token.
            existing = await users.get_user(pool, user_id) if user_id is not None else None
            if existing is None:
                # Only a key names an existing user; without one, a generated id collided.
                raise ProblemError(
                    409, "a user with this id exists already; try again", kind="user-exists"
                ) from None
            created = existing
        else:
            log.info(
                "user created", user_id=created.user_id, role=created.role.value, by=user.user_id
            )
        return 201, CreatedUser(**created.model_dump(), token=None).model_dump(mode="json")

    status, content = await run_once(pool, user, _SCOPE, idempotency_key, body.model_dump(), write)
    return JSONResponse(content | {"token": token}, status_code=status)


@router.post(
    "/{user_id}/revoke",
    response_model=User,
    summary="Revoke a user's token",
    description="The token stops working at once, in every API process. Revoking a revoked "
    "user changes nothing and answers the same. Admins cannot revoke themselves (ask another "
    "admin, or use `exitcases users revoke`), so the last admin cannot lock everyone out.",
    responses={
        200: {"content": {"application/json": {"example": _USER_EXAMPLE | {"revoked": True}}}},
        **problem_responses(
            401,
            403,
            404,
            409,
            422,
            s404="there is no user with this id",
            s409="you cannot revoke your own token",
        ),
    },
)
async def revoke(
    user: Annotated[Principal, ALLOW[Operation.USERS_REVOKE]],
    pool: Pool,
    user_id: Annotated[
        str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", examples=["u_x"])
    ],
) -> User:
    if user_id == user.user_id:
        raise ProblemError(
            409,
            "you cannot revoke your own token; ask another admin or use `exitcases users revoke`",
            kind="own-user",
        )
    if await users.revoke_user(pool, user_id):
        log.info("user revoked", user_id=user_id, by=user.user_id)
    revoked = await users.get_user(pool, user_id)
    if revoked is None:
        raise ProblemError(404, "there is no user with this id", kind="no-user")
    return revoked
