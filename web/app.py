"""Mounts the web application in the API's FastAPI app: pages at ``/``, files at ``/assets``
(the GOV.UK and MOJ frontends, fetched by ``exitcases-assets``) and ``/static`` (ours)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from config.settings import Settings
from web.errors import install_page_errors
from web.routes import (
    admin,
    audit,
    cases,
    equality,
    home,
    hr,
    officer,
    paper_trail,
    roster,
    scheme,
    tasks,
)

STATIC = Path(__file__).with_name("static")
ROUTERS = (home, tasks, cases, officer, paper_trail, hr, roster, audit, admin, scheme, equality)


def install_web(app: FastAPI, settings: Settings) -> None:
    """Call after ``install_api``: the pages wrap the API's error handlers."""
    if settings.oidc_issuer:
        raise RuntimeError(
            "EXITCASES_OIDC_ISSUER is set, but OpenID Connect sign-in is not built yet "
            "(docs/web.md says where it plugs in); unset it to sign in with access tokens"
        )
    for module in ROUTERS:
        app.include_router(module.router, include_in_schema=False)
    # check_dir=False: the API starts (and answers JSON) before the install step has run; the
    # pages then lack their styles, which `exitcases-assets` puts right.
    app.mount("/assets", StaticFiles(directory=settings.frontend_dir, check_dir=False), "assets")
    app.mount("/static", StaticFiles(directory=STATIC), "static")
    install_page_errors(app)
