"""Signing in and out of a browser session (the cookie of api/sessions.py), for scripts.

``POST /session`` takes the user's token as JSON and sets the session cookie; ``DELETE
/session`` ends it. People sign in on the web application's page at ``/`` (web/routes/home.py),
which makes the same session.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, ValidationError

from api.problems import ProblemError, problem_responses
from api.sessions import check_origin, set_session_cookie, sign_in, sign_out
from domain.people import Role

router = APIRouter(tags=["sessions"])


class SignIn(BaseModel):
    token: Annotated[str, Field(min_length=1, max_length=4096)]


class Session(BaseModel):
    user_id: str
    role: Role


@router.post(
    "/session",
    status_code=201,
    summary="Sign in: a session cookie for the browser",
    description="Checks the token and sets an HttpOnly session cookie, which the web pages "
    "and the Temporal Web UI's calls to /codec use. The session ends after "
    "EXITCASES_SESSION_IDLE_MINUTES unused, EXITCASES_SESSION_LIFETIME_HOURS in all, on "
    "DELETE /session, or when the user is revoked.",
    response_model=Session,
    responses=problem_responses(401, 403, 422, 429),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SignIn.model_json_schema()}},
        }
    },
)
async def create_session(request: Request) -> Response:
    try:
        token = SignIn.model_validate_json(await request.body()).token
    except ValidationError:
        raise ProblemError(422, 'send {"token": "<your token>"} as JSON') from None
    session_id, user = await sign_in(request, token)
    body = Session(user_id=user.user_id, role=user.role).model_dump_json()
    response = Response(body, status_code=201, media_type="application/json")
    set_session_cookie(response, request, session_id)
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
async def delete_session(request: Request) -> Response:
    check_origin(request, required=True)  # no other page signs a browser out
    return await sign_out(request, Response(status_code=204))
