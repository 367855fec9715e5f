"""Admins' pages: users (list, add with the token shown once, revoke), scheme policy versions,
regulation records and schemes (view, add a version).

Each page does what its API route does, through the same store and service functions and body
models (api/routes/users.py, policies.py, regulations.py, schemes.py): the checks and the words
are the API's.
A token is on the page that answers the form that made its user and nowhere else, as in the
API's answer: the service keeps only its hash.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from api.auth import Principal
from api.authz import Operation
from api.pagination import cursor_pattern
from api.problems import ProblemError
from api.routes.users import CreateUser
from api.routes.users import list_all as list_users_page
from domain.bounds import admit
from domain.clock import local_date
from domain.people import USER_ROLES, Tier
from domain.policy import SchemePolicy
from domain.regulation import Regulation
from domain.scheme import NAME_PATTERN, Scheme
from service.schemes import UnknownPolicy, add_scheme
from store import regulations, schemes, users
from store.policies import add_policy, current_policy, get_policy, list_policies
from store.users import UserCursor
from store.versions import VersionConflict
from web.format import sentence, words
from web.session import ALLOW_PAGE, CheckedForm
from web.templating import ROLE_NAMES, render

log = structlog.get_logger(__name__)

router = APIRouter()

PAGE_SIZE = 50
_CURSOR = re.compile(cursor_pattern(UserCursor))
UserId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _form_text(form: Any, names: tuple[str, ...]) -> dict[str, str]:
    return {n: v.strip() if isinstance(v := form.get(n), str) else "" for n in names}


def _field_id(name: str) -> str:
    return name.replace("_", "-")


def _problems(error: ValidationError) -> list[str]:
    """pydantic's errors in words, each led by the dotted path of its field."""
    said = []
    for e in error.errors():
        where = ".".join(str(part) for part in e["loc"])
        if e["type"] == "missing":
            said.append(f"{where} is missing")
        else:
            said.append(f"{where}: {e['msg'].removeprefix('Value error, ')}")
    return said


# -- users ----------------------------------------------------------------------------------


@router.get("/admin/users")
async def user_list(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.USERS_LIST]],
    cursor: str | None = None,
    revoked: str | None = None,
) -> HTMLResponse:
    if cursor is not None and not _CURSOR.fullmatch(cursor):
        cursor = None  # a cursor mangled by hand: the first page
    # The API's list of users, a page of it.
    page = await list_users_page(user, request.app.state.pool, PAGE_SIZE, cursor)
    revoked_user = await users.get_user(request.app.state.pool, revoked) if revoked else None
    context = {
        "page": page,
        "revoked_user": revoked_user,
    }
    return render(request, "admin/users.html", context, user=user)


_USER_FIELDS = ("name", "role", "tier", "officer_id", "email")
_USER_ERRORS = {
    "name": "Enter the person's name, in letters, spaces and punctuation",
    "role": "Select the role",
    "tier": "Select the tier: approvers need one, and only approvers have one",
    "officer_id": "Enter the officer's id as it is on the roster: officers need one, and only "
    "officers have one",
    "email": "Enter an email address like name@example.org, or leave it empty",
}


_NAME_TOO_LONG = "Enter a name of 200 characters or fewer"


def _user_field(error: ErrorDetails) -> str:
    """The field an error is about. The rule across fields (domain.people.check_role_fields)
    has none of its own: it is about the tier, or the officer id, that the role needs."""
    if error["loc"]:
        return str(error["loc"][0])
    return "tier" if "tier" in error["msg"] else "officer_id"


def _new_user_page(
    request: Request,
    user: Principal,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "values": values,
        "errors": errors,
        "error_list": [{"text": m, "href": f"#{_field_id(n)}"} for n, m in errors.items()],
        "roles": [(r.value, ROLE_NAMES[r]) for r in USER_ROLES],
        "tiers": [(t.value, words(t)) for t in Tier],
    }
    return render(request, "admin/new-user.html", context, status_code=status_code, user=user)


@router.get("/admin/users/new")
async def new_user(
    request: Request, user: Annotated[Principal, ALLOW_PAGE[Operation.USERS_CREATE]]
) -> HTMLResponse:
    return _new_user_page(request, user, {}, {})


@router.post("/admin/users/new")
async def add_user(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.USERS_CREATE]],
    form: CheckedForm,
) -> HTMLResponse:
    values = _form_text(form, _USER_FIELDS)
    try:
        body = CreateUser.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as error:
        problems = {_user_field(e): e["type"] for e in error.errors()}
        errors = {n: _USER_ERRORS[n] for n in _USER_FIELDS if n in problems}
        if problems.get("name") == "string_too_long":
            errors["name"] = _NAME_TOO_LONG
        return _new_user_page(request, user, values, errors, 400)
    created, token = await users.create_user(request.app.state.pool, **body.model_dump())
    log.info("user created", user_id=created.user_id, role=created.role.value, by=user.user_id)
    # Not a redirect: the token is on this answer only, never in an address or a later page.
    response = render(
        request, "admin/user-created.html", {"created": created, "token": token}, user=user
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/admin/users/{user_id}/revoke")
async def revoke_user(
    request: Request,
    user_id: UserId,
    user: Annotated[Principal, ALLOW_PAGE[Operation.USERS_REVOKE]],
    form: CheckedForm,
) -> Response:
    if user_id == user.user_id:
        raise ProblemError(
            409,
            "you cannot revoke your own token; ask another admin or use `exitcases users revoke`",
        )
    pool = request.app.state.pool
    if await users.get_user(pool, user_id) is None:
        raise ProblemError(404, "there is no user with this id")
    if await users.revoke_user(pool, user_id):
        log.info("user revoked", user_id=user_id, by=user.user_id)
    return RedirectResponse(f"/admin/users?revoked={user_id}", status_code=303)


# -- policies and regulations ---------------------------------------------------------------


def _document(model: BaseModel | None) -> str:
    return "" if model is None else json.dumps(model.model_dump(mode="json"), indent=2)


def _read_document(text: str, model: type[BaseModel]) -> tuple[Any, list[dict[str, str]]]:
    """The document typed, checked as the API checks a new one (with the bounds on new
    documents), or None and an error summary's list naming each field that is wrong."""
    if not text.strip():
        return None, [{"text": "Enter the document: the box is empty", "href": "#document"}]
    try:
        return admit(model, json.loads(text)), []
    except json.JSONDecodeError as error:
        message = (
            f"The document is not valid JSON: {error.msg.lower()} "
            f"(line {error.lineno}, column {error.colno})"
        )
        return None, [{"text": message, "href": "#document"}]
    except RecursionError:
        # Brackets nested past the parser's recursion limit: a few kilobytes can do it.
        message = "The document is nested too deeply to read: no document of ours nests so"
        return None, [{"text": message, "href": "#document"}]
    except ValidationError as error:
        return None, [{"text": said, "href": "#document"} for said in _problems(error)]


@dataclass(frozen=True)
class DocumentKind:
    name: str
    back: str
    home: str
    button: str
    starts_as: str = (
        "It starts as the newest version: change what differs, and give it a new version."
    )


POLICY = DocumentKind(
    "Add a policy version", "scheme policies", "/admin/policies", "Add policy version"
)
REGULATION = DocumentKind(
    "Add a regulation record", "regulation records", "/admin/regulations", "Add regulation record"
)
SCHEME = DocumentKind(
    "Add a scheme version",
    "schemes",
    "/admin/schemes",
    "Add scheme version",
    "It starts as the scheme in force: change what differs. The same name stores the scheme's "
    "next version, which is then in force; a new name adds a scheme.",
)
# How long the first scheme's window is open in the document an admin starts from; the window,
# the name and the budget are theirs to set.
_FIRST_WINDOW = timedelta(days=90)


def _first_scheme(policy_version: str, today: date) -> dict[str, Any]:
    return {
        "name": f"ves-{today.year}",
        "description": "",
        "policy_version": policy_version,
        "application_opens": today.isoformat(),
        "application_closes": (today + _FIRST_WINDOW).isoformat(),
        "budget": "25000000.00",
        "monthly_caps": {},
    }


def _document_page(
    request: Request,
    user: Principal,
    kind: DocumentKind,
    document: str,
    errors: list[dict[str, str]],
    status_code: int = 200,
) -> HTMLResponse:
    context = {"kind": kind, "document": document, "error_list": errors}
    return render(request, "admin/new-document.html", context, status_code=status_code, user=user)


def _refused_document(
    request: Request, user: Principal, kind: DocumentKind, document: str, message: str, status: int
) -> HTMLResponse:
    """The form again, with the one thing the store refused in the error summary."""
    errors = [{"text": message, "href": "#document"}]
    return _document_page(request, user, kind, document, errors, status)


@router.get("/admin/policies")
async def policy_list(
    request: Request, user: Annotated[Principal, ALLOW_PAGE[Operation.POLICIES_READ]]
) -> HTMLResponse:
    policies = await list_policies(request.app.state.pool)
    return render(request, "admin/policies.html", {"policies": policies}, user=user)


@router.get("/admin/policies/new")
async def new_policy(
    request: Request, user: Annotated[Principal, ALLOW_PAGE[Operation.POLICIES_WRITE]]
) -> HTMLResponse:
    # The current version to start from: a new version is most often a small change to it.
    current = await current_policy(request.app.state.pool)
    return _document_page(request, user, POLICY, _document(current), [])


@router.post("/admin/policies/new")
async def add_policy_version(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.POLICIES_WRITE]],
    form: CheckedForm,
) -> Response:
    text = _form_text(form, ("document",))["document"]
    policy, errors = _read_document(text, SchemePolicy)
    if policy is None:
        return _document_page(request, user, POLICY, text, errors, 400)
    try:
        await add_policy(request.app.state.pool, policy, user.user_id)
    except VersionConflict:
        message = (
            f"Policy version {policy.version} already exists with different content: choose a "
            "new version"
        )
        return _refused_document(request, user, POLICY, text, message, 409)
    return RedirectResponse(f"/admin/policies/{policy.version}?added=1", status_code=303)


@router.get("/admin/policies/{version}")
async def policy_page(
    request: Request,
    version: Annotated[str, Path(min_length=1, max_length=64)],
    user: Annotated[Principal, ALLOW_PAGE[Operation.POLICIES_READ]],
    added: str | None = None,
) -> HTMLResponse:
    policy = await get_policy(request.app.state.pool, version)
    if policy is None:
        raise ProblemError(404, "there is no policy with this version")
    context = {"policy": policy, "document": _document(policy), "added": bool(added)}
    return render(request, "admin/policy.html", context, user=user)


@router.get("/admin/regulations")
async def regulation_list(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.REGULATIONS_READ]],
    added: str | None = None,
) -> HTMLResponse:
    pool = request.app.state.pool
    records = await regulations.list_regulations(pool)
    context = {
        "records": [(r, _document(r)) for r in records],
        "names": await users.names_of(pool, (r.created_by for r in records)),
        "added": added,
    }
    return render(request, "admin/regulations.html", context, user=user)


@router.get("/admin/regulations/new")
async def new_regulation(
    request: Request, user: Annotated[Principal, ALLOW_PAGE[Operation.REGULATIONS_WRITE]]
) -> HTMLResponse:
    records = await regulations.list_regulations(request.app.state.pool)
    # The newest record, as the document an admin submits (without who stored it and when).
    document = ""
    if records:
        start = records[-1].model_dump(mode="json", include=set(Regulation.model_fields))
        document = json.dumps(start, indent=2)
    return _document_page(request, user, REGULATION, document, [])


@router.post("/admin/regulations/new")
async def add_regulation(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.REGULATIONS_WRITE]],
    form: CheckedForm,
) -> Response:
    text = _form_text(form, ("document",))["document"]
    regulation, errors = _read_document(text, Regulation)
    if regulation is None:
        return _document_page(request, user, REGULATION, text, errors, 400)
    try:
        await regulations.add_regulation(request.app.state.pool, regulation, user.user_id)
    except regulations.RegulationConflict as conflict:
        return _refused_document(request, user, REGULATION, text, sentence(str(conflict)), 409)
    return RedirectResponse(f"/admin/regulations?added={regulation.version}", status_code=303)


# -- schemes ----------------------------------------------------------------------------------


@router.get("/admin/schemes")
async def scheme_list(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.SCHEMES_WRITE]],
    added: Annotated[str | None, Query(max_length=64, pattern=NAME_PATTERN)] = None,
) -> HTMLResponse:
    pool = request.app.state.pool
    found = await schemes.list_schemes(pool)
    in_force = await schemes.current_scheme(pool)
    context = {
        "schemes": found,
        "names": await users.names_of(pool, (s.created_by for s in found)),
        "in_force": in_force.name if in_force else None,
        "added": added,
    }
    return render(request, "admin/schemes.html", context, user=user)


@router.get("/admin/schemes/new")
async def new_scheme(
    request: Request, user: Annotated[Principal, ALLOW_PAGE[Operation.SCHEMES_WRITE]]
) -> HTMLResponse:
    pool = request.app.state.pool
    in_force = await schemes.current_scheme(pool)
    if in_force is not None:
        return _document_page(request, user, SCHEME, _document(in_force), [])
    policy = await current_policy(pool)
    first = _first_scheme(policy.version if policy else "", local_date(datetime.now(UTC)))
    return _document_page(request, user, SCHEME, json.dumps(first, indent=2), [])


@router.post("/admin/schemes/new")
async def add_scheme_version(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.SCHEMES_WRITE]],
    form: CheckedForm,
) -> Response:
    text = _form_text(form, ("document",))["document"]
    scheme, errors = _read_document(text, Scheme)
    if scheme is None:
        return _document_page(request, user, SCHEME, text, errors, 400)
    try:
        # The same document as the version in force stores nothing: a second press of the
        # button adds no version.
        await add_scheme(request.app.state.pool, scheme, user.user_id)
    except UnknownPolicy:
        message = (
            f"policy_version: the scheme names policy version {scheme.policy_version}, which is "
            "not stored: add that version under Policies first, or name one that is"
        )
        return _refused_document(request, user, SCHEME, text, message, 400)
    return RedirectResponse(f"/admin/schemes?added={scheme.name}", status_code=303)
