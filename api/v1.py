"""Everything the HTTP API adds to the application: error handling, metrics, routers, OpenAPI."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp

from api.limits import BodyLimitMiddleware
from api.logging import CaseLoggingMiddleware
from api.metrics import install_metrics
from api.openapi import install_openapi
from api.page_headers import PageHeadersMiddleware
from api.problems import install_problem_handlers
from api.routes import (
    audit,
    cases,
    codec,
    documents,
    evidence,
    invitation_letters,
    letter_templates,
    notes,
    officers,
    policies,
    regulations,
    reports,
    representatives,
    schemes,
    session,
    subject_access,
    tasks,
    timeline,
    users,
)


def install_api(app: FastAPI, *, too_large_page: ASGIApp | None = None) -> None:
    """``too_large_page``: the answer to a page whose form is over the body limit (HTML)."""
    install_problem_handlers(app)
    app.add_middleware(CaseLoggingMiddleware)
    app.add_middleware(BodyLimitMiddleware, too_large_page=too_large_page)
    app.add_middleware(PageHeadersMiddleware)
    install_metrics(app)
    routers = (
        cases,
        evidence,
        notes,
        representatives,
        tasks,
        audit,
        timeline,
        documents,
        invitation_letters,
        letter_templates,
        officers,
        subject_access,
        policies,
        regulations,
        schemes,
        reports,
        users,
        codec,
        session,
    )
    for module in routers:
        app.include_router(module.router)
    install_openapi(app)
