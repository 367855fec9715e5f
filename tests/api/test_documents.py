"""Letters over HTTP: who may list and download them, the access log, and accepting a letter."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from domain.letters import default_templates
from tests.helpers.api import Api, NewOfficer, User
from tests.helpers.letters import pdf_text


async def _letters(api: Api, case_id: str, as_: User | str) -> list[dict[str, Any]]:
    response = await api.as_(as_).get(f"/v1/cases/{case_id}/documents")
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def _offer(api: Api, officer: User) -> tuple[str, dict[str, Any]]:
    case_id = await api.to_approval(officer)
    await api.approve_all(case_id)
    letters = await _letters(api, case_id, officer)
    return case_id, next(letter for letter in letters if letter["kind"] == "offer")


async def test_the_officer_downloads_their_letter_and_accepts_exactly_it(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id, offer = await _offer(api, officer)
    response = await api.as_(officer).get(offer["href"])
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(response.content).hexdigest() == offer["sha256"]
    assert response.headers["x-content-sha256"] == offer["sha256"]
    case = await api.get(case_id)
    assert f"£{float(case['offer']['amount']):,.2f}" in pdf_text(response.content)

    # Any hash but the offer letter's: 409, saying which letter stands.
    other = (await _letters(api, case_id, officer))[0]
    assert other["kind"] == "application_received"
    refused = await api.act(
        case_id, "accept-offer", officer, expect=409, letter_sha256=other["sha256"]
    )
    assert refused["type"].endswith("letter-superseded") and offer["sha256"] in refused["detail"]
    accepted = await api.act(case_id, "accept-offer", officer, letter_sha256=offer["sha256"])
    assert accepted["state"] == "accepted"
    events = await api.as_("auditor").get(f"/v1/cases/{case_id}/audit")
    accept = next(e for e in events.json()["items"] if e["action"] == "accept-offer")
    assert accept["details"]["accepted_letter"]["sha256"] == offer["sha256"]

    # Every download is in the access log, the officer's own too, naming the letter.
    await api.as_("caseworker").get(offer["href"])
    log = await api.as_("auditor").get("/v1/audit/access", params={"case_id": case_id})
    entries = [json.loads(line) for line in log.text.splitlines() if line]
    downloads = [
        (e["role"], e["endpoint"]) for e in entries if e["endpoint"].endswith(offer["document_id"])
    ]
    assert [role for role, _ in downloads] == ["officer", "caseworker"]


async def test_an_officer_cannot_list_or_download_another_officers_letters(
    api: Api, new_officer: NewOfficer
) -> None:
    owner, other = await new_officer(), await new_officer()
    case_id, offer = await _offer(api, owner)
    for path in (f"/v1/cases/{case_id}/documents", offer["href"]):
        response = await api.as_(other).get(path)
        assert response.status_code == 404, response.text
    missing = await api.as_(owner).get(f"/v1/cases/{case_id}/documents/offer-999")
    assert missing.status_code == 404


async def test_admins_add_template_versions_and_nobody_else(api: Api) -> None:
    # The shipped wording under a new version: cases opened meanwhile read the same.
    body = {**default_templates().model_dump(), "version": f"t-{secrets.token_hex(3)}"}
    refused = await api.as_("caseworker").post("/v1/letter-templates", json=body)
    assert refused.status_code == 403
    admin = await api.as_("admin").post("/v1/letter-templates", json=body)
    assert admin.status_code == 201, admin.text
    broken = {**body, "version": "broken", "templates": {**body["templates"], "offer": "{% if"}}
    invalid = await api.as_("admin").post("/v1/letter-templates", json=broken)
    assert invalid.status_code == 422 and "offer" in invalid.text
