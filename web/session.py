"""Who is signed in to a page, what their role lets them open, and the CSRF check on forms.

Pages use the API's browser session (api/sessions.py: an HttpOnly cookie, idle and absolute
timeouts, ended by revocation). The CSRF token is a synchronizer token bound to the session:
an HMAC of a fixed label keyed by the session id, so it is unguessable without the cookie,
changes with every sign-in, and needs no storage. Every state-changing form carries it, and
:func:`checked_form` refuses a POST without the right one (and one from another site's page).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from api.access import allow
from api.auth import Principal
from api.authz import Operation
from api.problems import ProblemError
from api.sessions import check_origin, session_id_of, session_principal

CSRF_FIELD = "csrf_token"


class SignInNeeded(Exception):
    """No live session: the page answers with the sign-in page's address."""


async def page_user(request: Request) -> Principal:
    """The session's user, or :class:`SignInNeeded`."""
    user = await session_principal(request)
    if user is None:
        raise SignInNeeded
    request.state.principal = user
    return user


PageUser = Annotated[Principal, Depends(page_user)]

# A page's role guard, one per row of the authorisation table: ``user: ALLOW_PAGE[op]``.
ALLOW_PAGE: dict[Operation, Any] = {op: allow(op, page_user) for op in Operation}


def csrf_token(request: Request) -> str | None:
    session_id = session_id_of(request)
    if session_id is None:
        return None
    return hmac.new(session_id.encode(), b"exitcases-csrf", hashlib.sha256).hexdigest()


async def checked_form(request: Request, user: PageUser) -> FormData:
    """The POSTed form of a signed-in user, once its CSRF token is the session's."""
    check_origin(request, required=False)
    form = await request.form()
    given = form.get(CSRF_FIELD)
    expected = csrf_token(request)
    if not isinstance(given, str) or expected is None or not hmac.compare_digest(given, expected):
        raise ProblemError(
            403,
            "This form was not sent from a page of this service you have open now, so nothing "
            "was changed. Go back, reload the page and send it again.",
            kind="csrf",
        )
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def form_values(form: FormData, names: Iterable[str]) -> dict[str, str]:
    """The named fields as typed, trimmed; "" for one not sent."""
    return {
        name: value.strip() if isinstance(value := form.get(name), str) else "" for name in names
    }
