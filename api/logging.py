"""Every line logged while the API handles a case carries its case id (never personal data)."""

from __future__ import annotations

import re

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

_CASE_PATH = re.compile(r"^/v1/cases/(EX-[0-9A-Z]{10})(?:/|$)")


class CaseLoggingMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _CASE_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        with structlog.contextvars.bound_contextvars(case_id=match.group(1)):
            await self.app(scope, receive, send)
