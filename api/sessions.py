"""Who is calling from a browser: a session cookie, set by signing in with a token.

Browsers cannot attach a bearer token to requests a page of another service makes (the Temporal
Web UI calling ``/codec``), but they can carry a cookie. The cookie is ``HttpOnly`` (no script
reads it), ``SameSite=Lax`` (sent from the same site, such as the UI on another port of the same
host, and never with another site's POST) and ``Secure`` whenever the API is reached over TLS.
Routes that accept it say so by depending on :func:`token_or_session_user`; the rest of the API
stays bearer-only.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from api.auth import Principal, authenticate, bearer, current_user, principal_of
from api.deps import pool_of
from api.problems import ProblemError
from exitcases.settings import Settings
from store.sessions import session_user

COOKIE = "exitcases_session"
_MAX_SESSION_ID_LENGTH = 128


def set_session_cookie(response: Response, request: Request, session_id: str) -> None:
    settings: Settings = request.app.state.settings
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=int(settings.session_lifetime.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )


async def session_principal(request: Request) -> Principal | None:
    """The signed-in user of the request's session cookie, if the session is live."""
    session_id = request.cookies.get(COOKIE)
    if not session_id or len(session_id) > _MAX_SESSION_ID_LENGTH:
        return None
    settings: Settings = request.app.state.settings
    user = await session_user(
        pool_of(request),
        session_id,
        idle=settings.session_idle,
        lifetime=settings.session_lifetime,
    )
    return principal_of(user) if user else None


def check_origin(request: Request) -> None:
    """A cookie rides along with any same-site request; only trusted pages may use or set it."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    # The API's own pages: compared by host, as a TLS proxy in front may change the scheme.
    own = urlsplit(origin).netloc == request.headers.get("host")
    if not own and origin not in request.app.state.settings.ui_origin_list():
        raise ProblemError(403, f"requests from {origin} may not use a session")


async def token_or_session_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The bearer token's user when one is sent; otherwise the session cookie's."""
    if credentials is not None or COOKIE not in request.cookies:
        return await current_user(request, credentials)

    async def find() -> Principal | None:
        check_origin(request)
        return await session_principal(request)

    return await authenticate(request, find, "the session has ended; sign in again")
