"""A case's paper trail on its pages: evidence files, staff notes and the officer's
representative, each shown to the roles the authorisation table lets read it, with a form for
the roles it lets add to it. The rules are the table's (api/authz.py) and domain/evidence.py's
``ATTACHERS``; nothing here decides who may do what.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import asyncpg

from api.auth import Principal
from api.authz import TABLE, Operation
from api.routes.notes import NOTE_MAX_CHARS
from domain.case import CaseView
from domain.evidence import AttachedTo, attach_refusal, part_refusal
from domain.lifecycle import TERMINAL_STATES, CaseKind
from store import letters, paper_trail
from store.case_queries import AuditEvent
from store.users import get_user, list_representatives, names_of
from web.format import SUPPORTS


@dataclass
class PaperForm:
    """A paper-trail form sent back with errors: which one, the values typed, each error by
    the id of the field it is about (the error summary links there), and the page's status."""

    form: Literal["note", "evidence", "representative"]
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    status: int = 400

    def error_list(self) -> list[dict[str, str]]:
        return [{"text": message, "href": f"#{at}"} for at, message in self.errors.items()]


def may(user: Principal, operation: Operation) -> bool:
    return user.role in TABLE[operation].roles


def attach_choices(user: Principal, kind: CaseKind) -> list[tuple[str, str]]:
    """What ``user`` may attach a file to on a case of ``kind`` (none: they may attach nothing)."""
    if not may(user, Operation.EVIDENCE_ADD):
        return []
    return [
        (a.value, SUPPORTS[a])
        for a in AttachedTo
        if attach_refusal(user.role, a) is None and part_refusal(kind, a) is None
    ]


async def names_on_page(
    pool: asyncpg.Pool,
    view: CaseView,
    trail: dict[str, Any],
    events: list[AuditEvent] | None = None,
) -> dict[str, str]:
    """The names of the people a case page says did something (by user id), so it can say
    "Pat Example" where the records hold u_8gf51c9fopzo. The audit pages keep the ids."""
    ids = {a.user_id for a in view.approvals}
    ids |= {r.asked_by for r in view.info_requests}
    ids |= {r.answered_by for r in view.info_requests if r.answered_by}
    ids |= {t.assignee_user_id for t in view.tasks if t.assignee_user_id}
    ids |= {f.added_by for f in trail["evidence"] or []}
    ids |= {n.author for n in trail["notes"] or []}
    ids |= {e.actor_user_id for e in events or []}
    return await names_of(pool, ids)


async def paper_trail_context(
    pool: asyncpg.Pool, user: Principal, view: CaseView, sent: PaperForm | None
) -> dict[str, Any]:
    """What a case page shows of the paper trail, and the forms it offers, for ``user``."""
    case_id = view.case_id
    representative = None
    if may(user, Operation.REPRESENTATIVE_READ):
        nomination = await paper_trail.current_nomination(pool, case_id)
        if nomination is not None and nomination.representative_id is not None:
            representative = await get_user(pool, nomination.representative_id)
    # An ended case takes no more files or nominations (api.access.require_open).
    is_open = view.state not in TERMINAL_STATES
    nominating = may(user, Operation.REPRESENTATIVE_NOMINATE)
    return {
        "evidence": await paper_trail.list_evidence(pool, case_id)
        if may(user, Operation.EVIDENCE_READ)
        else None,
        "notes": await paper_trail.list_notes(pool, case_id)
        if may(user, Operation.NOTES_READ)
        else None,
        # When each of the case's letters was written, for its row in the letters table.
        "letter_dates": {
            d.document_id: d.created_at for d in await letters.list_documents(pool, case_id)
        },
        "attach_choices": attach_choices(user, view.kind) if is_open else [],
        "may_note": may(user, Operation.NOTES_ADD),
        "note_max": NOTE_MAX_CHARS,
        "representative": representative,
        "representatives": await list_representatives(pool) if nominating and is_open else [],
        "may_nominate": nominating,
        "nomination_open": is_open,
        "may_withdraw_nomination": may(user, Operation.REPRESENTATIVE_WITHDRAW),
        "paper": sent,
    }


def _at(entry: AuditEvent | paper_trail.Note) -> datetime:
    return entry.occurred_at if isinstance(entry, AuditEvent) else entry.added_at


def with_notes(
    events: list[AuditEvent], notes: list[paper_trail.Note] | None
) -> list[AuditEvent | paper_trail.Note]:
    """The case's audit events and its notes in one timeline, oldest first (as the API's
    timeline has them); only the events for a reader who may not read notes."""
    return sorted([*events, *(notes or [])], key=_at)
