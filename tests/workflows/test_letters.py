"""Letters written by the workflows: once per occasion, with the case's figures, hashed in the
audit log; acceptance binds to the offer letter. Real Temporal and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from dateutil.relativedelta import relativedelta
from pydantic import ValidationError
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from weasyprint.text import ffi

from activities.letters import LetterActivities, font_subsetter
from config.queues import letters_queue
from config.settings import Settings
from domain.case import case_id_from
from domain.commands import Refusal, StartCase
from domain.documents import LetterKind
from domain.letters import (
    Addressee,
    LetterRequest,
    TemplateSet,
    day,
    default_templates,
    render_html,
)
from domain.lifecycle import Action, CaseState
from store.letters import add_templates, list_documents
from store.officers import upsert_officers
from tests.helpers.cases import CASEWORKER, EXECUTIVE_APPROVER, POLICY, Case, own_cases
from tests.helpers.letters import dark_share, pdf_text, stored
from tests.helpers.mail import deliver_pending_without_mail, delivered_to, officer_user_with_address
from tests.helpers.officers import officer
from tests.workflows.test_efficiency_retirement import PANEL, PROPOSAL, in_force, propose
from tests.workflows.test_voluntary_exit import refused, save_history, to_offer
from worker import build_worker


async def _letter_events(case: Case) -> list[tuple[int, dict[str, str]]]:
    rows = await case.pool.fetch(
        "SELECT seq, details->'letter' AS letter FROM audit_events "
        "WHERE case_id = $1 AND details ? 'letter' ORDER BY seq",
        case.case_id,
    )
    return [(r["seq"], r["letter"]) for r in rows]


async def _check_hashes(case: Case) -> list[LetterKind]:
    """Each letter's stored bytes hash to what its audit event says; returns the kinds."""
    events = await _letter_events(case)
    documents = await list_documents(case.pool, case.case_id)
    assert [(d.seq, d.document_id) for d in documents] == [
        (seq, letter["document_id"]) for seq, letter in events
    ]
    for document, (_, letter) in zip(documents, events, strict=True):
        content = await stored(case.pool, case.case_id, document.document_id)
        assert hashlib.sha256(content).hexdigest() == document.sha256 == letter["sha256"]
    return [d.kind for d in documents]


async def test_a_voluntary_case_writes_its_letters_with_its_figures(
    start_case, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, today: date
) -> None:
    leaving = today + relativedelta(months=2)
    case = await start_case(
        officer(service_start=today - relativedelta(years=20), name="Pat Example"),
        leaving_date=leaving,
    )
    await to_offer(case)
    view = await case.view()
    offer, letter = view.offer, view.current_letter(LetterKind.OFFER)
    assert offer is not None and letter is not None
    content = await stored(pool, case.case_id, letter.document_id)
    text = pdf_text(content)
    assert f"£{offer.amount:,.2f}" in text
    assert f"Reply by {day(offer.lapses_at)}" in text
    assert f"Proposed leaving date {day(offer.leaving_date)}" in text
    assert "Pat Example" in text and "worked out again" in text
    assert dark_share(content) > 0.005

    # Another letter of the case is not the offer: refused, and nothing recorded.
    received = view.current_letter(LetterKind.APPLICATION_RECEIVED)
    assert received is not None
    refusal = await refused(case, Action.ACCEPT_OFFER, case.officer, letter_sha256=received.sha256)
    assert refusal.refusal is Refusal.SUPERSEDED
    assert "not this case's offer letter" in refusal.detail and letter.sha256 in refusal.detail

    view = await case.act(Action.ACCEPT_OFFER, case.officer, letter_sha256=letter.sha256)
    assert view.state is CaseState.ACCEPTED
    accepted = await pool.fetchval(
        "SELECT details->'accepted_letter'->>'sha256' FROM audit_events "
        "WHERE case_id = $1 AND action = 'accept-offer'",
        case.case_id,
    )
    assert accepted == letter.sha256

    await time_skipping_env.sleep(timedelta(days=15))
    await case.wait_for(CaseState.LEAVING_SCHEDULED)
    await time_skipping_env.sleep(timedelta(days=62))
    await case.wait_for(CaseState.EXIT_PROCESSING)
    await case.act(Action.COMPLETE_CHECKLIST_ITEM, CASEWORKER, item="access_revocation")
    view = await case.act(Action.COMPLETE_CHECKLIST_ITEM, CASEWORKER, item="equipment_return")
    assert view.state is CaseState.COMPLETED

    assert await _check_hashes(case) == [
        LetterKind.APPLICATION_RECEIVED,
        LetterKind.OFFER,
        LetterKind.ACCEPTANCE_CONFIRMED,
        LetterKind.EXIT_CONFIRMED,
    ]
    final = view.current_letter(LetterKind.EXIT_CONFIRMED)
    assert final is not None
    text = pdf_text(await stored(pool, case.case_id, final.document_id))
    assert f"Final compensation £{view.amount:,.2f}" in text and day(leaving) in text
    # The officer's notice of the offer names the letter, and its body no personal data.
    notice = await pool.fetchrow(
        "SELECT body, document_id FROM notifications "
        "WHERE case_id = $1 AND template = 'offer_made'",
        case.case_id,
    )
    assert notice["document_id"] == letter.document_id and "Pat" not in notice["body"]
    # One activity per step: each letter goes with its event, each hand-off with its tick; and
    # one patch marker (with the upsert the SDK adds to each), not one per patch.
    activities = Counter(await _event_names(case, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED))
    assert await _event_names(case, EventType.EVENT_TYPE_MARKER_RECORDED) == ["core_patch"]
    assert activities["record_event_with_letter"] == 4 and activities["entry_facts"] == 1
    two_of_a_step = ("issue_letter", "hand_off_exit", "has_other_open_case")
    assert not [name for name in two_of_a_step if name in activities]
    handed_off = await pool.fetchval(
        "SELECT count(*) FROM exit_instructions WHERE case_id = $1", case.case_id
    )
    assert handed_off == 2
    await save_history(case.handle, "current_patches")


async def _event_names(case: Case, kind: EventType.ValueType) -> list[str]:
    """The activity type, or the marker name, of each event of ``kind`` in the history."""
    return [
        event.activity_task_scheduled_event_attributes.activity_type.name
        or event.marker_recorded_event_attributes.marker_name
        async for event in case.handle.fetch_history_events()
        if event.event_type == kind
    ]


async def test_information_requested_and_rejection_letters(start_case, pool) -> None:
    case = await start_case()
    await case.wait_for(CaseState.HR_REVIEW)
    await case.act(
        Action.REVIEW, CASEWORKER, decision="request_info", reason="Send your service record."
    )
    await case.act(Action.PROVIDE_INFO, case.officer, note="attached")
    await case.act(Action.REVIEW, CASEWORKER, decision="reject", reason="Budget exhausted.")
    assert await _check_hashes(case) == [
        LetterKind.APPLICATION_RECEIVED,
        LetterKind.INFORMATION_REQUESTED,
        LetterKind.REJECTED,
    ]
    view = await case.view()
    for kind, words in [
        (LetterKind.INFORMATION_REQUESTED, "Send your service record."),
        (LetterKind.REJECTED, "Budget exhausted."),
    ]:
        ref = view.current_letter(kind)
        assert ref is not None
        text = pdf_text(await stored(pool, case.case_id, ref.document_id))
        assert words in text
    assert "How to query this decision" in text


async def test_an_ineligible_case_gets_the_reasons_and_how_to_query_them(start_case, pool) -> None:
    case = await start_case(officer(misconduct_pending=True))
    assert (await case.handle.result()).state is CaseState.INELIGIBLE
    view = await case.view()
    ref = view.current_letter(LetterKind.INELIGIBLE)
    assert ref is not None
    text = pdf_text(await stored(pool, case.case_id, ref.document_id))
    assert view.ineligibility[0].detail in text and "within 28 days" in text


async def test_efficiency_letters_carry_the_legal_reference_and_the_decisions(
    start_case, pool, time_skipping_env: WorkflowEnvironment
) -> None:
    regulation = await in_force(pool, 2091, reference="Police Pensions Regulations 1987, A19")
    case = await propose(start_case, 2091)
    await case.wait_for(CaseState.DECISION_PENDING)
    view = await case.act(
        Action.DECIDE, EXECUTIVE_APPROVER, decision="serve_notice", reason="assessed"
    )
    notice = view.current_letter(LetterKind.NOTICE_OF_INTENDED_RETIREMENT)
    assert notice is not None and view.efficiency is not None
    text = pdf_text(await stored(pool, case.case_id, notice.document_id))
    assert regulation.legal_reference in text and PROPOSAL.equality_impact_reference in text
    assert day(view.efficiency.representations_close_at) in text
    assert "right to be accompanied" in text
    await time_skipping_env.sleep(timedelta(days=29))
    await case.wait_for(CaseState.PANEL_REVIEW)
    review = date(2091, 12, 1)
    view = await case.act(
        Action.PANEL_DECISION, PANEL, decision="defer", reason="skills", review_date=review
    )
    decision = view.current_letter(LetterKind.PANEL_DECISION)
    assert decision is not None
    text = pdf_text(await stored(pool, case.case_id, decision.document_id))
    assert "deferred" in text and day(review) in text
    assert await _check_hashes(case) == [
        LetterKind.NOTICE_OF_INTENDED_RETIREMENT,
        LetterKind.PANEL_DECISION,
    ]


async def _application_received(pool: asyncpg.Pool, template_version: str) -> LetterRequest:
    """The request for a new case's first letter, for the activity alone (no workflow)."""
    subject = officer()
    await upsert_officers(pool, [subject])
    start = StartCase(
        case_id=case_id_from(secrets.randbits(64)),
        officer_id=subject.officer_id,
        rank=subject.rank,
        policy=POLICY,
        created_by=CASEWORKER,
    )
    return LetterRequest(
        case=start.submitted_view(datetime.now(UTC)),
        kind=LetterKind.APPLICATION_RECEIVED,
        seq=1,
        template_version=template_version,
    )


async def test_the_activity_run_twice_stores_one_letter(pool: asyncpg.Pool) -> None:
    request = await _application_received(pool, default_templates().version)
    activities = LetterActivities(pool)
    first = await ActivityEnvironment().run(activities.issue_letter, request)
    second = await ActivityEnvironment().run(activities.issue_letter, request)
    assert first == second
    count = await pool.fetchval(
        "SELECT count(*) FROM documents WHERE case_id = $1", request.case.case_id
    )
    assert count == 1


async def test_letters_are_append_only(pool: asyncpg.Pool) -> None:
    # The service's role may not; the table's trigger refuses anyone else.
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="documents"):
        await pool.execute("UPDATE documents SET sha256 = repeat('0', 64)")


@pytest.mark.slow
@pytest.mark.parametrize("attached", [False, True])
async def test_the_e_mail_links_to_the_letter_or_attaches_it(
    start_case, pool: asyncpg.Pool, attached: bool
) -> None:
    await deliver_pending_without_mail(pool)
    subject = officer(name="Robin Private")
    address = await officer_user_with_address(pool, subject)
    case = await start_case(subject)
    await case.wait_for(CaseState.HR_REVIEW)
    message = await delivered_to(pool, address, attached=attached)
    body = message.get_body(("plain",)).get_content()
    attachments = list(message.iter_attachments())
    assert "Robin" not in body
    link = f"https://hr.example/v1/cases/{case.case_id}/documents/application_received-1"
    if attached:
        [pdf] = attachments
        assert pdf.get_filename() == f"{case.case_id}-application_received-1.pdf"
        assert "Robin Private" in pdf_text(pdf.get_content()) and link not in body
    else:
        assert link in body and attachments == []


async def test_a_template_that_breaks_on_a_case_falls_back_to_the_shipped_wording(
    pool: asyncpg.Pool,
) -> None:
    shipped = default_templates()
    broken_body = "{% extends 'layout' %}{% block body %}{{ no_such_fact }}{% endblock %}"
    broken = shipped.model_copy(
        update={
            "version": f"broken-{secrets.token_hex(3)}",
            "templates": {**shipped.templates, "application_received": broken_body},
        }
    )
    await add_templates(pool, broken, "u_admin")
    request = await _application_received(pool, broken.version)
    ref = await ActivityEnvironment().run(LetterActivities(pool).issue_letter, request)
    assert ref.template_version == shipped.version
    text = pdf_text(await stored(pool, request.case.case_id, ref.document_id))
    assert "We received your application" in text


async def test_sets_of_one_version_name_each_render_their_own_wording(pool: asyncpg.Pool) -> None:
    # Compiled sets are kept per process; the key is their text, so two databases' sets that
    # share a version name (or a set checked before) never lend each other their wording.
    request = await _application_received(pool, "shared-name")
    shipped = default_templates()
    addressee = Addressee(name="Robin Private", rank="superintendent")
    for wording in ("First wording.", "Second wording."):
        body = "{% extends 'layout' %}{% block body %}<p>" + wording + "</p>{% endblock %}"
        templates = TemplateSet(
            version="shared-name", templates={**shipped.templates, "application_received": body}
        )
        assert wording in render_html(templates, request, addressee)


def test_a_template_that_does_not_compile_is_refused_every_time() -> None:
    # A failed compilation is not kept: the second check fails as the first did.
    shipped = default_templates()
    templates = {**shipped.templates, "offer": "{% if %}"}
    for _ in range(2):
        with pytest.raises(ValidationError, match="template 'offer' does not compile"):
            TemplateSet(version="bad", templates=templates)


def test_fonts_are_subset_by_harfbuzz_and_the_fallback_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # ./test installs libharfbuzz-subset0 (scripts/ensure-letter-libs); without it each letter
    # costs several times the CPU, and the bench says so.
    assert font_subsetter() == "HarfBuzz"
    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    assert font_subsetter().startswith("fontTools")


async def test_letters_are_rendered_on_their_own_queue_by_a_worker_of_their_own(
    client: Client, pool: asyncpg.Pool, settings: Settings
) -> None:
    # Two processes' worth of workers on a queue of their own: one for the cases, none of
    # whose activities render a letter, and one for the letters alone.
    own = settings.model_copy(update={"task_queue": f"split-{secrets.token_hex(3)}"})
    cases = own.model_copy(update={"worker_queues": "cases"})
    letters_only = own.model_copy(update={"worker_queues": "letters"})
    async with (
        build_worker(client, pool, cases),
        build_worker(client, pool, letters_only),
        own_cases(client, pool, own) as start,
    ):
        case = await start(officer())
        async with asyncio.timeout(30):
            while not (await case.view()).letters:
                await asyncio.sleep(0.05)
        history = await case.handle.fetch_history()
    scheduled = {
        e.activity_task_scheduled_event_attributes.activity_type.name: (
            e.activity_task_scheduled_event_attributes.task_queue.name
        )
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    letter_queues = {queue for name, queue in scheduled.items() if name.endswith("_letter")}
    assert letter_queues == {letters_queue(own.task_queue)}, scheduled
    others = {queue for name, queue in scheduled.items() if not name.endswith("_letter")}
    assert others == {own.task_queue}, scheduled
