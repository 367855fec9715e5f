"""Cross-origin calls from the Temporal Web UI, refused as problem documents like every error.

Starlette's middleware decides; a refused preflight keeps its status and headers but answers
``application/problem+json`` instead of plain text.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from api.problems import problem_response
from config.settings import Settings


class ProblemCORSMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        # Starlette's text names what failed ("Disallowed CORS origin, method"), never a value.
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        headers = {
            name: value
            for name, value in response.headers.items()
            if name not in {"content-length", "content-type"}
        }
        return problem_response(
            response.status_code,
            f"this cross-origin request is not allowed; refused: {refused}",
            kind="cors-refused",
            headers=headers,
        )


def install_cors(app: FastAPI, settings: Settings) -> None:
    # The Temporal Web UI calls /codec from the browser, from its own origin, with the session
    # cookie (docs/temporal-ui.md).
    app.add_middleware(
        ProblemCORSMiddleware,
        allow_origins=settings.ui_origin_list(),
        allow_methods=["POST"],
        allow_headers=["Authorization", "Content-Type", "X-Namespace"],
        allow_credentials=True,
    )
