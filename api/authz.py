"""Authorisation, in one place: which roles may do what, and the extra rules that narrow it.

Every route and every case action has one row in :data:`TABLE`. A route calls :func:`require`
(or :func:`check_action` for a case action) and nothing else decides who may do what. The
workflow's validators check roles, state and four eyes again, so a client that slipped past the
API still could not move a case; here the point is to answer 403 (or 404) before calling it.

Which actions a caller may take on a case now (a case's ``allowed_actions``, a page's buttons)
is ``domain.actions.actions_open_to(view, principal)``: the rule the workflow refuses by, over
the same roles (``ACTION_ROLES``) as the action rows here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from api.auth import Principal
from api.problems import ProblemError
from domain.actions import actions_now, tier_refusal
from domain.case import CaseView
from domain.lifecycle import ACTION_ROLES, Action, CaseKind
from domain.people import Role, Tier
from service.kinds import KINDS


class Operation(StrEnum):
    """Everything the API lets someone do, apart from case actions (which are :class:`Action`)."""

    OFFICERS_IMPORT = "officers.import"
    CASES_CREATE_VOLUNTARY = "cases.create.voluntary_exit"
    CASES_CREATE_EFFICIENCY = "cases.create.efficiency_retirement"
    CASES_LIST = "cases.list"
    CASES_NEEDING_ATTENTION = "cases.needing_attention"
    CASES_READ = "cases.read"
    CASES_AUDIT = "cases.audit"
    TASKS_LIST = "tasks.list"
    AUDIT_EXPORT = "audit.export"
    AUDIT_ACCESS = "audit.access"
    CASES_TIMELINE = "cases.timeline"
    DOCUMENTS_READ = "documents.read"
    LETTER_TEMPLATES_READ = "letter_templates.read"
    LETTER_TEMPLATES_WRITE = "letter_templates.write"
    CODEC = "codec"
    POLICIES_READ = "policies.read"
    POLICIES_WRITE = "policies.write"
    REGULATIONS_READ = "regulations.read"
    REGULATIONS_WRITE = "regulations.write"
    USERS_LIST = "users.list"
    USERS_CREATE = "users.create"
    USERS_REVOKE = "users.revoke"
    EVIDENCE_ADD = "evidence.add"
    EVIDENCE_READ = "evidence.read"
    NOTES_ADD = "notes.add"
    NOTES_READ = "notes.read"
    REPRESENTATIVE_READ = "representative.read"
    REPRESENTATIVE_NOMINATE = "representative.nominate"
    REPRESENTATIVE_WITHDRAW = "representative.withdraw"
    SUBJECT_ACCESS_EXPORT = "officers.subject_access_export"
    SCHEMES_READ = "schemes.read"
    SCHEMES_WRITE = "schemes.write"
    SCHEMES_INVITE = "schemes.invite"
    REPORTS_SCHEME = "reports.scheme"
    REPORTS_EQUALITY = "reports.equality"


class Rule(StrEnum):
    """Extra rules beyond the role."""

    # Officers see and act only on their own case; anyone else's is a 404, never a 403.
    OWN_CASE = "own_case"
    # Officers open a case only for their own officer id.
    OWN_OFFICER_ID = "own_officer_id"
    # Approvers decide only for the tier now due on the case.
    TIER_DUE = "tier_due"
    # A caseworker taking this action does it on the officer's behalf (recorded as such).
    ON_BEHALF = "on_behalf"
    # Only the executive tier decides efficiency retirement (proposal and panel).
    EXECUTIVE = "executive"
    # Representatives see and act only on the cases whose officer nominated them (the
    # nomination in force); any other case is a 404, as for officers.
    NOMINATED = "nominated"


@dataclass(frozen=True)
class Permission:
    roles: frozenset[Role]
    writes: bool
    rules: frozenset[Rule] = frozenset()
    # What the 403 says the caller tried to do.
    what: str = ""


STAFF = frozenset({Role.CASEWORKER, Role.HR_MANAGER, Role.APPROVER, Role.AUDITOR, Role.ADMIN})
_R = Role
_CASE_READERS = frozenset(Role) - {_R.SYSTEM}
_OWN = frozenset({Rule.OWN_CASE, Rule.NOMINATED})
# The people who work cases: they write notes and read them, and attach for an officer.
_CASE_STAFF = frozenset({_R.CASEWORKER, _R.HR_MANAGER, _R.APPROVER})


def _action_permission(action: Action) -> Permission:
    rules = {Rule.OWN_CASE, Rule.NOMINATED}
    if action in {Action.APPROVE, Action.REJECT}:
        rules.add(Rule.TIER_DUE)
    if action in {Action.WITHDRAW, Action.PROVIDE_INFO, Action.MAKE_REPRESENTATIONS}:
        rules.add(Rule.ON_BEHALF)
    if action in {Action.DECIDE, Action.PANEL_DECISION}:
        rules.add(Rule.EXECUTIVE)
    return Permission(ACTION_ROLES[action], True, frozenset(rules), f"'{action.value}'")


def _starters(kind: CaseKind) -> frozenset[Role]:
    registration = KINDS.get(kind)
    return registration.starters if registration else frozenset()


TABLE: dict[Operation | Action, Permission] = {
    Operation.OFFICERS_IMPORT: Permission(
        frozenset({_R.CASEWORKER, _R.ADMIN}), True, what="import the roster"
    ),
    # Who may start each kind is the kind's registration (service/kinds.py).
    # A caseworker who opens an officer's voluntary exit case applies for them.
    Operation.CASES_CREATE_VOLUNTARY: Permission(
        _starters(CaseKind.VOLUNTARY_EXIT),
        True,
        frozenset({Rule.OWN_OFFICER_ID, Rule.ON_BEHALF}),
        "open a voluntary exit case",
    ),
    Operation.CASES_CREATE_EFFICIENCY: Permission(
        _starters(CaseKind.EFFICIENCY_RETIREMENT),
        True,
        what="propose an efficiency retirement case",
    ),
    # Listing and reading one case go together: whoever may open a case may find it, and the
    # reverse (docs/roles.md says why admins have both).
    Operation.CASES_LIST: Permission(_CASE_READERS, False, _OWN, "list cases"),
    # Escalations come to HR managers; admins halt the efficiency cases among them.
    Operation.CASES_NEEDING_ATTENTION: Permission(
        frozenset({_R.HR_MANAGER, _R.ADMIN}), False, what="list cases that need attention"
    ),
    Operation.CASES_READ: Permission(_CASE_READERS, False, _OWN, "read cases"),
    Operation.CASES_AUDIT: Permission(
        frozenset({_R.OFFICER, _R.CASEWORKER, _R.HR_MANAGER, _R.AUDITOR}),
        False,
        frozenset({Rule.OWN_CASE}),
        "read a case's audit events",
    ),
    Operation.TASKS_LIST: Permission(STAFF, False, what="list tasks"),
    Operation.AUDIT_EXPORT: Permission(frozenset({_R.AUDITOR}), False, what="export the audit log"),
    Operation.AUDIT_ACCESS: Permission(frozenset({_R.AUDITOR}), False, what="read the access log"),
    # Decoded payloads hold officers' personal data: the people who work the cases, and auditors.
    Operation.CODEC: Permission(
        frozenset({_R.CASEWORKER, _R.HR_MANAGER, _R.AUDITOR, _R.ADMIN}),
        False,
        what="decode workflow payloads",
    ),
    Operation.CASES_TIMELINE: Permission(
        frozenset({_R.CASEWORKER, _R.HR_MANAGER, _R.AUDITOR}), False, what="read a case's timeline"
    ),
    # An officer's letters are theirs to download; staff who may read the case read its letters.
    Operation.DOCUMENTS_READ: Permission(_CASE_READERS, False, _OWN, "read a case's letters"),
    Operation.LETTER_TEMPLATES_READ: Permission(STAFF, False, what="read letter templates"),
    Operation.LETTER_TEMPLATES_WRITE: Permission(
        frozenset({_R.ADMIN}), True, what="add letter templates"
    ),
    Operation.POLICIES_READ: Permission(STAFF, False, what="read scheme policies"),
    Operation.POLICIES_WRITE: Permission(frozenset({_R.ADMIN}), True, what="add a scheme policy"),
    Operation.REGULATIONS_READ: Permission(STAFF, False, what="read regulation records"),
    Operation.REGULATIONS_WRITE: Permission(
        frozenset({_R.ADMIN}), True, what="add a regulation record"
    ),
    Operation.SCHEMES_READ: Permission(STAFF, False, what="read schemes"),
    Operation.SCHEMES_WRITE: Permission(frozenset({_R.ADMIN}), True, what="add a scheme version"),
    Operation.SCHEMES_INVITE: Permission(
        frozenset({_R.HR_MANAGER}), True, what="invite a scheme's cohort"
    ),
    # Figures across every case of the scheme: those who run it, and those who check it.
    Operation.REPORTS_SCHEME: Permission(
        frozenset({_R.HR_MANAGER, _R.AUDITOR}), False, what="read the scheme report"
    ),
    # Equality data of the whole roster, if only in groups: the same two roles.
    Operation.REPORTS_EQUALITY: Permission(
        frozenset({_R.HR_MANAGER, _R.AUDITOR}), False, what="read the equality report"
    ),
    Operation.USERS_LIST: Permission(frozenset({_R.ADMIN}), False, what="list users"),
    Operation.USERS_CREATE: Permission(frozenset({_R.ADMIN}), True, what="create users"),
    Operation.USERS_REVOKE: Permission(frozenset({_R.ADMIN}), True, what="revoke users"),
    # Who attaches to what is domain/evidence.py's ATTACHERS; these are its roles together.
    Operation.EVIDENCE_ADD: Permission(
        frozenset({_R.OFFICER, _R.CASEWORKER, _R.HR_MANAGER, _R.REPRESENTATIVE}),
        True,
        frozenset({*_OWN, Rule.ON_BEHALF}),
        "attach evidence",
    ),
    Operation.EVIDENCE_READ: Permission(
        _CASE_STAFF | {_R.OFFICER, _R.AUDITOR, _R.REPRESENTATIVE}, False, _OWN, "read evidence"
    ),
    Operation.NOTES_ADD: Permission(_CASE_STAFF, True, what="add a case note"),
    Operation.NOTES_READ: Permission(_CASE_STAFF | {_R.AUDITOR}, False, what="read case notes"),
    Operation.REPRESENTATIVE_READ: Permission(
        frozenset({_R.OFFICER, _R.CASEWORKER, _R.HR_MANAGER, _R.AUDITOR, _R.REPRESENTATIVE}),
        False,
        _OWN,
        "see a case's representative",
    ),
    # The officer chooses their own representative; nobody chooses for them.
    Operation.REPRESENTATIVE_NOMINATE: Permission(
        frozenset({_R.OFFICER}), True, _OWN, "nominate a representative"
    ),
    Operation.REPRESENTATIVE_WITHDRAW: Permission(
        frozenset({_R.OFFICER}), True, _OWN, "withdraw a representative's nomination"
    ),
    # A data protection officer's subject access request: everything held on one officer.
    Operation.SUBJECT_ACCESS_EXPORT: Permission(
        frozenset({_R.ADMIN}), False, what="export an officer's data"
    ),
    **{action: _action_permission(action) for action in Action},
}

# Auditors never write, whatever anyone adds to the table later.
assert not any(Role.AUDITOR in p.roles for p in TABLE.values() if p.writes)
assert not any(Role.SYSTEM in p.roles for p in TABLE.values())


def _forbidden(principal: Principal, permission: Permission) -> ProblemError:
    needed = sorted(r.value for r in permission.roles)
    return ProblemError(
        403,
        f"the {principal.role.value} role may not {permission.what}; it needs: {', '.join(needed)}",
        kind="forbidden-role",
        roles=needed,
    )


def require(principal: Principal, operation: Operation | Action) -> Permission:
    """Refuse (403) a caller whose role the table does not list for ``operation``."""
    permission = TABLE[operation]
    if principal.role not in permission.roles:
        raise _forbidden(principal, permission)
    return permission


def create_operation(kind: CaseKind) -> Operation:
    if kind is CaseKind.EFFICIENCY_RETIREMENT:
        return Operation.CASES_CREATE_EFFICIENCY
    return Operation.CASES_CREATE_VOLUNTARY


def require_create(principal: Principal, kind: CaseKind, officer_id: str) -> None:
    permission = require(principal, create_operation(kind))
    if (
        Rule.OWN_OFFICER_ID in permission.rules
        and principal.role is Role.OFFICER
        and principal.officer_id != officer_id
    ):
        raise ProblemError(
            403, "officers may open a case only for themselves", kind="forbidden-not-own"
        )


def officer_scope(principal: Principal) -> str | None:
    """The officer id a caller's case reads are limited to (None: not limited)."""
    return principal.officer_id if principal.role is Role.OFFICER else None


def list_scope(principal: Principal) -> dict[str, str | None]:
    """The filters a caller's case lists are held to: an officer's own cases, a
    representative's nominated ones (the OWN_CASE and NOMINATED rules); none for staff."""
    return {
        "officer_id": officer_scope(principal),
        "represented_by": principal.user_id if principal.role is Role.REPRESENTATIVE else None,
    }


def can_see(principal: Principal, view: CaseView) -> bool:
    """The OWN_CASE rule. Officers who may not see a case are told it does not exist."""
    scope = officer_scope(principal)
    return scope is None or scope == view.officer_id


def check_action(principal: Principal, action: Action, view: CaseView) -> None:
    """Refuse an action the caller's role or the extra rules forbid, before the workflow sees it.

    The caller must already have seen the case (``can_see``). State and four eyes are the
    workflow's to refuse: its validators know the case as it is at that instant.
    """
    permission = require(principal, action)
    if Rule.EXECUTIVE in permission.rules and principal.tier is not Tier.EXECUTIVE:
        raise ProblemError(
            403,
            f"only the executive tier may '{action.value}', not {principal.tier}",
            kind="forbidden-tier",
        )
    # Only while the case allows the decision: otherwise the state refuses it (409), not the tier.
    if (
        Rule.TIER_DUE in permission.rules
        and principal.role is Role.APPROVER
        and action in actions_now(view)
        and (problem := tier_refusal(view, principal)) is not None
    ):
        raise ProblemError(403, problem, kind="forbidden-tier")


def on_behalf_of(
    principal: Principal, operation: Operation | Action, officer_id: str
) -> str | None:
    """The officer a member of staff acts for, where the table says they act for the officer."""
    if Rule.ON_BEHALF in TABLE[operation].rules and principal.role is not Role.OFFICER:
        return officer_id
    return None
