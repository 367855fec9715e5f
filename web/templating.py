"""The Jinja2 environment: this service's templates, then the GOV.UK components' macros.

Pages render with :func:`render`, which adds what every page's layout needs: who is signed in
(the identity bar and the navigation by role) and the session's CSRF token for its forms.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    select_autoescape,
)

from api.auth import Principal
from domain.clock import local_date
from domain.people import Role
from web.actions import ACTION_NAMES
from web.format import FILTERS
from web.navigation import navigation_for
from web.session import csrf_token
from web.table import table

TEMPLATES = Path(__file__).with_name("templates")
SERVICE_NAME = "Exit cases"

environment = Environment(
    loader=ChoiceLoader(
        [
            FileSystemLoader(TEMPLATES),
            # As the package's own templates import each other: "govuk_frontend_jinja/...".
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    ),
    autoescape=select_autoescape(("html",)),
    # Templates change only with a new release: checking each file's time on every use (a
    # page and the macros it imports, 80-odd stat calls a request) bought nothing.
    auto_reload=False,
)
ROLE_NAMES = {
    Role.OFFICER: "Officer",
    Role.CASEWORKER: "Caseworker",
    Role.HR_MANAGER: "HR manager",
    Role.APPROVER: "Approver",
    Role.AUDITOR: "Auditor",
    Role.ADMIN: "Admin",
    Role.REPRESENTATIVE: "Representative",
    Role.SYSTEM: "The service",
}


def page_href(request: Request, cursor: str | None) -> str:
    """This page's address with its filters, at ``cursor`` (None: the first page)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    if cursor is not None:
        query.append(("cursor", cursor))
    return f"{request.url.path}?{urlencode(query)}" if query else request.url.path


def example_date() -> str:
    """A date for a form's hint that is not already past: 30 June next year."""
    return f"{local_date(datetime.now(UTC)).year + 1}-06-30"


environment.filters.update(FILTERS)
environment.globals.update(
    service_name=SERVICE_NAME,
    action_names=ACTION_NAMES,
    role_names=ROLE_NAMES,
    page_href=page_href,
    example_date=example_date,
    table=table,
)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    user: Principal | None = None,
) -> HTMLResponse:
    """The page ``template`` with ``context``; ``user`` is who is signed in (None: nobody)."""
    page = {
        "request": request,
        "user": user,
        "navigation": navigation_for(user, request.url.path) if user else [],
        "csrf_token": csrf_token(request) if user else None,
        **(context or {}),
    }
    return HTMLResponse(environment.get_template(template).render(page), status_code=status_code)


def render_form(
    request: Request,
    template: str,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    user: Principal,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A form's page: the values typed (kept on an error) and the errors by field name, each
    linked from the error summary to its field (id: the name with hyphens)."""
    error_list = [{"text": m, "href": f"#{n.replace('_', '-')}"} for n, m in errors.items()]
    page = {"values": values, "errors": errors, "error_list": error_list, **context}
    return render(request, template, page, status_code=status_code, user=user)
