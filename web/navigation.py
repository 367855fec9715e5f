"""The navigation by role: each page in it shows for the roles the authorisation table lets
open it, so the menu and the pages' guards never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from api.auth import Principal
from api.authz import TABLE, Operation
from domain.people import Role


@dataclass(frozen=True)
class NavItem:
    text: str
    href: str
    operation: Operation
    # Narrower than the operation's roles, where a page is one role's view of it.
    only: frozenset[Role] | None = None


# In the order they appear; a role's first page is where signing in takes them.
NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Audit", "/audit", Operation.AUDIT_EXPORT),
    NavItem("Tasks", "/tasks", Operation.TASKS_LIST, frozenset(Role) - {Role.APPROVER}),
    NavItem("Approvals", "/approvals", Operation.TASKS_LIST, frozenset({Role.APPROVER})),
    # An officer's own cases, in plain words (web/routes/officer.py), instead of the case list.
    NavItem("Your case", "/your-case", Operation.CASES_READ, frozenset({Role.OFFICER})),
    NavItem("Escalations", "/escalations", Operation.CASES_NEEDING_ATTENTION),
    NavItem("Cases", "/cases", Operation.CASES_LIST, frozenset(Role) - {Role.OFFICER}),
    NavItem("Scheme", "/scheme", Operation.REPORTS_SCHEME),
    NavItem("Equality", "/reports/equality", Operation.REPORTS_EQUALITY),
    NavItem("Propose a retirement", "/propose", Operation.CASES_CREATE_EFFICIENCY),
    NavItem("Roster", "/officers/import", Operation.OFFICERS_IMPORT),
    NavItem("Users", "/admin/users", Operation.USERS_LIST),
    # Staff may read both (as in the API); the pages are in the menu of those who add them.
    NavItem("Schemes", "/admin/schemes", Operation.SCHEMES_WRITE),
    NavItem("Policies", "/admin/policies", Operation.POLICIES_WRITE),
    NavItem("Regulations", "/admin/regulations", Operation.REGULATIONS_WRITE),
)


def pages_for(user: Principal) -> list[NavItem]:
    return [
        item
        for item in NAVIGATION
        if user.role in TABLE[item.operation].roles
        and (item.only is None or user.role in item.only)
    ]


def navigation_for(user: Principal, path: str) -> list[dict[str, object]]:
    """Items for the GOV.UK service navigation, the current section marked."""
    return [
        {"href": item.href, "text": item.text, "active": path.startswith(item.href)}
        for item in pages_for(user)
    ]


def home_of(user: Principal) -> str:
    pages = pages_for(user)
    return pages[0].href if pages else "/cases"
