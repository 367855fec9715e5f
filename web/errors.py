"""Errors on pages are pages: the API's handlers answer JSON problems, these answer HTML.

:func:`install_page_errors` wraps each exception handler the API installed: a request for a
page (a route of ``web/``, or an unknown address a browser navigated to) gets the page for the
error; every other request gets the API's problem document as before. Refusals say why in the
API's words, which are written for caseworkers and carry no personal data; an unexpected error
shows a reference that is in the log beside the error, never the error itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from http import HTTPStatus

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from api.auth import Principal
from api.limits import API_PREFIXES, FORM_OVERHEAD_BYTES
from api.problems import (
    UNAVAILABLE,
    UNSTORABLE,
    UNSTORABLE_DETAIL,
    ProblemError,
    methods_at,
)
from api.sessions import session_principal
from domain.people import Role
from web.format import sentence
from web.session import SignInNeeded
from web.templating import ROLE_NAMES, render

log = structlog.get_logger(__name__)

Handler = Callable[[Request, Exception], Response | Awaitable[Response]]


def is_page(request: Request) -> bool:
    route = request.scope.get("route")
    if route is not None:
        return getattr(getattr(route, "endpoint", None), "__module__", "").startswith("web.")
    accepts_html = "text/html" in request.headers.get("accept", "")
    return accepts_html and not request.url.path.startswith(API_PREFIXES)


async def _signed_in(request: Request) -> Principal | None:
    """Who to show in the error page's header; the page must not fail for want of it."""
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:
        return known
    try:
        return await session_principal(request)
    except UNAVAILABLE:  # the error may be the database itself
        return None


async def error_page(request: Request, exc: Exception) -> Response:
    if isinstance(exc, SignInNeeded):
        return RedirectResponse("/", status_code=303)
    status, detail = 500, None
    if isinstance(exc, ProblemError):
        status, detail = exc.status, exc.detail
    elif isinstance(exc, StarletteHTTPException):
        # Starlette's own (a form it cannot parse: 400) carry their reason as the detail; the
        # bare status phrase ("Forbidden") says less than the pages' own words for it.
        status = exc.status_code
        detail = exc.detail if exc.detail != HTTPStatus(status).phrase else None
    elif isinstance(exc, RequestValidationError):
        # An address no page has (a malformed case id): as for any unknown address.
        status = 404
    elif isinstance(exc, UNAVAILABLE):
        status = 503
    elif isinstance(exc, UNSTORABLE):
        # A NUL in an address or a field, say: bad input, as the API answers it (422).
        log.info("database refused a value", error_type=type(exc).__name__)
        status, detail = 422, UNSTORABLE_DETAIL
    if status == 401:
        return RedirectResponse("/", status_code=303)
    user = await _signed_in(request)
    if status == 404:
        return render(request, "errors/not-found.html", status_code=404, user=user)
    if status == 405:
        return _wrong_method(request, user)
    if status == 403:
        refusal: dict[str, object] = {"detail": sentence(detail) if detail else None}
        roles = exc.extensions.get("roles") if isinstance(exc, ProblemError) else None
        if roles:
            # People's words for the table's refusal: who it is for, not the operation's name.
            refusal = {"roles": [ROLE_NAMES[Role(r)] for r in roles]}
        return render(request, "errors/forbidden.html", refusal, status_code=403, user=user)
    if status == 503:
        return render(request, "errors/unavailable.html", status_code=503, user=user)
    if status < 500 and detail:
        refused = {"detail": sentence(detail)}
        return render(request, "errors/refused.html", refused, status_code=status, user=user)
    reference = secrets.token_hex(4).upper()
    log.error(
        "page failed",
        reference=reference,
        error_type=type(exc).__name__,
        path=getattr(request.scope.get("route"), "path", None),
        exc_info=exc,
    )
    failed = {"reference": reference}
    return render(request, "errors/unexpected.html", failed, status_code=500, user=user)


async def too_large_page(scope: Scope, receive: Receive, send: Send) -> None:
    """A page's form over the body limit (api/limits.py), answered before any route runs."""
    request = Request(scope, receive)
    file_mb = (scope["body_limit"] - FORM_OVERHEAD_BYTES) / 1_000_000
    refused = {"detail": f"The file is too large: the most a page accepts is {file_mb:.0f} MB"}
    user = await _signed_in(request)
    page = render(request, "errors/refused.html", refused, status_code=413, user=user)
    await page(scope, receive, send)


def _wrong_method(request: Request, user: Principal | None) -> Response:
    """A form's address visited (typed, or reloaded after the form came back with its errors)
    is no page; a form sent to a page takes nothing. Neither is the service failing."""
    if request.method in ("GET", "HEAD"):
        page = render(request, "errors/not-found.html", status_code=405, user=user)
    else:
        refused = {"detail": "This page does not take a form: go back and use the page's own"}
        page = render(request, "errors/refused.html", refused, status_code=405, user=user)
    page.headers["Allow"] = methods_at(request)
    return page


def _for_pages(api_handler: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if is_page(request):
            return await error_page(request, exc)
        answer = api_handler(request, exc)
        return await answer if isinstance(answer, Awaitable) else answer

    return handle


def install_page_errors(app: FastAPI) -> None:
    """Call after the API's handlers are installed."""
    for exc_class, handler in list(app.exception_handlers.items()):
        app.exception_handlers[exc_class] = _for_pages(handler)
    app.exception_handlers[SignInNeeded] = error_page
