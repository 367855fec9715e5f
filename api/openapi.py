"""The OpenAPI document: problem documents for every error, bearer auth, examples.

FastAPI documents its validation errors with its own ``HTTPValidationError``; this API answers
them with RFC 9457 problems, so the document is rewritten to say so.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.problems import PROBLEM_MEDIA_TYPE, FieldError, Problem, problem_responses

_REF = "#/components/schemas/"


def _schema_of(model: type[Problem] | type[FieldError]) -> dict[str, Any]:
    return model.model_json_schema(ref_template=_REF + "{model}")


def build_openapi(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem = _schema_of(Problem)
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if "422" in responses:
                content = responses["422"].get("content", {})
                if PROBLEM_MEDIA_TYPE not in content:
                    responses["422"] = problem_responses(422)[422]
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body and "400" not in responses:
                responses["400"] = problem_responses(
                    400, s400="the request body is not valid JSON"
                )[400]
            if operation.get("security") and "401" not in responses:
                responses["401"] = problem_responses(401)[401]
    return document


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
