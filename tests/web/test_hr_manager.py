"""The HR manager's pages in a real browser: escalations, suspending, resuming and reassigning
a case, and proposing an efficiency retirement with the assessments its regulation requires."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from domain.people import Role, Tier
from domain.policy import SchemePolicy
from domain.regulation import Assessment, Regulation, RegulationParameters
from store.officers import upsert_officers
from store.policies import add_policy
from store.regulations import add_regulation
from tests.helpers.api import API_POLICY, Api, NewOfficer, Stack, User, add_user
from tests.helpers.live import live_server
from tests.helpers.officers import officer
from tests.web.browser import check_page, screenshot, signed_in
from tests.web.test_caseworker_approver import wait_for_state
from tests.web.test_officer import form_of

pytestmark = pytest.mark.slow


async def offered(page: Page) -> set[str]:
    """The names of the action buttons the case page offers."""
    names = await page.locator("form.app-action button").all_inner_texts()
    return {name.strip() for name in names}


async def test_an_hr_manager_suspends_resumes_and_reassigns_a_case(
    api: Api,
    staff: dict[str, User],
    new_officer: NewOfficer,
    live: str,
    browser: Browser,
    pytestconfig: pytest.Config,
) -> None:
    case_id = await api.to_hr_review(await new_officer())
    page = await signed_in(browser, live, staff["hr_manager"])
    await page.goto(f"/cases/{case_id}")
    await check_page(page, f"Case {case_id}")
    # Exactly what the allowed-actions rule gives an HR manager in HR review.
    assert await offered(page) == {"Reassign", "Suspend"}

    # A suspension needs its reason; the form says so and keeps the other form's typing.
    await form_of(page, "Reassign").get_by_label("User id of the new assignee").fill("u_x")
    await form_of(page, "Suspend").get_by_role("button", name="Suspend").click()
    await check_page(page, f"Error: Case {case_id}")
    await expect(page.get_by_role("link", name="Enter the reason")).to_be_visible()
    await form_of(page, "Suspend").get_by_label("Reason").fill("Misconduct proceedings opened.")
    await form_of(page, "Suspend").get_by_role("button", name="Suspend").click()
    await expect(page.get_by_text("Done: Suspend. The case is now at “Suspended”.")).to_be_visible()
    await wait_for_state(page, "Suspended")
    await check_page(page, f"Case {case_id}")
    assert await offered(page) == {"Resume"}
    await screenshot(page, "hr-suspended", pytestconfig)

    await form_of(page, "Resume").get_by_label("Reason").fill("Proceedings closed.")
    await form_of(page, "Resume").get_by_role("button", name="Resume").click()
    await expect(page.get_by_text("Done: Resume")).to_be_visible()
    await wait_for_state(page, "HR review")
    assert (await api.get(case_id))["state"] == "hr_review"

    # Reassigning names the new assignee on the case's open work.
    other = staff["caseworker2"].user_id
    reassign = form_of(page, "Reassign")
    await reassign.get_by_label("User id of the new assignee").fill(other)
    await reassign.get_by_label("Reason (optional)").fill("Workload.")
    await reassign.get_by_role("button", name="Reassign").click()
    await expect(page.get_by_text("Done: Reassign")).to_be_visible()
    await check_page(page, f"Case {case_id}")
    tasks = page.get_by_role("table").filter(has_text="HR review")
    await expect(tasks).to_contain_text("Caseworker, Test caseworker2")  # by name, not id
    case = await api.get(case_id)
    assert [task["assignee_user_id"] for task in case["tasks"]] == [other]
    await page.context.close()


async def escalated(http: httpx.AsyncClient, case_id: str) -> bool:
    case = (await http.get(f"/v1/cases/{case_id}")).json()
    return any(task["escalated"] for task in case["tasks"])


async def test_an_hr_manager_sees_escalations_and_proposes_an_efficiency_retirement(
    isolated_stack: Stack, browser: Browser, pytestconfig: pytest.Config
) -> None:
    """A database of its own: its policy escalates work within seconds, and a regulation in
    force today would change the other tests'."""
    stack = isolated_stack
    hurried = {"reminder": {"after": "PT1S"}, "escalation": {"after": "PT2S"}}
    policy = SchemePolicy.model_validate(
        {**API_POLICY.model_dump(mode="json"), "version": "web-hurried", "hr_review_sla": hurried}
    )
    await add_policy(stack.pool, policy, "test-setup")
    late, subject = officer(), officer(service_start=date(1995, 1, 1))
    await upsert_officers(stack.pool, [late, subject])
    manager = await add_user(stack.pool, "Web HR manager", Role.HR_MANAGER)
    caseworker = await add_user(stack.pool, "Web caseworker", Role.CASEWORKER)
    executive = await add_user(stack.pool, "Web executive", Role.APPROVER, Tier.EXECUTIVE)
    retiring = await add_user(
        stack.pool, "Web retiring officer", Role.OFFICER, officer_id=subject.officer_id
    )
    async with stack.http(caseworker.token) as http:
        opened = await http.post("/v1/cases", json={"officer_id": late.officer_id})
        assert opened.status_code == 201, opened.text
        late_case = opened.json()["case_id"]
        async with asyncio.timeout(30):
            while not await escalated(http, late_case):
                await asyncio.sleep(0.3)

    async with live_server(stack) as url:
        page = await signed_in(browser, url, manager)
        await page.get_by_role("link", name="Escalations").click()
        await check_page(page, "Escalations")
        row = page.get_by_role("row").filter(has_text=late_case)
        await expect(row).to_contain_text("HR review")
        await expect(row).to_contain_text("Escalated")
        await screenshot(page, "hr-escalations", pytestconfig)
        await row.get_by_role("link", name=late_case).click()
        await check_page(page, f"Case {late_case}")

        await page.get_by_role("link", name="Propose a retirement").click()
        await check_page(page, "Propose an efficiency retirement")
        await expect(page.get_by_text("No regulation in force today")).to_be_visible()
        await expect(page.get_by_role("button", name="Propose retirement")).to_have_count(0)

        # An admin puts a record in force that requires two of the three assessments.
        reference = "Efficiency regulations (web test)"
        await add_regulation(
            stack.pool,
            Regulation(
                legal_reference=reference,
                version="1",
                effective_from=date.today() - timedelta(days=30),
                parameters=RegulationParameters(
                    minimum_service_by_scheme={"1987": "10", "2006": "10", "2015": "10"},
                    required_assessments=frozenset(
                        {Assessment.CRITICAL_SKILLS, Assessment.PERFORMANCE}
                    ),
                ),
            ),
            "u_admin",
        )
        await page.reload()
        await check_page(page, "Propose an efficiency retirement")
        await expect(page.locator(".govuk-inset-text")).to_contain_text(reference)
        optional = page.get_by_label("Equality impact assessment reference (optional)")
        await expect(optional).to_be_visible()

        # What the record requires and is missing comes back as errors, the typing kept.
        await page.get_by_label("Officer id").fill(subject.officer_id)
        skills = page.get_by_label("Assessment of critical skills or knowledge")
        await skills.fill("No critical skills at risk.")
        await page.get_by_role("button", name="Propose retirement").click()
        await check_page(page, "Error: Propose an efficiency retirement")
        summary = page.locator(".govuk-error-summary")
        await expect(summary).to_contain_text("Enter the assessment of performance in rank")
        await expect(summary).not_to_contain_text("critical skills")
        await expect(skills).to_have_value("No critical skills at risk.")
        await expect(page.get_by_label("Officer id")).to_have_value(subject.officer_id)
        await screenshot(page, "hr-propose", pytestconfig)

        await page.get_by_label("Assessment of performance in rank").fill("Assessed in rank.")
        await page.get_by_role("button", name="Propose retirement").click()
        await expect(page.get_by_text("The case is open")).to_be_visible()
        case_id = page.url.split("?")[0].rsplit("/", 1)[1]
        await wait_for_state(page, "Decision pending")
        await check_page(page, f"Case {case_id}")
        await expect(page.locator("main")).to_contain_text(re.compile("Efficiency retirement"))

        # The same officer again: they have an open case, and the page links to it.
        await page.get_by_role("link", name="Propose a retirement").click()
        await page.get_by_label("Officer id").fill(subject.officer_id)
        await page.get_by_label("Assessment of critical skills or knowledge").fill("Again.")
        await page.get_by_label("Assessment of performance in rank").fill("Again.")
        await page.get_by_role("button", name="Propose retirement").click()
        await check_page(page, "Error: Propose an efficiency retirement")
        existing = page.get_by_role("link", name=re.compile(f"Open the officer.s case {case_id}"))
        await expect(existing).to_be_visible()
        await page.context.close()

        # Notice served, the officer reads it in plain words and makes representations.
        async with stack.http(executive.token) as http:
            decided = await http.post(
                f"/v1/cases/{case_id}/actions/decide",
                json={"decision": "serve_notice", "reason": "Assessments support it."},
            )
            assert decided.status_code == 200, decided.text
        mine = await signed_in(browser, url, retiring)
        await check_page(mine, f"Your case {case_id}")
        main = mine.locator("main")
        await expect(main).to_contain_text("Notice of retirement was served on")
        await expect(main).to_contain_text("You can make representations against it until")
        await expect(main).to_contain_text("Representations close on")
        assert await offered(mine) == {"Apply for voluntary exit", "Make representations"}
        await screenshot(mine, "officer-efficiency", pytestconfig)
        await mine.get_by_label("Representations").fill("My firearms command skills are rare.")
        await mine.get_by_role("button", name="Make representations").click()
        await expect(mine.get_by_text("Done: Make representations")).to_be_visible()
        await check_page(mine, f"Your case {case_id}")
        async with stack.http(manager.token) as http:
            case = (await http.get(f"/v1/cases/{case_id}")).json()
        [made] = case["efficiency"]["representations"]
        assert made["text"] == "My firearms command skills are rare."
        await mine.context.close()
