"""The invitation letter (issue 17, item 2): a real invitation run, on the dev server and
PostgreSQL, writes one letter per invited officer, a second run none; the PDF names the scheme
and its window; the officer reads their own on the API and their pages, staff read anyone's,
another officer and a representative none, and each download is in the access log."""

from __future__ import annotations

import hashlib

from domain.officer import Rank
from domain.people import Role
from store.officers import upsert_officers
from tests.api.test_scheme import add_scheme, finished
from tests.helpers.api import Api, add_user
from tests.helpers.letters import pdf_text
from tests.helpers.officers import officer as officer_record
from tests.web.test_scheme_invitations import signed_in_http

SCHEME = "ves-2026"


async def _run(api: Api, key: str, ranks: list[str] | None = None) -> dict[str, object]:
    body = {} if ranks is None else {"ranks": ranks}
    response = await api.as_("hr_manager").post(
        f"/v1/schemes/{SCHEME}/invitations", json=body, headers={"Idempotency-Key": key}
    )
    assert response.status_code == 202, response.text
    return await finished(api, response.headers["Location"])


async def test_each_invited_officer_gets_one_letter_naming_the_scheme_and_its_window(
    scheme_api: Api,
) -> None:
    api = scheme_api
    await add_scheme(api, application_opens="2026-01-05", application_closes="2099-03-31")
    ranks = [Rank.SUPERINTENDENT, Rank.CHIEF_INSPECTOR]
    roster = [officer_record(officer_id=f"IL{n:03d}", rank=ranks[n % 2]) for n in range(6)]
    await upsert_officers(api.stack.pool, roster)

    first = await _run(api, "letters-1", ["superintendent"])
    second = await _run(api, "letters-2")
    assert (first["invited"], second["invited"]) == (3, 3)
    again = await _run(api, "letters-3")
    assert again["invited"] == 0

    stored = await api.stack.pool.fetch(
        "SELECT officer_id, sha256 FROM invitation_letters WHERE scheme = $1 ORDER BY 1", SCHEME
    )
    assert [r["officer_id"] for r in stored] == [o.officer_id for o in roster]
    # Each notice names the letter, so the notifier links to it or attaches it.
    notices = await api.stack.pool.fetch(
        "SELECT recipient_officer_id, document_id FROM notifications "
        "WHERE template = 'invitation' ORDER BY 1"
    )
    assert [(r["recipient_officer_id"], r["document_id"]) for r in notices] == [
        (o.officer_id, "invitation") for o in roster
    ]

    owner = roster[0]
    user = await add_user(api.stack.pool, "Officer", Role.OFFICER, officer_id=owner.officer_id)
    listed = await api.as_(user).get(f"/v1/officers/{owner.officer_id}/invitation-letters")
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    response = await api.as_(user).get(item["href"])
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(response.content).hexdigest() == item["sha256"] == stored[0]["sha256"]
    text = pdf_text(response.content)
    for words in (
        "You are invited to apply for voluntary exit",
        "Scheme ves-2026",
        "Applications open 5 January 2026",
        "Applications close 31 March 2099",
        "You do not have to apply",
        owner.name,
    ):
        assert words in text, words


async def test_only_the_officer_and_staff_read_an_invitation_letter(scheme_api: Api) -> None:
    api = scheme_api
    await add_scheme(api)
    owner_record = officer_record(officer_id="ILA01", rank=Rank.SUPERINTENDENT)
    other_record = officer_record(officer_id="ILB01", rank=Rank.INSPECTOR)  # not invited
    await upsert_officers(api.stack.pool, [owner_record, other_record])
    await _run(api, "access", ["superintendent"])
    owner = await add_user(api.stack.pool, "Owner", Role.OFFICER, officer_id="ILA01")
    other = await add_user(api.stack.pool, "Other", Role.OFFICER, officer_id="ILB01")
    representative = await add_user(api.stack.pool, "Rep", Role.REPRESENTATIVE)
    path = f"/v1/officers/ILA01/invitation-letters/{SCHEME}"

    for reader, status in ((other, 404), (representative, 403), ("caseworker", 200)):
        for url in (path, path.removesuffix(f"/{SCHEME}")):
            response = await api.as_(reader).get(url)
            assert response.status_code == status, (reader, url, response.text)
    # The other officer's own path has no letter: nobody reaches another's through it.
    assert (
        await api.as_(other).get(f"/v1/officers/ILB01/invitation-letters/{SCHEME}")
    ).status_code == 404

    # On the officer's pages: listed on the apply page and their home page, downloaded from
    # a path that names no officer (the e-mail's link).
    async with signed_in_http(api, owner) as browser:
        for page in ("/apply", "/your-case"):
            shown = await browser.get(page)
            assert shown.status_code == 200
            assert f'href="/invitation-letters/{SCHEME}"' in shown.text, page
        download = await browser.get(f"/invitation-letters/{SCHEME}")
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/pdf"
    async with signed_in_http(api, other) as browser:
        assert 'href="/invitation-letters/' not in (await browser.get("/apply")).text
        assert (await browser.get(f"/invitation-letters/{SCHEME}")).status_code == 404

    logged = await api.stack.pool.fetch(
        "SELECT role, endpoint FROM access_log WHERE case_id = $1 ORDER BY at", f"scheme:{SCHEME}"
    )
    assert [(r["role"], r["endpoint"]) for r in logged] == [
        ("caseworker", f"GET {path}"),
        ("officer", f"GET {path}"),
    ]
