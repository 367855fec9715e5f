"""ETag and If-Match: a decision on a case's figures is taken on the version its author read.

The race this guards against: an adjustment lands, and an approval sent for the earlier figures
goes through on the new ones (the new amount needed fewer tiers, so it went straight to an
offer nobody had approved). The workflow compares versions in its Update validator and again as
each action leaves its inbox, so whichever of two racing decisions lands second is refused.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx

from tests.helpers.api import Api, NewOfficer

PROBLEM = "application/problem+json"


async def read(api: Api, case_id: str, as_: str = "caseworker") -> tuple[dict[str, Any], str]:
    response = await api.as_(as_).get(f"/v1/cases/{case_id}")
    assert response.status_code == 200, response.text
    return response.json(), response.headers["etag"]


async def send(
    api: Api, case_id: str, action: str, by: str, etag: str, **body: Any
) -> httpx.Response:
    return await api.as_(by).post(
        f"/v1/cases/{case_id}/actions/{action}", json=body, headers={"If-Match": etag}
    )


async def test_reads_and_actions_carry_the_case_version_as_etag(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    created = await api.as_("caseworker").post("/v1/cases", json={"officer_id": officer.officer_id})
    assert created.headers["etag"] == '"0"' and created.json()["version"] == 0
    case_id = created.json()["case_id"]
    await api.wait_for(case_id, "hr_review")
    case, etag = await read(api, case_id)
    assert etag == f'"{case["version"]}"' and case["version"] == 2  # submit, eligibility_checked
    reviewed = await send(api, case_id, "review", "caseworker", etag, decision="proceed")
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.headers["etag"] == '"3"' == f'"{reviewed.json()["version"]}"'
    assert (await read(api, case_id, as_=officer))[1] == '"3"'  # the same version for everyone


async def test_a_decision_on_figures_needs_a_version_and_others_may_send_one(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_approval(officer)
    case, etag = await read(api, case_id)
    for action, body in (
        ("approve", {}),
        ("reject", {"reason": "no"}),
        ("adjust-compensation", {"amount": "40000.00", "reason": "r"}),
    ):
        by = "caseworker2" if action == "adjust-compensation" else "approver_hr"
        missing = await api.as_(by).post(f"/v1/cases/{case_id}/actions/{action}", json=body)
        assert missing.status_code == 428, (action, missing.text)
        problem = missing.json()
        assert missing.headers["content-type"] == PROBLEM
        assert problem["type"] == "/problems/precondition-required"
        assert problem["detail"].startswith(f"'{action}' decides on the case's figures")
    # Who may not act is told so first; the precondition comes after authorisation.
    assert (
        await api.as_("auditor").post(f"/v1/cases/{case_id}/actions/approve")
    ).status_code == 403
    # The version travels in If-Match alone, naming one version, quoted.
    in_body = await api.as_("approver_hr").post(
        f"/v1/cases/{case_id}/actions/approve", json={"version": case["version"]}
    )
    assert in_body.status_code == 422 and in_body.json()["errors"][0]["field"] == "body.version"
    for malformed in ("*", 'W/"5"', "5"):
        bad = await send(api, case_id, "approve", "approver_hr", malformed)
        assert bad.status_code == 422, malformed
        assert bad.json()["errors"][0]["field"] == "header.If-Match"
    assert (await read(api, case_id))[0]["version"] == case["version"]  # nothing happened
    approved = await send(api, case_id, "approve", "approver_hr", etag)
    assert approved.status_code == 200, approved.text
    # Actions that are not decisions on figures need no version, but a stale one is refused.
    stale = await send(api, case_id, "suspend", "hr_manager", etag, reason="proceedings")
    assert stale.status_code == 412
    suspended = await api.act(case_id, "suspend", "hr_manager", reason="proceedings")
    assert suspended["state"] == "suspended"


async def test_an_approval_sent_for_figures_since_adjusted_is_refused(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_approval(officer)
    seen, etag = await read(api, case_id, as_="approver_hr")
    assert seen["required_tiers"] == ["hr", "finance"]
    adjusted = await send(
        api, case_id, "adjust-compensation", "caseworker2", etag, amount="40000.00", reason="r"
    )
    assert adjusted.status_code == 200, adjusted.text
    assert adjusted.json()["required_tiers"] == ["hr"]  # one approval now makes the offer
    now = adjusted.json()["version"]

    stale = await send(api, case_id, "approve", "approver_hr", etag, reason="within budget")
    assert stale.status_code == 412, stale.text
    problem = stale.json()
    assert problem["type"] == "/problems/case-changed"
    assert problem["current_version"] == now
    assert stale.headers["etag"] == f'"{now}"'
    assert problem["detail"] == (
        f"the case has changed since you read it: you sent version {seen['version']}, it is "
        f"now at version {now}; read it again and decide on what it shows now"
    )
    case, fresh = await read(api, case_id, as_="approver_hr")
    assert (case["state"], case["approvals"], case["offer"]) == ("approval", [], None)

    offered = await send(api, case_id, "approve", "approver_hr", fresh, reason="seen £40,000")
    assert offered.json()["offer"]["amount"] == "40000.00"


async def race(api: Api, case_id: str, order: list[str], n: int) -> None:
    """n HR approvals and n adjustments to £40,000, all sent on the version read now."""
    seen, etag = await read(api, case_id, as_="approver_hr")
    version = seen["version"]
    requests = {
        "approve": lambda: send(api, case_id, "approve", "approver_hr", etag, reason="ok"),
        "adjust-compensation": lambda: send(
            api, case_id, "adjust-compensation", "caseworker2", etag, amount="40000.00", reason="r"
        ),
    }
    sent = [order[i % 2] for i in range(2 * n)]
    answers = await asyncio.gather(*(requests[action]() for action in sent))

    accepted = [(a, r.json()) for a, r in zip(sent, answers, strict=True) if r.status_code == 200]
    # Every request named the same version, so exactly one could be taken on it.
    assert len(accepted) == 1, [(a, r.status_code) for a, r in zip(sent, answers, strict=True)]
    winner, after = accepted[0]
    assert after["version"] == version + 1  # taken on the version its sender read
    for action, answer in zip(sent, answers, strict=True):
        if answer.status_code == 200:
            continue
        problem = answer.json()
        if answer.status_code == 403:
            # An approval that lost to an approval: the HR tier is no longer due.
            assert action == "approve" == winner and problem["type"] == "/problems/forbidden-tier"
            continue
        assert answer.status_code == 412, (action, answer.text)
        assert problem["current_version"] > version

    events = await api.as_("auditor").get(f"/v1/cases/{case_id}/audit", params={"limit": 200})
    later = [e for e in events.json()["items"] if e["seq"] > version]
    assert [e["action"] for e in later] == [winner]
    if winner == "approve":
        assert later[0]["details"]["tier"] == "hr" and after["adjustment"] is None
        assert [a["tier"] for a in after["approvals"]] == ["hr"]
    else:
        assert after["approvals"] == [] and after["required_tiers"] == ["hr"]


async def approve_as_seen(api: Api, case_id: str) -> None:
    """Approve each tier due on the figures each approver has just read; the offer is those."""
    case, _ = await read(api, case_id)
    while case["state"] == "approval":
        approved = {a["tier"] for a in case["approvals"] if a["approved"]}
        tier = next(t for t in case["required_tiers"] if t not in approved)
        seen, etag = await read(api, case_id, as_=f"approver_{tier}")
        answer = await send(api, case_id, "approve", f"approver_{tier}", etag)
        assert answer.status_code == 200, answer.text
        case = answer.json()
    assert on_the_table(case) == on_the_table(seen)
    # The offer is for a date the officer can accept until it lapses, which may be later than
    # the date calculated on: an adjusted amount is offered as approved, a calculated one is
    # worked out for that date (acceptance checks it against the tiers given).
    if case["adjustment"]:
        assert case["offer"]["amount"] == on_the_table(case)
    else:
        assert Decimal(case["offer"]["amount"]) >= Decimal(on_the_table(case))


def on_the_table(case: dict[str, Any]) -> str:
    adjustment = case["adjustment"]
    return adjustment["amount"] if adjustment else case["calculation"]["amount"]


async def test_racing_approvals_and_adjustments_decide_only_on_figures_seen(
    api: Api, new_officer: NewOfficer
) -> None:
    for order in (["adjust-compensation", "approve"], ["approve", "adjust-compensation"]):
        case_id = await api.to_approval(await new_officer())
        await race(api, case_id, order, n=5)
        await approve_as_seen(api, case_id)
