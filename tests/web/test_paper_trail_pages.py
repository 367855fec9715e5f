"""The paper trail on the pages, in-process: staff notes, evidence uploads and downloads, and the
officer's representative, with the errors each form can come back with and who may not use it
(a representative's forged accept, decline or withdraw among them). The happy path in a real
browser is tests/web/test_paper_trail_browser.py."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

import httpx

from domain.evidence import MAX_FILES_PER_CASE
from domain.people import Role
from tests.api.test_paper_trail import accesses, attach, evidence_limit, stored_files
from tests.helpers.api import Api, NewOfficer, User, add_user
from tests.helpers.files import pdf
from tests.web.browser import title
from tests.web.test_inbox import signed_in
from tests.web.test_sign_in import OWN_PAGE, csrf_of, session_token


async def _post(
    browser: httpx.AsyncClient, page: str, address: str, data: dict[str, str], **kw: Any
) -> httpx.Response:
    """A form on ``page`` sent to ``address``, with the CSRF token the page carries, or the
    session's where the page offers no form (a post the page does not invite)."""
    token = csrf_of(page) if 'name="csrf_token"' in page else await session_token(browser)
    form = {"csrf_token": token, **data}
    return await browser.post(address, data=form, headers=OWN_PAGE, **kw)


def _summary_links(page: str) -> list[str]:
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    assert summary, "the page has no error summary"
    return re.findall(r'href="(#[^"]+)"', summary.group(0))


# -- notes ------------------------------------------------------------------------------------


async def test_a_caseworker_adds_a_note_after_putting_the_form_right(
    api: Api, new_officer: NewOfficer
) -> None:
    case_id = await api.to_hr_review(await new_officer())
    async with signed_in(api, api.staff["caseworker"]) as browser:
        page = (await browser.get(f"/cases/{case_id}")).text
        assert 'maxlength="4000"' in page and "govuk-character-count" in page
        empty = await _post(browser, page, f"/cases/{case_id}/notes", {"text": "  "})
        assert empty.status_code == 400
        assert f"<title>{title(f'Error: Case {case_id}')}</title>" in empty.text
        assert _summary_links(empty.text) == ["#note-text"] and "Enter the note" in empty.text
        long = "Spoke to the officer. " * 200
        too_long = await _post(browser, page, f"/cases/{case_id}/notes", {"text": long})
        assert too_long.status_code == 400 and "4,000 characters or fewer" in too_long.text
        assert long.strip() in too_long.text  # what was typed stays in the field
        assert (
            await api.stack.pool.fetchval(
                "SELECT count(*) FROM case_notes WHERE case_id = $1", case_id
            )
            == 0
        )
        text = "Pension forecast asked for.\nThe officer will call back."
        sent = await _post(browser, page, f"/cases/{case_id}/notes", {"text": text})
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/cases/{case_id}?done=note#notes"
        shown = (await browser.get(sent.headers["location"])).text
    assert "Your note is added" in shown
    # Once in the notes, once in the timeline (between the audit events), by its author.
    assert shown.count(text) == 2 and "Note added" in shown
    assert "Caseworker Test caseworker" in shown  # the author by name
    notes = (await api.as_("auditor").get(f"/v1/cases/{case_id}/notes")).json()
    assert [n["text"] for n in notes] == [text]


async def test_only_staff_who_work_cases_add_notes_and_only_with_the_csrf_token(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    address = f"/cases/{case_id}/notes"
    async with signed_in(api, api.staff["caseworker"]) as browser:
        forged = await browser.post(address, data={"text": "x"}, headers=OWN_PAGE)
        assert forged.status_code == 403
    for who in (officer, api.staff["auditor"], api.staff["admin"]):
        async with signed_in(api, who) as browser:
            page = (await browser.get("/", follow_redirects=True)).text
            refused = await _post(browser, page, address, {"text": "x"})
            assert refused.status_code == 403, who.role
    async with signed_in(api, api.staff["auditor"]) as browser:
        # Auditors read notes, without a form to add one.
        page = (await browser.get(f"/cases/{case_id}")).text
    assert 'id="notes"' in page and "Add note" not in page
    count = await api.stack.pool.fetchval(
        "SELECT count(*) FROM case_notes WHERE case_id = $1", case_id
    )
    assert count == 0


# -- evidence ---------------------------------------------------------------------------------


NAME = "Siân Öztürk \u2013 medical [2026].pdf"


def _file(content: bytes, name: str = "service record.pdf") -> dict[str, Any]:
    return {"file": (name, content, "application/pdf")}


async def test_a_bad_file_is_an_error_on_the_field_and_nothing_is_stored(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    address = f"/cases/{case_id}/evidence"
    async with signed_in(api, officer) as browser:
        page = (await browser.get(f"/your-case/{case_id}")).text
        assert 'enctype="multipart/form-data"' in page and 'name="attached_to"' in page
        nothing = await _post(browser, page, address, {})
        assert nothing.status_code == 400
        assert _summary_links(nothing.text) == ["#attached-to", "#file"]
        # A text file named .pdf: the content decides.
        text = await _post(
            browser,
            page,
            address,
            {"attached_to": "application"},
            files=_file(b"just some words", "record.pdf"),
        )
        assert text.status_code == 422
        assert f"<title>{title(f'Error: Your case {case_id}')}</title>" in text.text
        assert _summary_links(text.text) == ["#file"] and "not a PDF, PNG, JPEG" in text.text
        assert 'value="application" checked' in text.text  # the choice made stays
        with evidence_limit(api.stack, 100):
            big = await _post(
                browser, page, address, {"attached_to": "application"}, files=_file(pdf() * 3)
            )
        assert big.status_code == 422 and "at most 100 are accepted" in big.text
    assert await stored_files(api.stack.pool, case_id) == 0


async def test_a_file_at_the_size_limit_is_attached_and_one_over_is_an_error_on_the_field(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    limit = api.stack.settings.evidence_max_bytes
    head = pdf()
    async with signed_in(api, officer) as browser:
        page = (await browser.get(f"/your-case/{case_id}")).text

        async def send(size: int) -> httpx.Response:
            content = head + b"\0" * (size - len(head))
            form = {"attached_to": "application"}
            return await _post(
                browser, page, f"/cases/{case_id}/evidence", form, files=_file(content)
            )

        over = await send(limit + 1)
        assert over.status_code == 422 and _summary_links(over.text) == ["#file"]
        assert f"at most {limit} are accepted" in over.text
        assert (await send(limit)).status_code == 303
    assert await stored_files(api.stack.pool, case_id) == 1


async def test_the_officer_attaches_a_file_and_downloads_it_logged(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    content = pdf("payslips")
    async with signed_in(api, officer) as browser:
        page = (await browser.get(f"/your-case/{case_id}")).text
        sent = await _post(
            browser,
            page,
            f"/cases/{case_id}/evidence",
            {"attached_to": "application"},
            # Decomposed, as macOS sends names: stored composed (NFC).
            files=_file(content, unicodedata.normalize("NFD", f"C:\\Documents\\{NAME}")),
        )
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/your-case/{case_id}?done=evidence#evidence"
        shown = (await browser.get(sent.headers["location"])).text
        assert "The file is attached" in shown and NAME in shown
        [link] = re.findall(rf'href="(/cases/{case_id}/evidence/\d+)"', shown)
        download = await browser.get(link)
    assert download.status_code == 200 and download.content == content
    assert download.headers["x-content-sha256"] == hashlib.sha256(content).hexdigest()
    assert download.headers["content-disposition"] == (
        'attachment; filename="Sian Ozturk _ medical _2026_.pdf"; '
        "filename*=UTF-8''Si%C3%A2n%20%C3%96zt%C3%BCrk%20%E2%80%93%20medical%20%5B2026%5D.pdf"
    )
    evidence_id = link.rsplit("/", 1)[1]
    assert (officer.user_id, f"GET /v1/cases/{{case_id}}/evidence/{evidence_id}") in (
        await accesses(api.stack.pool, case_id)
    )
    other = await new_officer()
    async with signed_in(api, other) as browser:
        assert (await browser.get(link)).status_code == 404


async def test_hr_managers_attach_nothing_to_a_voluntary_case_and_a_full_case_takes_no_more(
    api: Api, new_officer: NewOfficer
) -> None:
    case_id = await api.to_hr_review(await new_officer())
    async with signed_in(api, api.staff["hr_manager"]) as browser:
        page = (await browser.get(f"/cases/{case_id}")).text
        # Theirs is the proposal, which only an efficiency retirement has: no form at all.
        assert 'name="attached_to"' not in page
        forged = await _post(
            browser,
            page,
            f"/cases/{case_id}/evidence",
            {"attached_to": "info_answer"},
            files=_file(pdf()),
        )
        assert forged.status_code == 403
    for n in range(MAX_FILES_PER_CASE):
        assert (await attach(api, case_id, "caseworker", pdf(str(n)))).status_code == 201
    async with signed_in(api, api.staff["caseworker"]) as browser:
        page = (await browser.get(f"/cases/{case_id}")).text
        full = await _post(
            browser,
            page,
            f"/cases/{case_id}/evidence",
            {"attached_to": "application"},
            files=_file(pdf("one more")),
        )
    assert full.status_code == 409 and f"holds {MAX_FILES_PER_CASE} files already" in full.text
    assert _summary_links(full.text) == ["#file"]
    assert await stored_files(api.stack.pool, case_id) == MAX_FILES_PER_CASE


async def test_an_answer_with_a_bad_file_is_not_sent(api: Api, new_officer: NewOfficer) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    async with signed_in(api, officer) as browser:
        # An answer nobody asked for yet (a page left open) is refused, its file not kept.
        page = (await browser.get(f"/your-case/{case_id}")).text
        early = await _post(
            browser,
            page,
            f"/your-case/{case_id}/actions/provide-info",
            {"note": "Early."},
            files={"evidence": ("payslip.pdf", pdf(), "application/pdf")},
        )
        assert early.status_code == 409
    assert await stored_files(api.stack.pool, case_id) == 0
    await api.act(case_id, "review", "caseworker", decision="request_info", reason="Payslip?")
    case = await api.wait_for(case_id, "info_requested")
    async with signed_in(api, officer) as browser:
        page = (await browser.get(f"/your-case/{case_id}")).text
        answer = {"version": str(case["version"]), "note": "Here it is."}
        bad = await _post(
            browser,
            page,
            f"/your-case/{case_id}/actions/provide-info",
            answer,
            files={"evidence": ("payslip.pdf", b"not a pdf", "application/pdf")},
        )
    assert bad.status_code == 422 and _summary_links(bad.text) == ["#provide-info-evidence"]
    assert "Here it is." in bad.text
    assert await stored_files(api.stack.pool, case_id) == 0
    assert (await api.get(case_id))["state"] == "info_requested"


async def test_a_voluntary_case_offers_only_its_own_parts_to_attach_to(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    for user in (officer, api.staff["caseworker"]):
        async with signed_in(api, user) as browser:
            page = (await browser.get(f"/cases/{case_id}", follow_redirects=True)).text
        choices = re.findall(r'name="attached_to" type="radio" value="([a-z_]+)"', page)
        assert choices == ["info_answer", "application"]
        assert "notice of intended retirement" not in page


async def test_an_ended_case_offers_no_form_to_attach_or_nominate(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    async with signed_in(api, officer) as browser:
        before = (await browser.get(f"/your-case/{case_id}")).text
        await api.act(case_id, "withdraw", officer, reason="Staying after all.")
        await api.wait_for(case_id, "withdrawn")
        after = (await browser.get(f"/your-case/{case_id}")).text
    for form in ('name="attached_to"', 'name="representative_id"'):
        assert form in before and form not in after
    assert "You have not nominated a representative." in after


async def test_staff_see_each_question_asked_and_its_answer(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer(name="Siân Öztürk")
    case_id = await api.to_hr_review(officer)
    question = "When did your service start? (The roster & the file differ.)"
    await api.act(case_id, "review", "caseworker", decision="request_info", reason=question)
    await api.wait_for(case_id, "info_requested")
    async with signed_in(api, api.staff["caseworker"]) as browser:
        asked = (await browser.get(f"/cases/{case_id}")).text
    assert '<h2 class="govuk-heading-m">Information requested</h2>' in asked
    assert "The roster &amp; the file differ." in asked and "Not answered yet" in asked
    # Who the case is about, by name from the roster, and who asked, by name.
    assert f"Siân Öztürk ({officer.officer_id}), Superintendent" in asked
    assert "Test caseworker on " in asked
    await api.act(case_id, "provide-info", officer, note="6 October 2003, as my warrant card")
    await api.wait_for(case_id, "hr_review")
    async with signed_in(api, api.staff["caseworker"]) as browser:
        answered = (await browser.get(f"/cases/{case_id}")).text
    assert "6 October 2003, as my warrant card" in answered
    assert "Not answered yet" not in answered
    assert re.search(r">\s*Answered by\s*</dt>", answered) and "Officer user on " in answered


# -- representatives ----------------------------------------------------------------------------


async def _nominated(api: Api, officer: User, case_id: str, friend: User) -> None:
    """The officer nominates ``friend`` on their page: chosen, confirmed, done."""
    async with signed_in(api, officer) as browser:
        page = (await browser.get(f"/your-case/{case_id}")).text
        address = f"/your-case/{case_id}/representative"
        confirm = await _post(browser, page, address, {"representative_id": friend.user_id})
        assert confirm.status_code == 200
        assert "as your representative?" in confirm.text and friend.user_id in confirm.text
        hidden = dict(
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirm.text)
        )
        assert hidden["confirmed"] == "yes"
        done = await browser.post(address, data=hidden, headers=OWN_PAGE)
        assert done.status_code == 303, done.text
        shown = (await browser.get(done.headers["location"])).text
    assert "Your representative is nominated" in shown and friend.user_id in shown


async def test_the_officer_nominates_only_a_representative_and_confirms_first(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    friend = await add_user(api.stack.pool, "Pat Friend", Role.REPRESENTATIVE)
    address = f"/your-case/{case_id}/representative"
    async with signed_in(api, officer) as browser:
        page = (await browser.get(f"/your-case/{case_id}")).text
        assert f'value="{friend.user_id}"' in page and "Pat Friend" in page
        none = await _post(browser, page, address, {})
        assert none.status_code == 400 and _summary_links(none.text) == ["#representative-id"]
        blank = await _post(browser, page, address, {"representative_id": "other"})
        assert blank.status_code == 400 and _summary_links(blank.text) == ["#other-id"]
        # A caseworker's id is no representative's: refused, the id typed kept.
        caseworker = api.staff["caseworker"].user_id
        wrong = await _post(
            browser, page, address, {"representative_id": "other", "other_id": caseworker}
        )
        assert wrong.status_code == 422 and f'value="{caseworker}"' in wrong.text
        # Choosing alone records nothing: the confirmation does.
        await _post(browser, page, address, {"representative_id": friend.user_id})
    assert (await api.as_(officer).get(f"/v1/cases/{case_id}/representative")).status_code == 404
    await _nominated(api, officer, case_id, friend)
    nomination = (await api.as_(officer).get(f"/v1/cases/{case_id}/representative")).json()
    assert nomination["representative_id"] == friend.user_id
    # Nobody else nominates for the officer: staff are refused, another officer finds no case.
    async with signed_in(api, api.staff["caseworker"]) as browser:
        page = (await browser.get("/", follow_redirects=True)).text
        assert (
            await _post(browser, page, address, {"representative_id": friend.user_id})
        ).status_code == 403
    async with signed_in(api, await new_officer()) as browser:
        page = (await browser.get("/", follow_redirects=True)).text
        assert (
            await _post(browser, page, address, {"representative_id": friend.user_id})
        ).status_code == 404


async def test_a_representative_acts_for_the_officer_but_never_decides_for_them(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_approval(officer)
    case = await api.approve_all(case_id)
    friend = await add_user(api.stack.pool, "Sam Friend", Role.REPRESENTATIVE)
    async with signed_in(api, friend) as browser:
        assert (await browser.get(f"/cases/{case_id}")).status_code == 404
    await _nominated(api, officer, case_id, friend)
    async with signed_in(api, friend) as browser:
        home = await browser.get("/")
        assert home.headers["location"] == "/cases"
        listed = (await browser.get("/cases")).text
        assert case_id in listed
        page = (await browser.get(f"/cases/{case_id}")).text
        assert "Offer (PDF)" in page and 'id="evidence"' in page
        assert 'id="notes"' not in page  # staff notes are not theirs to read
        for button in ("Accept offer", "Decline offer", "Withdraw"):
            assert f">\n  {button}\n</button>" not in page
        for forged in ("accept-offer", "decline-offer", "withdraw"):
            refused = await _post(
                browser,
                page,
                f"/cases/{case_id}/actions/{forged}",
                {"version": str(case["version"]), "reason": "Forged"},
            )
            assert refused.status_code == 403, (forged, refused.text)
            refused_own = await _post(
                browser, page, f"/your-case/{case_id}/actions/{forged}", {"confirmed": "yes"}
            )
            assert refused_own.status_code == 403
        # Nor may they choose or withdraw the officer's representative.
        withdraw = await _post(browser, page, f"/your-case/{case_id}/representative/withdraw", {})
        assert withdraw.status_code == 403
    assert (await api.get(case_id))["state"] == "offer_made"

    # The officer withdraws the nomination, after confirming: the case is gone for the friend.
    async with signed_in(api, officer) as browser:
        page = (await browser.get(f"/your-case/{case_id}")).text
        address = f"/your-case/{case_id}/representative/withdraw"
        confirm = await _post(browser, page, address, {})
        assert confirm.status_code == 200 and "Withdraw Sam Friend" in confirm.text
        done = await _post(browser, page, address, {"confirmed": "yes"})
        assert done.status_code == 303
        assert "nomination is withdrawn" in (await browser.get(done.headers["location"])).text
    async with signed_in(api, friend) as browser:
        assert (await browser.get(f"/cases/{case_id}")).status_code == 404


async def test_a_representative_nobody_has_nominated_is_told_why_the_list_is_empty(
    api: Api,
) -> None:
    representative = await add_user(api.stack.pool, "Rep not yet named", Role.REPRESENTATIVE)
    async with signed_in(api, representative) as browser:
        page = await browser.get("/cases")
    assert page.status_code == 200
    assert "No officer has nominated you as their representative yet" in page.text
    assert "There are no cases yet" not in page.text


async def test_a_form_the_server_cannot_parse_is_refused_not_a_failure(
    api: Api, new_officer: NewOfficer
) -> None:
    """A multipart body without its boundary (a broken client, or someone trying): Starlette
    cannot read it; the page says why, with a 400, instead of the service-fault page."""
    case_id = await api.to_hr_review(await new_officer())
    caseworker = await add_user(api.stack.pool, "Web caseworker parse", Role.CASEWORKER)
    async with signed_in(api, caseworker) as browser:
        sent = await browser.post(
            f"/cases/{case_id}/evidence",
            content=b"not a multipart body",
            headers=OWN_PAGE | {"Content-Type": "multipart/form-data"},
        )
    assert sent.status_code == 400
    assert f"<title>{title('That could not be done')}</title>" in sent.text
    assert "boundary" in sent.text
