"""Signing in and out of a browser session (the cookie of api/sessions.py).

``POST /session`` takes the user's token, as JSON or from the sign-in page's form, and sets the
session cookie; ``DELETE /session`` ends it. ``GET /sign-in`` is a plain page for staff who want
the Temporal Web UI to show decoded payloads; the web application will bring its own.
"""

from __future__ import annotations

import html
from typing import Annotated, Any
from urllib.parse import parse_qs

import asyncpg
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field, ValidationError

from api.auth import Principal, current_user
from api.deps import AppSettings, Pool
from api.problems import ProblemError, problem_responses
from api.sessions import (
    check_origin,
    clear_session_cookie,
    session_id_of,
    session_principal,
    set_session_cookie,
)
from config.settings import Settings
from domain.people import Role
from store.sessions import end_session, start_session

router = APIRouter(tags=["sessions"])

_FORM = "application/x-www-form-urlencoded"


class SignIn(BaseModel):
    token: Annotated[str, Field(min_length=1, max_length=4096)]


class Session(BaseModel):
    user_id: str
    role: Role


def _is_form(request: Request) -> bool:
    """Whether the body is the sign-in page's form (media types are case-insensitive)."""
    media_type = request.headers.get("content-type", "").split(";")[0]
    return media_type.strip().lower() == _FORM


async def _token(request: Request) -> str:
    raw = await request.body()
    if _is_form(request):
        return parse_qs(raw.decode(errors="replace")).get("token", [""])[0].strip()
    try:
        return SignIn.model_validate_json(raw).token
    except ValidationError:
        raise ProblemError(422, 'send {"token": "<your token>"} as JSON, or a form') from None


async def _sign_in(
    request: Request, pool: asyncpg.Pool, settings: Settings
) -> tuple[str, Principal]:
    # No other page signs a browser in as someone else; a script without a page may sign in.
    check_origin(request, required=False)
    token = await _token(request)
    user = await current_user(
        request, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
    )
    try:
        session_id = await start_session(
            pool,
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


def _sign_in_responses() -> dict[int | str, dict[str, Any]]:
    """Problems for JSON; the sign-in page again, or a redirect to it, for the form."""
    responses = problem_responses(401, 403, 422, 429)
    responses[401]["content"]["text/html"] = {"schema": {"type": "string"}}
    responses[303] = {"description": "Signed in from the form: back to the sign-in page."}
    return responses


_SIGN_IN_RESPONSES = _sign_in_responses()


@router.post(
    "/session",
    status_code=201,
    summary="Sign in: a session cookie for the browser",
    description="Checks the token and sets an HttpOnly session cookie, which the Temporal Web "
    "UI sends to /codec. The session ends after EXITCASES_SESSION_IDLE_MINUTES unused, "
    "EXITCASES_SESSION_LIFETIME_HOURS in all, on DELETE /session, or when the user is revoked.",
    response_model=Session,
    responses=_SIGN_IN_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": SignIn.model_json_schema()},
                _FORM: {"schema": SignIn.model_json_schema()},
            },
        }
    },
)
async def create_session(request: Request, pool: Pool, settings: AppSettings) -> Response:
    form = _is_form(request)
    try:
        session_id, user = await _sign_in(request, pool, settings)
    except ProblemError as error:
        if not form or error.status != 401:
            raise
        return HTMLResponse(_page(error="That token is not valid."), status_code=401)
    response: Response
    if form:
        response = RedirectResponse("/sign-in", status_code=303)
    else:
        body = Session(user_id=user.user_id, role=user.role).model_dump_json()
        response = Response(body, status_code=201, media_type="application/json")
    set_session_cookie(response, request, session_id)
    return response


async def _sign_out(request: Request, pool: asyncpg.Pool, response: Response) -> Response:
    check_origin(request, required=True)  # no other page signs a browser out
    session_id = session_id_of(request)
    if session_id is not None:
        await end_session(pool, session_id)
    clear_session_cookie(response, request)
    return response


@router.delete(
    "/session",
    status_code=204,
    summary="Sign out: end the browser session",
    responses={
        204: {"description": "The session has ended (or there was none)."},
        **problem_responses(
            403, s403="requests from https://elsewhere.example may not use a session"
        ),
    },
)
async def delete_session(request: Request, pool: Pool) -> Response:
    return await _sign_out(request, pool, Response(status_code=204))


@router.post("/sign-out", include_in_schema=False)
async def sign_out_form(request: Request, pool: Pool) -> Response:
    return await _sign_out(request, pool, RedirectResponse("/sign-in", status_code=303))


@router.get("/sign-in", include_in_schema=False)
async def sign_in_page(request: Request) -> HTMLResponse:
    user = await session_principal(request)
    return HTMLResponse(_page(signed_in=user))


# GOV.UK's look (type, colours, the black header and green button) without its frontend
# package: the page must load nothing from elsewhere.
_STYLE = """
body{margin:0;font-family:arial,sans-serif;font-size:19px;line-height:1.3;color:#0b0c0c}
header{background:#0b0c0c;color:#fff;padding:10px 15px;font-weight:700;font-size:24px}
main{max-width:640px;margin:30px 15px}
h1{font-size:36px;margin:0 0 20px}
label{display:block;font-weight:700;margin-bottom:5px}
input[type=password]{font-size:19px;padding:5px;width:100%;max-width:480px;
 border:2px solid #0b0c0c;box-sizing:border-box}
input:focus{outline:3px solid #fd0;box-shadow:inset 0 0 0 2px}
button{margin-top:20px;font-size:19px;padding:8px 10px;color:#fff;background:#00703c;
 border:0;box-shadow:0 2px 0 #002d18;cursor:pointer}
.error{border-left:5px solid #d4351c;padding-left:15px;color:#d4351c;font-weight:700}
"""


def _page(*, signed_in: Principal | None = None, error: str | None = None) -> str:
    if signed_in is not None:
        content = f"""<h1>You are signed in</h1>
<p>As {html.escape(signed_in.user_id)} ({html.escape(signed_in.role.value)}). The Temporal
Web UI on this host now shows decoded case data; every decoding is recorded.</p>
<form method="post" action="/sign-out"><button type="submit">Sign out</button></form>"""
    else:
        message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
        content = f"""<h1>Sign in</h1>{message}
<form method="post" action="/session">
<label for="token">Your access token</label>
<input type="password" id="token" name="token" autocomplete="off" required>
<button type="submit">Sign in</button></form>"""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Exit Case Service</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_STYLE}</style></head>
<body><header>Exit Case Service</header><main>{content}</main></body></html>"""
