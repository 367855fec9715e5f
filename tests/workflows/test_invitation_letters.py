"""The invitation batch activity and its letters, on real PostgreSQL (a database of its own: a
scheme in force changes what every new case meets): a retried batch writes no second letter,
an officer invited before is skipped, and the e-mail links to the letter or attaches it with
nothing personal in its body."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import asyncpg
import pytest
import pytest_asyncio
from temporalio.testing import ActivityEnvironment

from activities.schemes import InviteBatch, SchemeActivities
from domain.officer import Rank
from domain.people import Actor, Role
from domain.scheme import Scheme
from store.officers import upsert_officers
from store.policies import add_policy
from store.pool import create_pool
from store.schemes import add_scheme
from tests.helpers.cases import POLICY
from tests.helpers.databases import scratch_database
from tests.helpers.letters import pdf_text
from tests.helpers.mail import deliver_pending_without_mail, delivered_to, officer_user_with_address
from tests.helpers.officers import officer

HR = Actor(user_id="u_hr_letters", role=Role.HR_MANAGER)
SCHEME = Scheme(
    name="letters",
    policy_version=POLICY.version,
    application_opens=date(2026, 1, 5),
    application_closes=date(2099, 3, 31),
    budget=Decimal("1000000.00"),
)


@pytest_asyncio.fixture(loop_scope="session")
async def scheme_pool(postgres_server_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with scratch_database(postgres_server_url, "exitcases_invite") as url:
        pool = await create_pool(url)
        try:
            await add_policy(pool, POLICY, "test")
            await add_scheme(pool, SCHEME, "test")
            yield pool
        finally:
            await pool.close()


def _batch(officer_ids: list[str], run_id: str = "run-1") -> InviteBatch:
    return InviteBatch(scheme=SCHEME.name, run_id=run_id, actor=HR, officer_ids=officer_ids)


async def test_a_retried_batch_or_a_second_run_writes_no_second_letter(
    scheme_pool: asyncpg.Pool,
) -> None:
    pool = scheme_pool
    roster = [officer(officer_id=f"LB{n}", rank=Rank.SUPERINTENDENT) for n in range(3)]
    await upsert_officers(pool, roster)
    activities = SchemeActivities(pool, "https://hr.example/")
    ids = [o.officer_id for o in roster]
    assert await ActivityEnvironment().run(activities.invite_officers, _batch(ids[:2])) == 2
    first = await pool.fetch("SELECT officer_id, sha256 FROM invitation_letters ORDER BY 1")
    # The same batch again (a retry), then a second run over all three.
    assert await ActivityEnvironment().run(activities.invite_officers, _batch(ids[:2])) == 2
    assert await ActivityEnvironment().run(activities.invite_officers, _batch(ids, "run-2")) == 1
    after = await pool.fetch("SELECT officer_id, sha256 FROM invitation_letters ORDER BY 1")
    assert [tuple(r) for r in after[:2]] == [tuple(r) for r in first]
    assert [r["officer_id"] for r in after] == ids
    content = await pool.fetchval(
        "SELECT content FROM invitation_letters WHERE officer_id = $1", ids[0]
    )
    text = pdf_text(content)
    assert "https://hr.example/apply" in text and "31 March 2099" in text
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="invitation_letters"):
        await pool.execute("UPDATE invitation_letters SET sha256 = repeat('0', 64)")


@pytest.mark.slow
@pytest.mark.parametrize("attached", [False, True])
async def test_the_invitation_e_mail_links_to_the_letter_or_attaches_it(
    scheme_pool: asyncpg.Pool, attached: bool
) -> None:
    pool = scheme_pool
    await deliver_pending_without_mail(pool)
    subject = officer(name="Robin Invited", rank=Rank.SUPERINTENDENT)
    await upsert_officers(pool, [subject])
    address = await officer_user_with_address(pool, subject)
    await ActivityEnvironment().run(
        SchemeActivities(pool).invite_officers, _batch([subject.officer_id])
    )
    message = await delivered_to(pool, address, attached=attached)
    body = message.get_body(("plain",)).get_content()
    attachments = list(message.iter_attachments())
    assert "Robin" not in body and subject.officer_id not in body
    link = f"https://hr.example/invitation-letters/{SCHEME.name}"
    if attached:
        [pdf] = attachments
        assert "Robin Invited" in pdf_text(pdf.get_content()) and link not in body
    else:
        assert link in body and attachments == []
