"""The officer's case page lists the case's letters; each downloads through the page as through
the API, for whoever may read the case and nobody else; accepting the offer there is bound to
the offer letter the confirmation shows."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta

from domain.clock import local_date
from domain.notice import leaving_window
from store.policies import get_policy
from tests.helpers.api import Api, NewOfficer
from tests.web.test_inbox import signed_in
from tests.web.test_sign_in import OWN_PAGE, csrf_of
from web.format import date_text, datetime_text


async def test_the_officer_downloads_their_letters_from_the_case_page(
    api: Api, new_officer: NewOfficer
) -> None:
    owner, other = await new_officer(), await new_officer()
    case_id = await api.to_hr_review(owner)
    letters = (await api.as_(owner).get(f"/v1/cases/{case_id}/documents")).json()["items"]
    [received] = letters
    link = f"/cases/{case_id}/letters/{received['document_id']}"
    async with signed_in(api, owner) as browser:
        # The staff's case address sends the officer to their own page.
        moved = await browser.get(f"/cases/{case_id}")
        assert moved.status_code == 303 and moved.headers["location"] == f"/your-case/{case_id}"
        page = await browser.get(moved.headers["location"])
        assert page.status_code == 200 and f'href="{link}"' in page.text
        assert received["sha256"] in page.text
        # When it was written, as people read a time, not the audit event's number.
        written = datetime_text(datetime.fromisoformat(received["created_at"]))
        assert re.search(rf"<td[^>]*>{written}</td>", page.text)
        pdf = await browser.get(link)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert hashlib.sha256(pdf.content).hexdigest() == received["sha256"]
    async with signed_in(api, other) as browser:
        assert (await browser.get(link)).status_code == 404


async def test_the_officer_accepts_the_offer_letter_from_the_case_page(
    api: Api, new_officer: NewOfficer
) -> None:
    owner = await new_officer()
    case_id = await api.to_approval(owner)
    case = await api.approve_all(case_id)
    letters = (await api.as_(owner).get(f"/v1/cases/{case_id}/documents")).json()["items"]
    offer = next(letter for letter in letters if letter["kind"] == "offer")
    async with signed_in(api, api.staff["caseworker"]) as browser:
        staff_page = (await browser.get(f"/cases/{case_id}")).text
    # The timeline says which tier approved.
    assert re.search(r"Approve \(HR tier\)", staff_page)
    async with signed_in(api, owner) as browser:
        page = await browser.get(f"/your-case/{case_id}")
        assert f'value="{offer["sha256"]}"' in page.text
        # The officer clicks "Accept offer" without choosing the letter: the confirmation
        # carries the current offer letter's hash, and shows that letter.
        address = f"/your-case/{case_id}/actions/accept-offer"
        form = {"csrf_token": csrf_of(page.text), "version": str(case["version"])}
        confirm = await browser.post(address, data=form, headers=OWN_PAGE)
        assert confirm.status_code == 200, confirm.text
        assert f'/letters/{offer["document_id"]}"' in confirm.text
        hidden = dict(
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirm.text)
        )
        assert hidden["letter_sha256"] == offer["sha256"] and hidden["confirmed"] == "yes"
        # The hash it carries binds the acceptance: another letter's is refused.
        other = next(letter for letter in letters if letter["kind"] != "offer")
        wrong = await browser.post(
            address, data={**hidden, "letter_sha256": other["sha256"]}, headers=OWN_PAGE
        )
        assert wrong.status_code == 409 and "has moved on" in wrong.text
        sent = await browser.post(address, data=hidden, headers=OWN_PAGE)
        assert sent.status_code == 303, sent.text
    events = (await api.as_("auditor").get(f"/v1/cases/{case_id}/audit")).json()["items"]
    accept = next(e for e in events if e["action"] == "accept-offer")
    assert accept["details"]["accepted_letter"]["sha256"] == offer["sha256"]


async def test_a_leaving_date_the_notice_rules_refuse_comes_back_before_the_confirmation(
    api: Api, new_officer: NewOfficer
) -> None:
    owner = await new_officer()
    case_id = await api.to_approval(owner)
    case = await api.approve_all(case_id)
    policy = await get_policy(api.stack.pool, case["policy_version"])
    assert policy is not None
    today = local_date(datetime.now(UTC))
    window = leaving_window(today, policy)
    address = f"/your-case/{case_id}/actions/accept-offer"
    async with signed_in(api, owner) as browser:
        page = await browser.get(f"/your-case/{case_id}")
        form = {"csrf_token": csrf_of(page.text), "version": str(case["version"])}
        for chosen, told in (
            (date(2020, 1, 1), "The leaving date must be today or later"),
            (
                window.latest + timedelta(days=1),
                f"Choose a leaving date from {date_text(window.earliest)} to "
                f"{date_text(window.latest)}",
            ),
        ):
            sent = await browser.post(
                address, data=form | {"leaving_date": chosen.isoformat()}, headers=OWN_PAGE
            )
            assert sent.status_code == 400, chosen
            assert 'name="confirmed"' not in sent.text  # no confirmation page for it
            assert told in sent.text and 'href="#accept-offer-leaving-date"' in sent.text
    assert (await api.get(case_id))["state"] == "offer_made"
