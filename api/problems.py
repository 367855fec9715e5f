"""RFC 9457 problem documents for every error the API returns.

Every failure, whether raised by a route, by FastAPI's request validation, by routing (404,
405) or by a bug (500), leaves as ``application/problem+json`` with ``type``, ``title``,
``status`` and ``detail``. ``detail`` is written for a caseworker and never carries personal
data: request values are not echoed back, only the names of the fields that were wrong.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from temporalio.service import RPCError, RPCStatusCode

from config import search_attributes
from service.namespace import FIX

log = structlog.get_logger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Titles for the statuses the API uses; a problem's title never varies for one type.
_TITLES: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Not authenticated"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    412: ("case-changed", "The case has changed"),
    413: ("too-large", "Request too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid-input", "Invalid input"),
    428: ("precondition-required", "Precondition required"),
    429: ("too-many-requests", "Too many requests"),
    500: ("internal-error", "Internal error"),
    503: ("unavailable", "Service unavailable"),
}


class FieldError(BaseModel):
    """One thing wrong with the request: where, and why."""

    field: str = Field(description="Where: `body.amount`, `query.limit`, `line 3: annual_pay`.")
    message: str = Field(description="Why, in words; never the value sent.")


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/invalid-state",
                    "title": "Not allowed in this state",
                    "status": 409,
                    "detail": "'accept-offer' is not allowed while the case is hr_review; "
                    "allowed now: review, suspend, withdraw",
                }
            ]
        },
    )

    type: str = Field(description="A URI reference naming the kind of problem.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong here, and what is allowed instead.")
    errors: list[FieldError] | None = Field(
        default=None, description="For invalid input: each field that was wrong."
    )


class ProblemError(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        default_kind, default_title = _TITLES.get(status, ("error", "Error"))
        self.status = status
        self.detail = detail
        self.kind = kind or default_kind
        self.title = title or default_title
        self.errors = errors
        self.headers = headers
        self.extensions = extensions


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    default_kind, default_title = _TITLES.get(status, ("error", "Error"))
    body: dict[str, Any] = {
        "type": f"/problems/{kind or default_kind}",
        "title": title or default_title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [e.model_dump() for e in errors]
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def unauthenticated(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


# pydantic's messages sometimes quote the input ("Input should be ... [input_value=...]" is
# not in msg, but some custom validators put values in); keep the type-level message only.
def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "is invalid"))
    return message.removeprefix("Value error, ")


def validation_errors(errors: Any) -> list[FieldError]:
    return [
        FieldError(field=_location(tuple(e.get("loc", ()))), message=_message(e)) for e in errors
    ]


async def _problem_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status,
        exc.detail,
        kind=exc.kind,
        title=exc.title,
        errors=exc.errors,
        headers=exc.headers,
        **exc.extensions,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return problem_response(400, "the request body is not valid JSON", kind="malformed-json")
    errors = validation_errors(exc.errors())
    fields = ", ".join(dict.fromkeys(e.field for e in errors))
    return problem_response(422, f"invalid input in: {fields}", errors=errors)


def methods_at(request: Request) -> str:
    """Every method the request's path answers, for ``Allow``.

    Starlette's own 405 names the methods of the first route that matched the path only; a path
    served by several routes (``GET`` and ``POST /v1/cases``) would seem to allow one of them.
    """
    methods = {"OPTIONS"}
    for route in iter_route_contexts(request.app.routes):
        if route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods or set()
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = getattr(exc, "headers", None)
    if status == 404:
        detail = "there is nothing at this address"
    elif status == 405:
        allow = methods_at(request)
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": allow})
        detail = f"{request.method} is not allowed here; allowed: {allow}"
        headers = {**(headers or {}), "Allow": allow}
    else:
        detail = str(exc.detail) if exc.detail else _TITLES.get(status, ("", "Error"))[1]
    return problem_response(status, detail, headers=headers)


# A value PostgreSQL cannot hold (out of range, a character it cannot store): bad input.
UNSTORABLE = (asyncpg.DataError,)
UNSTORABLE_DETAIL = "a value is out of range or contains characters that cannot be stored"


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    log.info("database refused a value", error_type=type(exc).__name__)
    return problem_response(422, UNSTORABLE_DETAIL)


# A dependency that cannot be reached: the request did nothing it could not undo or replay.
UNAVAILABLE = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


def _namespace_not_set_up(exc: RPCError) -> str | None:
    """What Temporal's refusal says the namespace lacks, if that is what it is about.

    Temporal answers INVALID_ARGUMENT "Namespace X has no mapping defined for search attribute
    Y" for an attribute never registered, and NOT_FOUND "Namespace X is not found." for a
    namespace never created. Only the names the service itself uses are repeated.
    """
    if exc.status is RPCStatusCode.INVALID_ARGUMENT and "search attribute" in exc.message:
        named = [key.name for key in search_attributes.ALL if key.name in exc.message]
        return f"lacks the search attribute {', '.join(named)}" if named else None
    if exc.status is RPCStatusCode.NOT_FOUND and exc.message.startswith("Namespace "):
        return "does not exist"
    return None


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, RPCError) and (lack := _namespace_not_set_up(exc)) is not None:
        log.error("temporal namespace not set up", lack=lack)
        return problem_response(
            503,
            f"the workflow engine's namespace {lack}, so nothing was changed; an operator must "
            f"{FIX}, then the request can be sent again",
            kind="not-set-up",
        )
    if isinstance(exc, RPCError) and exc.status not in {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
    }:
        return await _unexpected(request, exc)
    log.warning("dependency unreachable", error_type=type(exc).__name__)
    return problem_response(
        503,
        "the database or the workflow engine cannot be reached just now; "
        "nothing was changed, so the request can be sent again shortly",
        kind="unavailable",
        headers={"Retry-After": "5"},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The exception's text may hold personal data; log its type and the route only.
    log.error(
        "unhandled error",
        error_type=type(exc).__name__,
        path=getattr(request.scope.get("route"), "path", None),
        exc_info=exc,
    )
    return problem_response(500, "something went wrong on our side; it has been logged")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for unstorable in UNSTORABLE:
        app.add_exception_handler(unstorable, _unstorable)
    for unavailable in (*UNAVAILABLE, RPCError):
        app.add_exception_handler(unavailable, _unavailable)
    app.add_exception_handler(Exception, _unexpected)


def problem_example(status: int, detail: str, kind: str | None = None) -> dict[str, Any]:
    default_kind, title = _TITLES.get(status, ("error", "Error"))
    return {
        "type": f"/problems/{kind or default_kind}",
        "title": title,
        "status": status,
        "detail": detail,
    }


_DEFAULT_EXAMPLES: dict[int, str] = {
    400: "the request body is not valid JSON",
    401: "send 'Authorization: Bearer <token>' with a token that has not been revoked",
    403: "the auditor role may not 'review'; it needs: caseworker",
    404: "no case EX-0000000000",
    409: "'approve' is not allowed while the case is hr_review; allowed now: review, withdraw",
    413: "the roster is larger than 10 MB",
    412: "the case has changed since you read it: you sent version 7, it is now at version 9; "
    "read it again and decide on what it shows now",
    415: "send the roster as text/csv",
    422: "invalid input in: body.reason",
    428: "'approve' decides on the case's figures: send If-Match with the ETag from "
    "GET /v1/cases/{case_id} (or that version in the body's 'version'), so that a case changed "
    "since you read it is refused rather than decided unseen",
    503: "the case service did not confirm the action in time; read the case before retrying",
}


def problem_responses(*statuses: int, **details: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problems a route may answer with.

    ``details`` overrides an example's detail by status: ``s409="..."``.
    """
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        detail = details.get(f"s{status}", _DEFAULT_EXAMPLES.get(status, "see title"))
        responses[status] = {
            "description": _TITLES[status][1],
            "content": {
                PROBLEM_MEDIA_TYPE: {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": problem_example(status, detail),
                }
            },
        }
    return responses
