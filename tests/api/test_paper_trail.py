"""Evidence files, case notes, representatives and the subject access export, over HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import secrets
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import pytest

from api.routes.evidence import MAX_FILENAME_CHARS, content_disposition, display_name
from domain.evidence import MAX_FILES_PER_CASE
from domain.people import Role, Tier
from store.letters import store_invitation_letters
from store.officers import upsert_officers
from tests.api.test_authz_matrix import PROPOSAL, _regulation
from tests.helpers.api import Api, NewOfficer, Stack, User, add_user
from tests.helpers.files import docx, jpeg, odt, pdf, png
from tests.helpers.officers import officer as officer_record

PROBLEM = "application/problem+json"


async def attach(
    api: Api,
    case_id: str,
    by: User | str,
    content: bytes,
    *,
    attached_to: str = "info_answer",
    filename: str = "service-record.pdf",
) -> Any:
    return await api.as_(by).post(
        f"/v1/cases/{case_id}/evidence",
        params={"attached_to": attached_to, "filename": filename},
        content=content,
        headers={"Content-Type": "application/octet-stream"},
    )


async def stored_files(pool: asyncpg.Pool, case_id: str) -> int:
    count: int = await pool.fetchval("SELECT count(*) FROM evidence WHERE case_id = $1", case_id)
    return count


async def accesses(pool: asyncpg.Pool, case_id: str) -> list[tuple[str, str]]:
    rows = await pool.fetch(
        "SELECT user_id, endpoint FROM access_log WHERE case_id = $1 ORDER BY access_id", case_id
    )
    return [(r["user_id"], r["endpoint"]) for r in rows]


@contextmanager
def evidence_limit(stack: Stack, max_bytes: int) -> Iterator[None]:
    before = stack.settings.evidence_max_bytes
    stack.settings.evidence_max_bytes = max_bytes
    try:
        yield
    finally:
        stack.settings.evidence_max_bytes = before


# -- evidence ------------------------------------------------------------------------------


async def test_officer_attaches_each_kind_and_downloads_it_with_its_hash(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    kinds = {
        "a.pdf": (pdf(), "application/pdf"),
        "b.png": (png(), "image/png"),
        "c.jpg": (jpeg(), "image/jpeg"),
        "d.docx": (
            docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        "e.odt": (odt(), "application/vnd.oasis.opendocument.text"),
    }
    for filename, (content, media_type) in kinds.items():
        response = await attach(
            api, case_id, officer, content, filename=filename, attached_to="application"
        )
        assert response.status_code == 201, response.text
        record = response.json()
        assert record["media_type"] == media_type
        assert record["sha256"] == hashlib.sha256(content).hexdigest()
        assert record["size_bytes"] == len(content)
        assert (record["added_by"], record["on_behalf_of"]) == (officer.user_id, None)

        download = await api.as_(officer).get(
            f"/v1/cases/{case_id}/evidence/{record['evidence_id']}"
        )
        assert download.status_code == 200
        assert download.content == content
        assert download.headers["content-type"] == media_type
        assert download.headers["x-content-sha256"] == record["sha256"]
        assert download.headers["cache-control"] == "private, no-store"
        assert f'filename="{filename}"' in download.headers["content-disposition"]
        assert (officer.user_id, f"GET /v1/cases/{{case_id}}/evidence/{record['evidence_id']}") in (
            await accesses(api.stack.pool, case_id)
        )
    listed = (await api.as_("auditor").get(f"/v1/cases/{case_id}/evidence")).json()
    assert [f["filename"] for f in listed] == list(kinds)


async def test_a_caseworker_attaches_for_the_officer(api: Api, new_officer: NewOfficer) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    response = await attach(api, case_id, "caseworker", pdf())
    assert response.status_code == 201, response.text
    assert response.json()["on_behalf_of"] == officer.officer_id


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"MZ\x90\x00" + b"\0" * 60, "not a PDF, PNG, JPEG, DOCX or ODT"),
        (b"plain text pretending to be a PDF by its name", "not a PDF, PNG, JPEG, DOCX or ODT"),
        (b"", "empty"),
    ],
)
async def test_a_bad_file_is_refused_422_and_nothing_is_stored(
    api: Api, new_officer: NewOfficer, content: bytes, why: str
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    response = await attach(api, case_id, officer, content, filename="report.pdf")
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/problems/bad-file"
    assert why in response.json()["detail"]
    assert await stored_files(api.stack.pool, case_id) == 0


async def test_a_file_over_the_size_setting_is_refused(api: Api, new_officer: NewOfficer) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    content = pdf("x" * 2000)
    with evidence_limit(api.stack, 1000):
        response = await attach(api, case_id, officer, content)
    assert response.status_code == 422
    assert f"is {len(content)} bytes; at most 1000" in response.json()["detail"]
    assert await stored_files(api.stack.pool, case_id) == 0


async def test_a_case_holds_at_most_twenty_files(api: Api, new_officer: NewOfficer) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    results = await asyncio.gather(
        *(attach(api, case_id, officer, pdf(str(n))) for n in range(MAX_FILES_PER_CASE + 3))
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * MAX_FILES_PER_CASE + [409] * 3
    assert await stored_files(api.stack.pool, case_id) == MAX_FILES_PER_CASE
    refused = next(r for r in results if r.status_code == 409)
    assert refused.json()["type"] == "/problems/too-many-files"


async def test_who_may_attach_to_what(api: Api, new_officer: NewOfficer) -> None:
    officer, other = await new_officer(), await new_officer()
    case_id = await api.to_hr_review(officer)
    assert (await attach(api, case_id, "hr_manager", pdf())).status_code == 403
    proposal = await attach(api, case_id, officer, pdf(), attached_to="proposal")
    assert proposal.status_code == 403
    assert "may not attach to proposal" in proposal.json()["detail"]
    assert (await attach(api, case_id, "auditor", pdf())).status_code == 403
    assert (await attach(api, case_id, other, pdf())).status_code == 404
    bad_name = await attach(api, case_id, officer, pdf(), filename="../../etc/passwd")
    assert bad_name.status_code == 422
    # A voluntary exit has no notice of intended retirement to reply to.
    no_notice = await attach(api, case_id, officer, pdf(), attached_to="representation")
    assert no_notice.status_code == 422
    assert no_notice.json()["detail"] == (
        "voluntary_exit cases have no representation to attach a file to; "
        "they have: application, info_answer"
    )
    assert await stored_files(api.stack.pool, case_id) == 0


async def test_file_names_keep_their_letters_and_cannot_forge_headers(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    forged = '"; filename="payslip.exe'
    for name in ("a\r\nSet-Cookie: session=stolen.pdf", "a\u202egpj.exe", "../a.pdf", ""):
        refused = await attach(api, case_id, officer, pdf(), filename=name)
        assert refused.status_code == 422, name
    assert await stored_files(api.stack.pool, case_id) == 0
    attached = await attach(api, case_id, officer, pdf(), filename=f"Siân {forged}.pdf")
    assert attached.status_code == 201, attached.text
    assert attached.json()["filename"] == f"Siân {forged}.pdf"
    download = await api.as_(officer).get(
        f"/v1/cases/{case_id}/evidence/{attached.json()['evidence_id']}"
    )
    assert "set-cookie" not in download.headers
    assert download.headers["content-disposition"] == (
        'attachment; filename="Sian __ filename__payslip.exe.pdf"; '
        "filename*=UTF-8''Si%C3%A2n%20%22%3B%20filename%3D%22payslip.exe.pdf"
    )


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("C:\\Users\\siân\\Öztürk \u2013 medical.pdf", "Öztürk \u2013 medical.pdf"),
        ("/etc/passwd", "passwd"),
        ("..", "evidence"),
        ("a\x00b\r\nc\u2028d\u202e.pdf", "abcd.pdf"),
        ("é" * 300, "é" * MAX_FILENAME_CHARS),
    ],
)
def test_uploaded_names_are_kept_without_paths_or_control_characters(sent: str, kept: str) -> None:
    assert display_name(unicodedata.normalize("NFD", sent)) == kept
    header = content_disposition(sent)
    assert "\r" not in header and "\n" not in header and header.count('"') == 2


async def test_evidence_rows_cannot_be_changed(api: Api, new_officer: NewOfficer) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    assert (await attach(api, case_id, officer, pdf())).status_code == 201
    for statement in (
        "UPDATE evidence SET content = 'x' WHERE case_id = $1",
        "DELETE FROM evidence WHERE case_id = $1",
        "UPDATE case_notes SET text = 'x' WHERE case_id = $1",
        "DELETE FROM case_representatives WHERE case_id = $1",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await api.stack.pool.execute(statement, case_id)


# -- notes ---------------------------------------------------------------------------------


async def test_staff_notes_are_listed_and_in_the_timeline(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    added = await api.as_("caseworker").post(
        f"/v1/cases/{case_id}/notes", json={"text": "Phoned the officer about dates."}
    )
    assert added.status_code == 201, added.text
    note = added.json()
    assert note["author"] == api.staff["caseworker"].user_id
    assert note["author_role"] == "caseworker"
    listed = (await api.as_("hr_manager").get(f"/v1/cases/{case_id}/notes")).json()
    assert [n["text"] for n in listed] == ["Phoned the officer about dates."]
    timeline = (await api.as_("auditor").get(f"/v1/cases/{case_id}/timeline")).json()
    notes = [e for e in timeline["entries"] if e["source"] == "note"]
    assert [(n["kind"], n["detail"]["text"]) for n in notes] == [
        ("note_added", "Phoned the officer about dates.")
    ]
    for role in (officer, "auditor", "admin"):
        refused = await api.as_(role).post(f"/v1/cases/{case_id}/notes", json={"text": "x"})
        assert refused.status_code == 403
    assert (await api.as_(officer).get(f"/v1/cases/{case_id}/notes")).status_code == 403
    empty = await api.as_("caseworker").post(f"/v1/cases/{case_id}/notes", json={"text": ""})
    assert empty.status_code == 422


# -- representatives -----------------------------------------------------------------------


async def representative(api: Api) -> User:
    return await add_user(api.stack.pool, "Fed rep", Role.REPRESENTATIVE)


async def nominate(api: Api, officer: User, case_id: str, rep: User) -> Any:
    return await api.as_(officer).put(
        f"/v1/cases/{case_id}/representative", json={"representative_id": rep.user_id}
    )


async def test_a_representative_sees_only_the_case_they_are_nominated_for(
    api: Api, new_officer: NewOfficer
) -> None:
    officer, other = await new_officer(), await new_officer()
    rep = await representative(api)
    case_id = await api.to_hr_review(officer)
    other_case = await api.to_hr_review(other)
    assert (await api.as_(rep).get(f"/v1/cases/{case_id}")).status_code == 404
    assert (await api.as_(rep).get("/v1/cases")).json()["items"] == []

    nominated = await nominate(api, officer, case_id, rep)
    assert nominated.status_code == 200, nominated.text
    assert nominated.json()["representative_id"] == rep.user_id
    assert (await api.as_(rep).get(f"/v1/cases/{case_id}")).status_code == 200
    assert [c["case_id"] for c in (await api.as_(rep).get("/v1/cases")).json()["items"]] == [
        case_id
    ]
    assert (await api.as_(rep).get(f"/v1/cases/{other_case}")).status_code == 404
    assert (await api.as_(rep).get(f"/v1/cases/{case_id}/evidence")).status_code == 200
    assert (await attach(api, case_id, rep, pdf())).json()["on_behalf_of"] == officer.officer_id
    shown = await api.as_("caseworker").get(f"/v1/cases/{case_id}/representative")
    assert shown.json()["representative_id"] == rep.user_id
    assert (rep.user_id, "GET /v1/cases/{case_id}") in await accesses(api.stack.pool, case_id)

    withdrawn = await api.as_(officer).delete(f"/v1/cases/{case_id}/representative")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["representative_id"] is None
    assert (await api.as_(rep).get(f"/v1/cases/{case_id}")).status_code == 404
    assert (await api.as_(rep).get("/v1/cases")).json()["items"] == []
    gone = await api.as_(officer).get(f"/v1/cases/{case_id}/representative")
    assert gone.status_code == 404
    timeline = (await api.as_("auditor").get(f"/v1/cases/{case_id}/timeline")).json()
    assert [e["kind"] for e in timeline["entries"] if e["source"] == "representative"] == [
        "representative_nominated",
        "representative_withdrawn",
    ]


async def test_only_the_officer_nominates_and_only_a_representative(
    api: Api, new_officer: NewOfficer
) -> None:
    officer, other = await new_officer(), await new_officer()
    rep = await representative(api)
    case_id = await api.to_hr_review(officer)
    assert (await nominate(api, api.staff["caseworker"], case_id, rep)).status_code == 403
    assert (await nominate(api, other, case_id, rep)).status_code == 404
    assert (await nominate(api, rep, case_id, rep)).status_code == 403
    not_a_rep = await nominate(api, officer, case_id, api.staff["caseworker"])
    assert not_a_rep.status_code == 422
    assert not_a_rep.json()["type"] == "/problems/not-a-representative"
    nobody = await api.as_(officer).delete(f"/v1/cases/{case_id}/representative")
    assert nobody.status_code == 404


async def test_a_representative_provides_information_for_the_officer(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    rep = await representative(api)
    case_id = await api.to_hr_review(officer)
    await api.act(case_id, "review", "caseworker", decision="request_info", reason="payslips")
    assert (await nominate(api, officer, case_id, rep)).status_code == 200
    case = await api.get(case_id, as_=rep)
    assert case["allowed_actions"] == ["provide-info"]
    payslips = (await attach(api, case_id, rep, pdf("payslips"))).json()["sha256"]
    elsewhere = hashlib.sha256(b"a file on no case").hexdigest()
    unknown = await api.act(
        case_id, "provide-info", rep, expect=422, note="Payslips.", evidence=[elsewhere]
    )
    assert unknown["errors"][0]["field"] == "body.evidence"
    await api.act(
        case_id,
        "provide-info",
        rep,
        note="Payslips attached by the Federation.",
        evidence=[payslips],
    )
    events = (await api.as_("auditor").get(f"/v1/cases/{case_id}/audit")).json()["items"]
    answered = next(e for e in events if e["action"] == "provide-info")
    assert answered["actor_user_id"] == rep.user_id
    assert answered["actor_role"] == "representative"
    assert answered["on_behalf_of"] == officer.officer_id
    # The answer's audit event, in the hash chain, names the file it rests on.
    assert answered["details"] == {"evidence": [payslips]}


@pytest.mark.parametrize("action", ["accept-offer", "decline-offer", "withdraw"])
async def test_a_representative_never_accepts_declines_or_withdraws(
    api: Api, new_officer: NewOfficer, action: str
) -> None:
    officer = await new_officer()
    rep = await representative(api)
    case_id = await api.to_approval(officer)
    await api.approve_all(case_id)
    assert (await nominate(api, officer, case_id, rep)).status_code == 200
    assert action not in (await api.get(case_id, as_=rep))["allowed_actions"]
    refused = await api.act(case_id, action, rep, expect=403, reason="for them")
    assert f"the representative role may not '{action}'" in refused["detail"]
    assert (await api.get(case_id))["state"] == "offer_made"


# -- subject access ------------------------------------------------------------------------


async def test_subject_access_export_holds_everything_and_is_logged(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    content = pdf("my record")
    evidence = (await attach(api, case_id, officer, content)).json()
    await api.as_("caseworker").post(f"/v1/cases/{case_id}/notes", json={"text": "noted"})
    await api.get(case_id, as_="hr_manager")
    # Invited to a scheme with a letter, as an invitation run leaves it, and read once.
    scheme = f"sar-{secrets.token_hex(4)}"
    invitation_letter = pdf("you are invited")
    async with api.stack.pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "INSERT INTO scheme_invitations (scheme, officer_id, run_id, invited_by) "
            "VALUES ($1, $2, 'run-1', 'u_manager')",
            scheme,
            officer.officer_id,
        )
        await store_invitation_letters(
            connection, scheme, "default", {officer.officer_id: invitation_letter}
        )
    letter_path = f"/v1/officers/{officer.officer_id}/invitation-letters/{scheme}"
    assert (await api.as_(officer).get(letter_path)).content == invitation_letter
    path = f"/v1/officers/{officer.officer_id}/subject-access-export"
    for role in ("caseworker", "auditor", officer):
        assert (await api.as_(role).get(path)).status_code == 403
    response = await api.as_("admin").get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    folder = f"cases/{case_id}/"
    record = json.loads(archive.read("officer.json"))
    assert record["officer_id"] == officer.officer_id
    assert json.loads(archive.read(folder + "case.json"))["case_id"] == case_id
    timeline = json.loads(archive.read(folder + "timeline.json"))
    assert {"audit", "note", "evidence"} <= {e["source"] for e in timeline["entries"]}
    assert [n["text"] for n in json.loads(archive.read(folder + "notes.json"))] == ["noted"]
    stored = archive.read(f"{folder}evidence/{evidence['evidence_id']}-service-record.pdf")
    assert hashlib.sha256(stored).hexdigest() == evidence["sha256"]
    # The application-received letter, as generated for the case.
    letters = json.loads(archive.read(folder + "letters.json"))
    assert letters, "the case's letters"
    for letter in letters:
        pdf_bytes = archive.read(f"{folder}letters/{letter['seq']}-{letter['kind']}.pdf")
        assert hashlib.sha256(pdf_bytes).hexdigest() == letter["sha256"]
    [invitation] = json.loads(archive.read("invitations.json"))
    assert (invitation["scheme"], invitation["run_id"]) == (scheme, "run-1")
    assert invitation["letter"]["sha256"] == hashlib.sha256(invitation_letter).hexdigest()
    assert archive.read(f"invitations/{scheme}.pdf") == invitation_letter
    reads = json.loads(archive.read("access-log.json"))
    readers = {(r["user_id"], r["endpoint"]) for r in reads}
    assert (officer.user_id, f"GET {letter_path}") in readers
    assert (api.staff["hr_manager"].user_id, "GET /v1/cases/{case_id}") in readers
    export = (api.staff["admin"].user_id, "GET /v1/officers/{officer_id}/subject-access-export")
    assert export in readers
    missing = await api.as_("admin").get("/v1/officers/NO-SUCH-OFFICER/subject-access-export")
    assert missing.status_code == 404


# -- efficiency retirement: a database of its own, for the regulation it puts in force --------


async def test_representations_by_the_representative_and_evidence_on_the_proposal(
    isolated_stack: Stack,
) -> None:
    stack = isolated_stack
    record = officer_record()
    await upsert_officers(stack.pool, [record])
    officer = await add_user(stack.pool, "o", Role.OFFICER, officer_id=record.officer_id)
    rep = await add_user(stack.pool, "r", Role.REPRESENTATIVE)
    staff = {
        "caseworker": await add_user(stack.pool, "c", Role.CASEWORKER),
        "hr_manager": await add_user(stack.pool, "m", Role.HR_MANAGER),
        "admin": await add_user(stack.pool, "a", Role.ADMIN),
        "auditor": await add_user(stack.pool, "u", Role.AUDITOR),
        "executive": await add_user(stack.pool, "e", Role.APPROVER, Tier.EXECUTIVE),
    }
    api = Api(stack, staff)
    try:
        regulation = _regulation("A19 test", "2000-01-01", "P28D")
        assert (await api.as_("admin").post("/v1/regulations", json=regulation)).status_code == 201
        opened = await api.as_("hr_manager").post(
            "/v1/cases",
            json={
                "officer_id": officer.officer_id,
                "kind": "efficiency_retirement",
                "proposal": PROPOSAL,
            },
        )
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["case_id"]
        on_proposal = await attach(api, case_id, "hr_manager", pdf(), attached_to="proposal")
        assert on_proposal.status_code == 201, on_proposal.text
        assert on_proposal.json()["on_behalf_of"] is None
        await api.wait_for(case_id, "decision_pending")
        await api.act(case_id, "decide", "executive", decision="serve_notice", reason="assessed")
        await api.wait_for(case_id, "notice_served")
        assert (await nominate(api, officer, case_id, rep)).status_code == 200
        allowed = (await api.get(case_id, as_=rep))["allowed_actions"]
        assert allowed == ["make-representations"]
        refused = await api.act(case_id, "apply-voluntary", rep, expect=403)
        assert "the representative role may not 'apply-voluntary'" in refused["detail"]
        on_rep = (await attach(api, case_id, rep, png(), attached_to="representation")).json()
        assert on_rep["on_behalf_of"] == officer.officer_id
        await api.act(
            case_id,
            "make-representations",
            rep,
            representations="Rare skills.",
            evidence=[on_rep["sha256"]],
        )
        events = (await api.as_("auditor").get(f"/v1/cases/{case_id}/audit")).json()["items"]
        made = next(e for e in events if e["action"] == "make-representations")
        assert (made["actor_user_id"], made["on_behalf_of"]) == (rep.user_id, officer.officer_id)
        assert made["details"] == {"evidence": [on_rep["sha256"]]}
    finally:
        await api.close()


# -- the case page -------------------------------------------------------------------------


async def test_the_case_page_shows_notes_and_evidence_to_those_who_may_read_them(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    record = (await attach(api, case_id, officer, pdf(), filename="record.pdf")).json()
    await api.as_("caseworker").post(
        f"/v1/cases/{case_id}/notes", json={"text": "Spoke to <pensions> & payroll."}
    )
    async with api.stack.http() as browser:
        signed = await browser.post("/sign-in", data={"token": api.staff["caseworker"].token})
        assert signed.status_code == 303, signed.text
        page = (await browser.get(f"/cases/{case_id}")).text
    assert "record.pdf" in page
    assert record["sha256"][:12] in page
    assert "Spoke to &lt;pensions&gt; &amp; payroll." in page  # escaped as text
    async with api.stack.http() as browser:
        signed = await browser.post("/sign-in", data={"token": officer.token})
        assert signed.status_code == 303
        own = await browser.get(f"/cases/{case_id}", follow_redirects=True)
    assert own.status_code == 200
    assert case_id in own.text
    assert "Spoke to" not in own.text and ">Notes<" not in own.text


async def test_a_case_that_has_ended_takes_no_more_files_or_nominations(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    rep = await representative(api)
    case_id = await api.to_hr_review(officer)
    await api.act(case_id, "withdraw", officer, reason="Staying after all.")
    await api.wait_for(case_id, "withdrawn")
    attached = await attach(api, case_id, officer, pdf())
    nominated = await nominate(api, officer, case_id, rep)
    for refused, what in (
        (attached, "files are attached"),
        (nominated, "a representative is nominated"),
    ):
        assert refused.status_code == 409
        assert refused.json()["type"] == "/problems/case-ended"
        assert refused.json()["detail"] == (
            f"the case has ended (withdrawn): {what} only while it is open"
        )
    assert await stored_files(api.stack.pool, case_id) == 0
