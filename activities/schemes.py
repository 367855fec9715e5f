"""Activities of a scheme: invitations, reminders, and the budget an approval is checked
against. Each one is idempotent: run twice, it writes nothing twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import asyncpg
import structlog
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.letters import render_invitations
from domain.calendar import working_days_before
from domain.clock import local_date
from domain.letters import Addressee, InvitationLetter, invitation_templates
from domain.officer import Rank
from domain.people import Actor
from domain.scheme import BudgetPosition, Scheme
from store import letters, policies, schemes
from store.schemes import InvitationLetters

log = structlog.get_logger(__name__)


class InviteeQuery(BaseModel):
    scheme: str
    ranks: list[Rank]


class Invitees(BaseModel):
    officer_ids: list[str]
    reminder_day: date
    # Absent from results recorded before it was counted.
    not_eligible: int = 0


class InviteBatch(BaseModel):
    scheme: str
    run_id: str
    actor: Actor
    officer_ids: list[str]


class CaseRef(BaseModel):
    case_id: str


class SchemeActivities:
    def __init__(self, pool: asyncpg.Pool, public_url: str | None = None) -> None:
        self._pool = pool
        # The letters name the apply page where officers reach the service.
        self._apply_url = f"{public_url.rstrip('/')}/apply" if public_url else None

    async def _scheme(self, name: str) -> Scheme:
        found = await schemes.get_scheme(self._pool, name)
        if found is None:
            raise ApplicationError(f"there is no scheme {name}", non_retryable=True)
        return found.scheme

    @activity.defn
    async def list_invitees(self, query: InviteeQuery) -> Invitees:
        """The officers to invite (the ranks asked for, among those the scheme's policy makes
        eligible) and the day reminders go out."""
        scheme = await self._scheme(query.scheme)
        policy = await policies.get_policy(self._pool, scheme.policy_version)
        if policy is None:
            raise ApplicationError(
                f"scheme {scheme.name} names policy {scheme.policy_version}, which is not stored",
                non_retryable=True,
            )
        ranks = [r for r in query.ranks if r in policy.eligible_ranks]
        excluded = [r for r in query.ranks if r not in policy.eligible_ranks]
        return Invitees(
            officer_ids=await schemes.invitees(self._pool, ranks),
            reminder_day=working_days_before(
                scheme.application_closes, policy.invitation_reminder_working_days
            ),
            not_eligible=await schemes.roster_count(self._pool, excluded),
        )

    @activity.defn
    async def invite_officers(self, batch: InviteBatch) -> int:
        """Invite a batch: each new invitee's letter is rendered first, then the invitations,
        letters and notices are written in one transaction. A worker killed while rendering or
        writing leaves nothing, and the retry renders again; officers invited before (by this
        run's earlier attempt or another run) get no second letter."""
        scheme = await self._scheme(batch.scheme)
        pending = await schemes.uninvited(self._pool, scheme.name, batch.officer_ids)
        rendered = await self._letters(scheme, pending)
        invited = await schemes.invite(
            self._pool, scheme, batch.run_id, batch.actor, batch.officer_ids, rendered
        )
        log.info(
            "invitations recorded",
            scheme=batch.scheme,
            batch=len(batch.officer_ids),
            letters=len(rendered.contents),
        )
        return invited

    async def _letters(self, scheme: Scheme, pending: list[schemes.Uninvited]) -> InvitationLetters:
        """The invitation letters in the newest wording (``invitation_templates``)."""
        stored = await letters.get_templates(self._pool, await letters.current_version(self._pool))
        assert stored is not None  # current_version names a stored set, or stores the default
        templates = invitation_templates(stored)
        invitation = InvitationLetter(
            scheme=scheme.name,
            application_opens=scheme.application_opens,
            application_closes=scheme.application_closes,
            apply_url=self._apply_url,
            written_on=local_date(datetime.now(UTC)),
        )
        addressed = {o.officer_id: Addressee(name=o.name, rank=o.rank.value) for o in pending}
        # One thread renders the batch in turn: WeasyPrint holds the GIL for nearly all of a
        # letter, so threads side by side were slower (docs/letters.md has the figures).
        version, contents = await asyncio.to_thread(
            render_invitations, templates, invitation, addressed
        )
        return InvitationLetters(template_version=version, contents=contents)

    @activity.defn
    async def remind_invited(self, scheme_name: str) -> int:
        scheme = await self._scheme(scheme_name)
        reminded = await schemes.remind(self._pool, scheme, local_date(datetime.now(UTC)))
        log.info("invitation reminders recorded", scheme=scheme_name, reminded=reminded)
        return reminded

    @activity.defn
    async def budget_position(self, case: CaseRef) -> BudgetPosition | None:
        return await schemes.budget_position(self._pool, case.case_id)
