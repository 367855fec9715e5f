"""The paper trail in a real browser, one journey: the officer nominates a representative, the
representative answers a request for information with a PDF attached, a caseworker adds a
note, and the case page shows all three; axe checks each page on the way. The errors and
refusals are tested in-process (tests/web/test_paper_trail_pages.py)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from domain.people import Role
from tests.helpers.api import Api, NewOfficer, add_user
from tests.helpers.files import pdf
from tests.web.browser import check_page, screenshot, signed_in
from tests.web.test_officer import form_of

pytestmark = pytest.mark.slow


async def test_representative_answers_with_a_file_and_a_caseworker_notes_it(
    api: Api, new_officer: NewOfficer, live: str, browser: Browser, pytestconfig: pytest.Config
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    question = "Send your service record."
    await api.act(case_id, "review", "caseworker", decision="request_info", reason=question)
    await api.wait_for(case_id, "info_requested")
    friend = await add_user(api.stack.pool, "Robin Friend", Role.REPRESENTATIVE)

    # The officer nominates them, and confirms.
    mine = await signed_in(browser, live, officer)
    await mine.goto(f"/your-case/{case_id}")
    await check_page(mine, f"Your case {case_id}")
    await mine.get_by_role("radio", name="Robin Friend").check()
    await mine.get_by_role("button", name="Nominate", exact=True).click()
    await check_page(mine, "Nominate Robin Friend as your representative?")
    await mine.get_by_role("button", name="Nominate", exact=True).click()
    await expect(mine.get_by_text("Your representative is nominated")).to_be_visible()
    await expect(mine.locator("#representative ~ p").first).to_contain_text("Robin Friend")
    await check_page(mine, f"Your case {case_id}")

    # The representative finds the case, answers for the officer with a PDF.
    theirs = await signed_in(browser, live, friend)
    await check_page(theirs, "Cases")
    await theirs.get_by_role("link", name=case_id).click()
    await check_page(theirs, f"Case {case_id}")
    await expect(theirs.get_by_role("button", name="Accept offer")).to_have_count(0)
    await expect(theirs.get_by_role("button", name="Withdraw")).to_have_count(0)
    # What HR asked, above the box to answer it in.
    await expect(theirs.get_by_text(question)).to_be_visible()
    answer = form_of(theirs, "Provide information")
    await answer.get_by_label("Answer").fill("The officer's service record is attached.")
    await answer.get_by_label(re.compile("A file that supports it")).set_input_files(
        {"name": "service-record.pdf", "mimeType": "application/pdf", "buffer": pdf()}
    )
    await answer.get_by_role("button", name="Provide information").click()
    await expect(theirs.get_by_text("Done: Provide information")).to_be_visible()
    await check_page(theirs, f"Case {case_id}")
    await expect(theirs.get_by_role("link", name="service-record.pdf")).to_be_visible()

    # A caseworker adds a note, and sees the three together on the case page.
    staff = await signed_in(browser, live, api.staff["caseworker"])
    await staff.goto(f"/cases/{case_id}")
    note = "Service record checked against the roster: 28 years."
    await staff.get_by_label("Add a note").fill(note)
    await staff.get_by_role("button", name="Add note").click()
    await expect(staff.get_by_text("Your note is added")).to_be_visible()
    await check_page(staff, f"Case {case_id}")
    main = staff.locator("main")
    await expect(main.locator("#representative ~ p").first).to_contain_text("Robin Friend")
    evidence = main.locator("table", has=staff.get_by_role("link", name="service-record.pdf"))
    await expect(evidence).to_contain_text("Representative Robin Friend, for")
    await expect(evidence).to_contain_text("Information HR asked for")  # what it supports
    await expect(main.locator(".govuk-inset-text", has_text=note)).to_be_visible()
    await expect(main.locator(".moj-timeline")).to_contain_text("Note added")
    await screenshot(staff, "case-paper-trail", pytestconfig)
    events = (await api.as_("auditor").get(f"/v1/cases/{case_id}/audit")).json()["items"]
    answered = next(e for e in events if e["action"] == "provide-info")
    assert answered["actor_user_id"] == friend.user_id
    assert answered["on_behalf_of"] == officer.officer_id
    assert len(answered["details"]["evidence"]) == 1
