"""The officer's and HR manager's pages through the application in-process: who may open
them, the CSRF check on their forms, and the refusals that come back as pages."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from domain.officer import Rank
from domain.people import Role
from tests.api.test_scheme import add_scheme, to_offer
from tests.api.test_scheme import new_officer as scheme_officer
from tests.helpers.api import Api, NewOfficer, add_user
from tests.helpers.cases import left_the_force
from tests.web.browser import title
from tests.web.test_inbox import signed_in
from tests.web.test_sign_in import OWN_PAGE, csrf_of


async def test_staff_cannot_open_the_officers_pages(api: Api) -> None:
    caseworker = await add_user(api.stack.pool, "Web caseworker O", Role.CASEWORKER)
    async with signed_in(api, caseworker) as browser:
        for address in ("/your-case", "/apply"):
            page = await browser.get(address)
            assert page.status_code == 403, address
            # The API's words, as a sentence on the page.
            assert "These pages are for officers" in page.text


async def test_officers_cannot_open_the_staffs_case_list_or_open_a_case_for_someone(
    api: Api,
) -> None:
    officer = await add_user(api.stack.pool, "Web officer S", Role.OFFICER, officer_id="OFSTAFF1")
    async with signed_in(api, officer) as browser:
        for address in ("/cases", "/cases/new/voluntary-exit"):
            page = await browser.get(address)
            assert page.status_code == 403, address
            assert "These pages are for staff; your case is on the Your case page" in page.text
        token = csrf_of((await browser.get("/sign-out")).text)
        sent = await browser.post(
            "/cases/new/voluntary-exit",
            data={"csrf_token": token, "officer_id": "OFSTAFF1"},
            headers=OWN_PAGE,
        )
        assert sent.status_code == 403
    opened = "SELECT count(*) FROM cases WHERE officer_id = 'OFSTAFF1'"
    assert await api.stack.pool.fetchval(opened) == 0


async def test_an_officer_not_on_the_roster_is_told_before_the_form_not_after(
    api: Api,
) -> None:
    absent = await add_user(api.stack.pool, "Not yet listed", Role.OFFICER, officer_id="OFABSENT1")
    async with signed_in(api, absent) as browser:
        first = await browser.get("/your-case")
        assert "You are not on the force's roster yet, so you cannot apply" in first.text
        assert 'href="/apply"' not in first.text
        page = await browser.get("/apply")
        assert page.status_code == 200
        assert "You are not on the force's roster yet, so you cannot apply" in page.text
        assert 'action="/apply"' not in page.text  # no form to fill in for nothing
        # Sent anyway (a form kept open from before): the same words, and no case.
        token = csrf_of((await browser.get("/sign-out")).text)
        sent = await browser.post("/apply", data={"csrf_token": token}, headers=OWN_PAGE)
        assert sent.status_code == 409
        assert "You are not on the force's roster yet, so you cannot apply" in sent.text
    count = "SELECT count(*) FROM cases WHERE officer_id = 'OFABSENT1'"
    assert await api.stack.pool.fetchval(count) == 0


def _words(page: str) -> str:
    """A page's text as a person reads it: no tags, no character references."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


async def test_a_leaving_date_in_the_past_is_refused_before_a_case_is_opened(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    async with signed_in(api, officer) as browser:
        form = await browser.get("/apply")
        # The hint's example is a date still to come.
        assert f"For example, {date.today().year + 1}-06-30" in form.text
        # GOV.UK Frontend's guard against a double click sending the form twice.
        assert 'data-prevent-double-click="true"' in form.text
        data = {"csrf_token": csrf_of(form.text), "leaving_date": "1999-01-01"}
        sent = await browser.post("/apply", data=data, headers=OWN_PAGE)
    assert sent.status_code == 400
    assert "Enter the leaving date as a real date, today or later" in sent.text
    count = "SELECT count(*) FROM cases WHERE officer_id = $1"
    assert await api.stack.pool.fetchval(count, officer.officer_id) == 0


async def test_an_officer_who_has_left_is_told_so_and_nobody_can_open_a_case_for_them(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    left = await left_the_force(api.stack.pool, officer.officer_id, Rank.SUPERINTENDENT)
    told = f"Your exit from the force was completed, in case {left}, so you cannot apply again"
    async with signed_in(api, officer) as browser:
        for address in ("/your-case", "/apply"):
            page = await browser.get(address)
            assert page.status_code == 200, address
            assert told in _words(page.text), address
            assert f'href="/your-case/{left}"' in page.text
            assert 'href="/apply"' not in page.text and 'action="/apply"' not in page.text
        token = csrf_of((await browser.get("/sign-out")).text)
        sent = await browser.post("/apply", data={"csrf_token": token}, headers=OWN_PAGE)
        assert sent.status_code == 409 and told in _words(sent.text)
    async with signed_in(api, api.staff["caseworker"]) as browser:
        form = await browser.get("/cases/new/voluntary-exit")
        data = {"csrf_token": csrf_of(form.text), "officer_id": officer.officer_id}
        sent = await browser.post("/cases/new/voluntary-exit", data=data, headers=OWN_PAGE)
        assert sent.status_code == 409
        assert "This officer's exit was completed: they cannot have a new case" in _words(sent.text)
        assert f'href="/cases/{left}"' in sent.text
    count = "SELECT count(*) FROM cases WHERE officer_id = $1"
    assert await api.stack.pool.fetchval(count, officer.officer_id) == 1


async def test_an_officer_id_in_the_wrong_case_is_answered_with_the_one_meant(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    async with signed_in(api, api.staff["caseworker"]) as browser:
        form = await browser.get("/cases/new/voluntary-exit")
        for typed, told in (
            (officer.officer_id.lower(), f"did you mean {officer.officer_id}?"),
            ("NOBODY1", "There is no officer with this id on the roster</"),
        ):
            data = {"csrf_token": csrf_of(form.text), "officer_id": typed}
            sent = await browser.post("/cases/new/voluntary-exit", data=data, headers=OWN_PAGE)
            assert sent.status_code == 422 and told in sent.text, typed
    count = "SELECT count(*) FROM cases WHERE officer_id = $1"
    assert await api.stack.pool.fetchval(count, officer.officer_id) == 0


async def test_an_officer_with_an_open_case_is_sent_to_it_and_cannot_apply_again(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    async with signed_in(api, officer) as browser:
        form = await browser.get("/apply")
        token = csrf_of(form.text)
        # No CSRF token: nothing is sent.
        forged = await browser.post("/apply", data={"statement": "x"}, headers=OWN_PAGE)
        assert forged.status_code == 403
        assert (await browser.get("/your-case")).status_code == 200  # still no case

        sent = await browser.post("/apply", data={"csrf_token": token}, headers=OWN_PAGE)
        assert sent.status_code == 303
        case_page = sent.headers["location"]
        assert case_page.endswith("?done=applied")
        case_id = case_page.split("?")[0].rsplit("/", 1)[1]
        home = await browser.get("/your-case")
        assert home.status_code == 303 and home.headers["location"] == f"/your-case/{case_id}"

        again = await browser.post(
            "/apply", data={"csrf_token": token, "statement": "Again."}, headers=OWN_PAGE
        )
        assert again.status_code == 409
        assert f"<title>{title('Error: Apply for voluntary exit')}</title>" in again.text
        assert "You already have an open case" in again.text
        assert 'href="#existing"' in again.text and "govuk-input--error" not in again.text
        assert f'href="/your-case/{case_id}"' in again.text
        assert ">Again.</textarea>" in again.text  # what was typed comes back


async def test_proposing_needs_a_regulation_in_force(api: Api) -> None:
    """The shared database has none in force today (the tests that add one use their own)."""
    manager = await add_user(api.stack.pool, "Web HR manager P", Role.HR_MANAGER)
    async with signed_in(api, manager) as browser:
        page = await browser.get("/propose")
        assert page.status_code == 200
        assert "No regulation in force today permits efficiency retirement" in page.text
        # The page has no form to take a token from: the sign-out page's form has one.
        token = csrf_of((await browser.get("/sign-out")).text)
        sent = await browser.post(
            "/propose",
            data={"csrf_token": token, "officer_id": "OF1"},
            headers=OWN_PAGE,
        )
        assert sent.status_code == 409
        assert "No regulation in force today" in sent.text


async def test_an_acceptance_into_a_full_month_names_the_months_with_room(
    scheme_api: Api,
) -> None:
    api = scheme_api
    await add_scheme(api, monthly_caps={"superintendent": 1})
    first, second = await scheme_officer(api), await scheme_officer(api)
    cases = [await to_offer(api, o) for o in (first, second)]
    # The notice window: one to three months after acceptance today.
    month = date.today().replace(day=1) + timedelta(days=62)
    in_month, next_month = month.replace(day=10), (month + timedelta(days=31)).replace(day=5)
    await api.act(cases[0], "accept-offer", first, leaving_date=in_month.isoformat())
    version = (await api.get(cases[1]))["version"]
    async with signed_in(api, second) as browser:
        page = await browser.get(f"/your-case/{cases[1]}")
        form = {
            "csrf_token": csrf_of(page.text),
            "version": str(version),
            "leaving_date": in_month.isoformat(),
            "confirmed": "yes",
        }
        refused = await browser.post(
            f"/your-case/{cases[1]}/actions/accept-offer", data=form, headers=OWN_PAGE
        )
    assert refused.status_code == 409
    # The service's refusal, not "your case has moved on": the officer can pick another month.
    assert f"{in_month:%Y-%m} already has 1 superintendent leaver(s)" in refused.text
    assert f"months with room: {next_month:%Y-%m}" in refused.text
    assert "moved on" not in refused.text
    assert (await api.get(cases[1]))["state"] == "offer_made"
