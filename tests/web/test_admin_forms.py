"""The admin forms and lists in-process: what a browser test cannot easily send (a file that is
not UTF-8, a form without its CSRF token) and what the answers must not carry (the token
anywhere but the page that made it)."""

from __future__ import annotations

import html
import re

import httpx

from api.limits import MAX_BODY_BYTES, MAX_PAGE_FORM_BYTES, MAX_ROSTER_BYTES
from store.officers import get_officer
from tests.helpers.api import Api, User
from tests.helpers.officers import officer
from tests.web.browser import title
from tests.web.test_inbox import signed_in
from tests.web.test_sign_in import OWN_PAGE, csrf_of
from tests.workflows.test_efficiency_retirement import in_force


def _roster(officer_id: str) -> bytes:
    return (
        "officer_id,name,rank,date_of_birth,service_start,annual_pay,pension_scheme,"
        f"misconduct_pending\n{officer_id},Zoë Example,superintendent,1975-03-14,2001-09-03,"
        "82000.00,2006,false\n"
    ).encode()


async def test_a_roster_without_the_csrf_token_or_in_another_encoding_stores_nothing(
    api: Api, staff: dict[str, User]
) -> None:
    record = officer()
    async with signed_in(api, staff["caseworker"]) as browser:
        token = csrf_of((await browser.get("/officers/import")).text)
        roster = {"roster": ("roster.csv", _roster(record.officer_id), "text/csv")}
        forged = await browser.post("/officers/import", files=roster, headers=OWN_PAGE)
        assert forged.status_code == 403
        latin = {"roster": ("roster.csv", _roster(record.officer_id).decode().encode("latin-1"))}
        refused = await browser.post(
            "/officers/import", data={"csrf_token": token}, files=latin, headers=OWN_PAGE
        )
        assert refused.status_code == 400
        assert "The file cannot be read: the roster is not UTF-8 text" in refused.text
        assert await get_officer(api.stack.pool, record.officer_id) is None
        imported = await browser.post(
            "/officers/import", data={"csrf_token": token}, files=roster, headers=OWN_PAGE
        )
        assert imported.status_code == 200 and "1 officers added, 0 updated" in imported.text
    stored = await get_officer(api.stack.pool, record.officer_id)
    assert stored is not None and stored.name == "Zoë Example"


async def test_the_token_is_on_the_answer_that_made_the_user_and_never_cached(
    api: Api, staff: dict[str, User]
) -> None:
    async with signed_in(api, staff["admin"]) as browser:
        token = csrf_of((await browser.get("/admin/users/new")).text)
        form = {"csrf_token": token, "name": "Olu Officerless", "role": "auditor"}
        made = await browser.post("/admin/users/new", data=form, headers=OWN_PAGE)
        assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
        new_token = made.text.split('class="app-token"', 1)[1].split(">", 2)[1].split("<")[0]
        assert len(new_token.strip()) > 20
        listing = await every_page(browser, "/admin/users")
        assert "Olu Officerless" in listing and new_token.strip() not in listing
        missing = await browser.post(
            "/admin/users/u_nobody/revoke", data={"csrf_token": token}, headers=OWN_PAGE
        )
        assert missing.status_code == 404


async def test_a_name_too_long_is_named_as_too_long_not_as_the_wrong_letters(
    api: Api, staff: dict[str, User]
) -> None:
    async with signed_in(api, staff["admin"]) as browser:
        token = csrf_of((await browser.get("/admin/users/new")).text)
        for name, told in (
            ("A" * 201, "Enter a name of 200 characters or fewer"),
            ("   ", "Enter the person&#39;s name, in letters, spaces and punctuation"),
        ):
            form = {"csrf_token": token, "name": name, "role": "auditor"}
            sent = await browser.post("/admin/users/new", data=form, headers=OWN_PAGE)
            assert sent.status_code == 400 and told in sent.text, name


async def every_page(browser: httpx.AsyncClient, address: str) -> str:
    """The text of a list's pages, following each page's link to the next."""
    texts: list[str] = []
    next_page: str | None = address
    while next_page is not None:
        answer = await browser.get(next_page)
        assert answer.status_code == 200, answer.text
        texts.append(answer.text)
        link = re.search(r'href="([^"]+)" rel="next"', answer.text)
        next_page = html.unescape(link.group(1)) if link else None
    return "\n".join(texts)


async def test_a_roster_at_the_limit_reaches_the_page_and_a_larger_one_gets_the_pages_error(
    api: Api, staff: dict[str, User]
) -> None:
    async with signed_in(api, staff["caseworker"]) as browser:
        token = csrf_of((await browser.get("/officers/import")).text)

        async def upload(size: int) -> httpx.Response:
            roster = {"roster": ("roster.csv", b"x" * size, "text/csv")}
            return await browser.post(
                "/officers/import", data={"csrf_token": token}, files=roster, headers=OWN_PAGE
            )

        at_limit = await upload(MAX_ROSTER_BYTES)
        # Read and refused for what it holds, not for its size.
        assert at_limit.status_code == 422, at_limit.text[:200]
        assert "text/html" in at_limit.headers["content-type"]
        over = await upload(MAX_ROSTER_BYTES + 1)
        assert over.status_code == 413 and "text/html" in over.headers["content-type"]
        assert "govuk-error-summary" in over.text and "larger than 10 MB" in over.text
        far_over = await upload(MAX_PAGE_FORM_BYTES + 1)
        assert far_over.status_code == 413 and "text/html" in far_over.headers["content-type"]
        assert "The file is too large: the most a page accepts is 10 MB" in far_over.text
        assert "Sign out" in far_over.text  # the service's layout, for the signed-in user
    async with api.stack.http() as client:
        too_big = await client.post(
            "/v1/officers/import",
            content=b"x" * (MAX_BODY_BYTES + 1),
            headers={"Authorization": f"Bearer {staff['caseworker'].token}"},
        )
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/problem+json"
    assert too_big.json()["detail"] == f"the request body is over {MAX_BODY_BYTES:,} bytes"


async def test_a_document_nested_too_deeply_to_read_gets_the_form_again_not_a_failure(
    api: Api, staff: dict[str, User]
) -> None:
    """JSON nested deeper than the parser recurses (a few kilobytes of brackets, well under
    the form's limit) is a document the form names as unreadable, on each document page."""
    deep = "[" * 50_000 + "]" * 50_000
    async with signed_in(api, staff["admin"]) as browser:
        for page in ("/admin/policies/new", "/admin/regulations/new", "/admin/schemes/new"):
            token = csrf_of((await browser.get(page)).text)
            sent = await browser.post(
                page, data={"csrf_token": token, "document": deep}, headers=OWN_PAGE
            )
            assert sent.status_code == 400, page
            assert "The document is nested too deeply to read" in sent.text, page


async def test_an_address_with_a_nul_in_it_is_bad_input_not_a_failed_page(
    api: Api, staff: dict[str, User]
) -> None:
    """PostgreSQL cannot hold a NUL; the API answers such a value 422, and so do the pages."""
    for role, address in (("admin", "/admin/policies/%00"), ("auditor", "/audit/cases/EX-%00")):
        async with signed_in(api, staff[role]) as browser:
            page = await browser.get(address)
        assert page.status_code == 422, address
        assert "A value is out of range or contains characters that cannot be stored" in page.text


async def test_a_forms_address_visited_or_a_form_sent_to_a_page_is_no_failure(
    api: Api, staff: dict[str, User]
) -> None:
    """Pressing Enter in the address bar after a form came back with its errors visits the
    form's address with GET: that is no page (405, the not-found page), not a service fault.
    A form sent to a page that takes none is refused in words."""
    async with signed_in(api, staff["caseworker"]) as browser:
        visited = await browser.get("/cases/EX-AAAAAAAAAA/notes")
        sent = await browser.post("/tasks", headers=OWN_PAGE)
    assert visited.status_code == 405 and "POST" in visited.headers["allow"]
    assert f"<title>{title('Page not found')}</title>" in visited.text
    assert sent.status_code == 405 and "GET" in sent.headers["allow"]
    assert "This page does not take a form" in sent.text


async def test_the_policy_list_links_each_version_and_a_records_parameters_are_a_block(
    api: Api, staff: dict[str, User]
) -> None:
    """Markup the pages build round a value stays markup: a link, a preformatted block, not
    their tags shown as text."""
    # A year of its own: the tests share one database, and each efficiency test owns its year.
    await in_force(api.stack.pool, 2197)
    async with signed_in(api, staff["admin"]) as browser:
        policies = (await browser.get("/admin/policies")).text
        records = (await browser.get("/admin/regulations")).text
    assert re.search(r'<a class="govuk-link" href="/admin/policies/[^"]+">', policies)
    assert '<pre class="app-document">' in records
    for page in (policies, records):
        assert "&lt;a " not in page and "&lt;pre" not in page


async def test_a_document_empty_or_short_of_a_field_is_told_so_in_words(
    api: Api, staff: dict[str, User]
) -> None:
    async with signed_in(api, staff["admin"]) as browser:
        page = "/admin/regulations/new"
        token = csrf_of((await browser.get(page)).text)
        for document, told in (
            ("", "Enter the document: the box is empty"),
            ("{}", "legal_reference is missing"),
        ):
            form = {"csrf_token": token, "document": document}
            sent = await browser.post(page, data=form, headers=OWN_PAGE)
            assert sent.status_code == 400 and told in sent.text, document
            assert "Correct the problems listed above" in sent.text
