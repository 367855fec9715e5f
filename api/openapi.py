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

# PostgreSQL cannot store NUL in text, so no string the API takes may hold one: request bodies
# refuse it (api.bodies), anything else meets the database's refusal (a 422). Said once here
# for every string the document does not already give a pattern, format or set of values.
NO_NUL_PATTERN = r"^[^\x00]*$"
_SHAPED = ("pattern", "format", "enum", "const", "contentMediaType")

# Rules JSON Schema cannot state, in the description of the schema they belong to.
_PROSE_RULES = {
    "Regulation": "`effective_to`, when given, is not before `effective_from`.",
}


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
            _absent_is_not_null(operation)
            _precondition_required(operation)
            _forbid_nul_in_requests(operation, schemas)
    for name, rule in _PROSE_RULES.items():
        if name in schemas:
            described = schemas[name].get("description", "")
            schemas[name]["description"] = f"{described}\n\n{rule}".strip()
    return document


def _absent_is_not_null(operation: dict[str, Any]) -> None:
    # FastAPI writes an optional parameter as "a string or null"; but a query parameter or
    # header is either sent, as a string, or left out: `required: false` says the second, and a
    # client that took the null literally would send the text "null".
    for parameter in operation.get("parameters", []):
        options = parameter.get("schema", {}).get("anyOf", [])
        if not parameter.get("required") and {"type": "null"} in options:
            kept = [option for option in options if option != {"type": "null"}]
            if len(kept) == 1:
                rest = {k: v for k, v in parameter["schema"].items() if k != "anyOf"}
                parameter["schema"] = {**kept[0], **rest}


def _precondition_required(operation: dict[str, Any]) -> None:
    # A decision on figures answers 428 without If-Match (api.preconditions): the document says
    # the header is required there. The dependency itself stays optional so that a missing
    # header gets that 428, which says what to send, rather than a bare validation error.
    if "428" in operation["responses"]:
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "header" and parameter["name"] == "If-Match":
                parameter["required"] = True


def _forbid_nul_in_requests(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    targets = [p["schema"] for p in operation.get("parameters", []) if "schema" in p]
    for media in operation.get("requestBody", {}).get("content", {}).values():
        if "schema" in media:
            targets.append(media["schema"])
    seen: set[str] = set()
    for schema in targets:
        _forbid_nul(schema, schemas, seen)


def _forbid_nul(schema: Any, schemas: dict[str, Any], seen: set[str]) -> None:
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref", "")
    if ref.startswith(_REF) and ref not in seen:
        seen.add(ref)
        _forbid_nul(schemas.get(ref.removeprefix(_REF)), schemas, seen)
    if schema.get("type") == "string" and not any(key in schema for key in _SHAPED):
        schema["pattern"] = NO_NUL_PATTERN
    for key in ("properties", "patternProperties", "$defs"):
        for child in schema.get(key, {}).values():
            _forbid_nul(child, schemas, seen)
    for key in ("items", "additionalProperties", "propertyNames"):
        _forbid_nul(schema.get(key), schemas, seen)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for child in schema.get(key, []):
            _forbid_nul(child, schemas, seen)


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    # FastAPI's documented way to customise the schema: replace the app's method.
    app.openapi = openapi  # type: ignore[method-assign]
