"""A case page acted on after the case moved on (a second tab, a page left open): the page
says so in words, changes nothing, and shows what the user can do now."""

from __future__ import annotations

import re

from tests.helpers.api import Api, NewOfficer
from tests.web.test_inbox import signed_in
from tests.web.test_sign_in import OWN_PAGE, csrf_of


async def test_a_review_sent_from_a_page_opened_before_the_case_moved_on(
    api: Api, new_officer: NewOfficer
) -> None:
    case_id = await api.to_hr_review(await new_officer())
    async with signed_in(api, api.staff["caseworker"]) as browser:
        page = (await browser.get(f"/cases/{case_id}")).text
        version = re.search(r'name="version" value="(\d+)"', page)
        assert version is not None
        # Meanwhile, in another tab: information requested.
        await api.act(case_id, "review", "caseworker", decision="request_info", reason="Dates?")
        await api.wait_for(case_id, "info_requested")
        sent = await browser.post(
            f"/cases/{case_id}/actions/review",
            data={
                "csrf_token": csrf_of(page),
                "version": version[1],
                "decision": "proceed",
            },
            headers=OWN_PAGE,
        )
    assert sent.status_code == 409
    assert (
        "The case has moved on: it is now at “Information requested”, where “Review” cannot be "
        "done. Nothing was changed; what you can do now is below."
    ) in sent.text
    # The API's identifiers, and the actions of other roles, are not shown to the caseworker.
    assert "info_requested" not in sent.text and "reassign" not in sent.text
    assert (await api.get(case_id))["state"] == "info_requested"
