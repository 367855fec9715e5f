"""The case page lists the case's letters; each downloads through the page as through the API,
for whoever may read the case and nobody else."""

from __future__ import annotations

import hashlib

from tests.helpers.api import Api, NewOfficer
from tests.web.test_inbox import signed_in


async def test_the_officer_downloads_their_letters_from_the_case_page(
    api: Api, new_officer: NewOfficer
) -> None:
    owner, other = await new_officer(), await new_officer()
    case_id = await api.to_hr_review(owner)
    letters = (await api.as_(owner).get(f"/v1/cases/{case_id}/documents")).json()["items"]
    [received] = letters
    link = f"/cases/{case_id}/letters/{received['document_id']}"
    async with signed_in(api, owner) as browser:
        page = await browser.get(f"/cases/{case_id}")
        assert page.status_code == 200 and f'href="{link}"' in page.text
        assert received["sha256"] in page.text
        pdf = await browser.get(link)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert hashlib.sha256(pdf.content).hexdigest() == received["sha256"]
    async with signed_in(api, other) as browser:
        assert (await browser.get(link)).status_code == 404
