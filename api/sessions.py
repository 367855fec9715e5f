"""Who is calling from a browser: a session cookie, set by signing in with a token.

Browsers cannot attach a bearer token to requests a page of another service makes (the Temporal
Web UI calling ``/codec``), but they can carry a cookie. The cookie is ``HttpOnly`` (no script
reads it), ``SameSite=Lax`` (sent from the same site, such as the UI on another port of the same
host, and never with another site's POST) and, when the API is reached over TLS (its
``EXITCASES_PUBLIC_URL`` is https, or the request came over https), ``Secure`` with the
``__Host-`` name prefix, which keeps it to this host and path ``/``. Routes that accept it say
so by depending on :func:`token_or_session_user`; the rest of the API stays bearer-only.

Cookies are not kept apart by port, so every service on the API's host name receives the
cookie. A request spending it must therefore show that a browser page of the API or the UI
sent it (``Origin``): a service that got the cookie and replays it from its server, as
browsers never do, is refused. docs/temporal-ui.md says to give the API a host name of its own
in production.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

import asyncpg
from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from api.auth import Principal, authenticate, bearer, current_user, principal_of
from api.deps import pool_of
from api.problems import ProblemError
from config.settings import Settings
from store.sessions import end_session, session_user, start_session

COOKIE = "exitcases_session"
# Over TLS: the browser takes a cookie of this name only when Secure, for path / and this host.
SECURE_COOKIE = f"__Host-{COOKIE}"
_MAX_SESSION_ID_LENGTH = 128


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _secure(request: Request) -> bool:
    public = _settings(request).public_url
    return urlsplit(public).scheme == "https" if public else request.url.scheme == "https"


def cookie_name(request: Request) -> str:
    return SECURE_COOKIE if _secure(request) else COOKIE


def session_id_of(request: Request) -> str | None:
    """The session id the request's cookie carries, if it could be one."""
    session_id = request.cookies.get(cookie_name(request))
    if not session_id or len(session_id) > _MAX_SESSION_ID_LENGTH:
        return None
    return session_id


def set_session_cookie(response: Response, request: Request, session_id: str) -> None:
    response.set_cookie(
        cookie_name(request),
        session_id,
        max_age=int(_settings(request).session_lifetime.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        cookie_name(request), path="/", httponly=True, samesite="lax", secure=_secure(request)
    )


async def session_principal(request: Request) -> Principal | None:
    """The signed-in user of the request's session cookie, if the session is live."""
    session_id = session_id_of(request)
    if session_id is None:
        return None
    settings = _settings(request)
    user = await session_user(
        pool_of(request),
        session_id,
        idle=settings.session_idle,
        lifetime=settings.session_lifetime,
    )
    return principal_of(user) if user else None


def _own_origin(request: Request, origin: str) -> bool:
    """Whether ``origin`` is the API's own pages': EXITCASES_PUBLIC_URL's origin, or (unset)
    the Host the request was sent to, compared by host as a TLS proxy may change the scheme."""
    public = _settings(request).public_origin()
    if public is not None:
        return origin.lower() == public
    return urlsplit(origin).netloc == request.headers.get("host")


def check_origin(request: Request, *, required: bool) -> None:
    """Refuse a request from a page that is neither the API's nor the Temporal UI's.

    ``required``: the request spends the session cookie, so it must also name its page. Every
    browser sends ``Origin`` with a POST or DELETE (and ``Sec-Fetch-Site: same-origin`` from
    the API's own pages); only a server replaying a cookie it was given sends neither.
    """
    origin = request.headers.get("origin")
    if origin is None:
        if not required or request.headers.get("sec-fetch-site") == "same-origin":
            return
        raise ProblemError(
            403,
            "a request that uses the session cookie must come from a browser page: "
            "it has no Origin header",
            kind="no-origin",
        )
    if not _own_origin(request, origin) and origin not in _settings(request).ui_origin_list():
        raise ProblemError(403, f"requests from {origin} may not use a session")


async def token_or_session_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The bearer token's user when one is sent; otherwise the session cookie's."""
    if credentials is not None or cookie_name(request) not in request.cookies:
        return await current_user(request, credentials)

    async def find() -> Principal | None:
        check_origin(request, required=True)
        return await session_principal(request)

    return await authenticate(request, find, "the session has ended; sign in again")


async def sign_in(request: Request, token: str) -> tuple[str, Principal]:
    """A new session for the token's user (401 if it is not valid); ends the browser's old one.

    Used by ``POST /session`` (JSON) and the web sign-in page, whose form has no session yet to
    bind a CSRF token to: the Origin check stops another site's page signing a browser in.
    """
    check_origin(request, required=False)
    user = await current_user(
        request, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
    )
    settings = _settings(request)
    try:
        session_id = await start_session(
            pool_of(request),
            user.user_id,
            idle=settings.session_idle,
            lifetime=settings.session_lifetime,
            replacing=session_id_of(request),
        )
    except asyncpg.ForeignKeyViolationError:
        raise ProblemError(
            422, "sessions are for users of `exitcases users add`, not single sign-on users"
        ) from None
    return session_id, user


async def sign_out(request: Request, response: Response) -> Response:
    """End the request's session, if any, and clear its cookie on ``response``."""
    session_id = session_id_of(request)
    if session_id is not None:
        await end_session(pool_of(request), session_id)
    clear_session_cookie(response, request)
    return response
