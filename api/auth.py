"""Who is calling: bearer tokens checked against the users table, or a configured verifier.

Tokens are stored only as hashes (``store.users``); this module never sees one at rest. Single
sign-on plugs in through :class:`IdentityVerifier`: set ``EXITCASES_AUTH_VERIFIER`` to
``package.module:factory``, where ``factory(settings, pool)`` returns a verifier (for example
one that checks a JWT's signature, issuer and audience and maps its claims to a role). Nothing
else in the API changes: routes depend on :func:`current_user`, or (``/codec``, which a browser
calls) on ``api.sessions.token_or_session_user``, which uses it whenever a token is sent.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol, runtime_checkable

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

from api.deps import pool_of
from api.limits import FailedAuthBrake
from api.problems import unauthenticated
from api.token_cache import TokenCache
from config.settings import Settings
from domain.people import Actor, Role, Tier
from store.users import User, token_hash, user_for_token


class Principal(BaseModel):
    """The authenticated caller, as every authorisation rule sees them."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    role: Role
    tier: Tier | None = None
    officer_id: str | None = None
    # For people to read (the web pages' header); never part of a rule or a log line.
    name: str | None = None

    def actor(self, on_behalf_of: str | None = None) -> Actor:
        return Actor(
            user_id=self.user_id,
            role=self.role,
            tier=self.tier,
            officer_id=self.officer_id,
            on_behalf_of=on_behalf_of,
        )


@runtime_checkable
class IdentityVerifier(Protocol):
    """Turns a bearer credential into a principal, or None when it is not valid."""

    async def verify(self, token: str) -> Principal | None: ...


class DatabaseTokenVerifier:
    """The built-in verifier: opaque tokens issued by ``exitcases users add``.

    With a :class:`TokenCache` (the app's lifespan gives it one when
    ``EXITCASES_AUTH_CACHE_SECONDS`` is over 0), tokens already checked are not looked up again.
    """

    def __init__(self, pool: asyncpg.Pool, cache: TokenCache | None = None) -> None:
        self._pool = pool
        self.cache = cache

    async def verify(self, token: str) -> Principal | None:
        if self.cache is None:
            return await self._load(token)
        return await self.cache.lookup(token_hash(token), lambda: self._load(token))

    async def _load(self, token: str) -> Principal | None:
        user = await user_for_token(self._pool, token)
        if user is None or user.revoked:
            return None
        return principal_of(user)


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.user_id,
        role=Role(user.role),
        tier=Tier(user.tier) if user.tier else None,
        officer_id=user.officer_id,
        name=user.name,
    )


def build_verifier(settings: Settings, pool: asyncpg.Pool) -> IdentityVerifier:
    """The verifier the configuration names, or the database tokens by default."""
    spec: str | None = getattr(settings, "auth_verifier", None)
    if not spec:
        return DatabaseTokenVerifier(pool)
    module_name, _, attribute = spec.partition(":")
    if not attribute:
        raise ValueError("auth_verifier must look like 'package.module:factory'")
    factory = getattr(importlib.import_module(module_name), attribute)
    verifier = factory(settings, pool)
    if not isinstance(verifier, IdentityVerifier):
        raise TypeError(f"{spec} did not return an IdentityVerifier")
    return verifier


def _verifier(request: Request) -> IdentityVerifier:
    state = request.app.state
    verifier = getattr(state, "verifier", None)
    if verifier is None:
        verifier = state.verifier = build_verifier(state.settings, pool_of(request))
    return verifier


# auto_error=False: a missing header becomes our 401 problem, not FastAPI's 403.
bearer = HTTPBearer(auto_error=False, description="A token from `exitcases users add`.")

_MAX_TOKEN_LENGTH = 4096


def auth_brake(request: Request) -> FailedAuthBrake:
    state = request.app.state
    if getattr(state, "auth_brake", None) is None:
        state.auth_brake = FailedAuthBrake()
    brake: FailedAuthBrake = state.auth_brake
    return brake


async def authenticate(
    request: Request, find: Callable[[], Awaitable[Principal | None]], refusal: str
) -> Principal:
    """Whoever ``find`` says is calling; each failure counts against the caller's address.

    Looked up even from a braked address: a valid credential costs a hash and (usually) a cached
    lookup, and its holder must not be locked out by someone else's failures.
    """
    principal = await find()
    if principal is None:
        auth_brake(request).failed(request.client.host if request.client else "unknown")
        raise unauthenticated(refusal)
    request.state.principal = principal
    return principal


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    async def find() -> Principal | None:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise unauthenticated("send 'Authorization: Bearer <token>'")
        token = credentials.credentials.strip()
        if token and len(token) <= _MAX_TOKEN_LENGTH:
            return await _verifier(request).verify(token)
        return None

    return await authenticate(request, find, "the bearer token is not valid or has been revoked")


CurrentUser = Annotated[Principal, Depends(current_user)]
