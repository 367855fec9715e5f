"""Signing in and out, and ``/``: the sign-in page, or the signed-in user's first page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.problems import ProblemError
from api.sessions import session_principal, set_session_cookie, sign_in, sign_out
from web.navigation import home_of
from web.session import CheckedForm, PageUser
from web.templating import render

router = APIRouter()

_MAX_TOKEN_LENGTH = 4096


@router.get("/")
async def home(request: Request) -> Response:
    user = await session_principal(request)
    if user is None:
        return render(request, "sign-in.html")
    return RedirectResponse(home_of(user), status_code=303)


@router.post("/sign-in")
async def sign_in_form(request: Request) -> Response:
    form = await request.form()
    token = form.get("token")
    token = token.strip() if isinstance(token, str) else ""
    error = None
    if not token:
        error = "Enter your access token"
    elif len(token) > _MAX_TOKEN_LENGTH:
        error = "That access token is not valid: check it and enter it again"
    else:
        try:
            session_id, user = await sign_in(request, token)
        except ProblemError as refused:
            if refused.status != 401:
                raise
            error = "That access token is not valid or has been revoked: check it and try again"
        else:
            response = RedirectResponse(home_of(user), status_code=303)
            set_session_cookie(response, request, session_id)
            return response
    # The token is a secret: the form comes back empty, unlike every other form.
    return render(request, "sign-in.html", {"error": error}, status_code=401 if token else 400)


@router.get("/sign-out")
async def sign_out_page(request: Request, user: PageUser) -> HTMLResponse:
    """The header's `Sign out` link: a page whose button signs out. A GET must change nothing
    (another site could make a browser follow a link), so signing out is the form's POST."""
    return render(request, "sign-out.html", user=user)


@router.post("/sign-out")
async def sign_out_form(request: Request, form: CheckedForm) -> Response:
    return await sign_out(request, RedirectResponse("/", status_code=303))
