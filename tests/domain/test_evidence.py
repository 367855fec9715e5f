"""Evidence files are told apart by their content, and only the officer's side and HR managers
attach, each to their own part of the case."""

from __future__ import annotations

import io
import zipfile

import pytest

from domain.evidence import (
    DOCX,
    JPEG,
    ODT,
    PDF,
    PNG,
    AttachedTo,
    BadFile,
    attach_refusal,
    identify,
    part_refusal,
)
from domain.lifecycle import CaseKind
from domain.people import Role
from tests.helpers.files import docx, jpeg, odt, pdf, png, zipped

LIMIT = 10_000_000


@pytest.mark.parametrize(
    ("content", "media_type"),
    [(pdf(), PDF), (png(), PNG), (jpeg(), JPEG), (docx(), DOCX), (odt(), ODT)],
)
def test_each_accepted_kind_is_known_by_its_content(content: bytes, media_type: str) -> None:
    assert identify(content, max_bytes=LIMIT) == media_type


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "empty"),
        (b"MZ\x90\x00" + b"\0" * 60, "not a PDF, PNG, JPEG, DOCX or ODT"),
        (b"just some text, named report.pdf", "not a PDF, PNG, JPEG, DOCX or ODT"),
        (zipped({"notes.txt": b"hello"}), "neither a DOCX nor an ODT"),
        # A spreadsheet is a zip with a [Content_Types].xml too, but not a word-processing one.
        (
            zipped({"[Content_Types].xml": b"<Types>spreadsheetml.sheet.main+xml</Types>"}),
            "neither a DOCX nor an ODT",
        ),
        (zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "neither"),
    ],
)
def test_other_content_is_refused_whatever_its_name(content: bytes, why: str) -> None:
    with pytest.raises(BadFile, match=why):
        identify(content, max_bytes=LIMIT)


def test_a_file_over_the_limit_is_refused_with_its_size() -> None:
    content = pdf()
    assert identify(content, max_bytes=len(content)) == PDF
    with pytest.raises(BadFile, match=f"is {len(content)} bytes; at most {len(content) - 1}"):
        identify(content, max_bytes=len(content) - 1)


def test_a_zip_whose_type_entry_unpacks_huge_is_refused_unread() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"\0" * 50_000_000)
    assert len(archive.getvalue()) < 100_000
    with pytest.raises(BadFile, match="too large"):
        identify(archive.getvalue(), max_bytes=LIMIT)


def test_each_kind_of_case_has_its_own_parts() -> None:
    voluntary, efficiency = CaseKind.VOLUNTARY_EXIT, CaseKind.EFFICIENCY_RETIREMENT
    assert part_refusal(voluntary, AttachedTo.APPLICATION) is None
    assert part_refusal(efficiency, AttachedTo.REPRESENTATION) is None
    assert part_refusal(efficiency, AttachedTo.PROPOSAL) is None
    for kind in CaseKind:
        assert part_refusal(kind, AttachedTo.INFO_ANSWER) is None
    assert part_refusal(voluntary, AttachedTo.PROPOSAL) is not None
    assert part_refusal(efficiency, AttachedTo.APPLICATION) == (
        "efficiency_retirement cases have no application to attach a file to; "
        "they have: info_answer, proposal, representation"
    )


def test_who_attaches_to_what() -> None:
    for role in (Role.OFFICER, Role.CASEWORKER, Role.REPRESENTATIVE):
        for part in (AttachedTo.INFO_ANSWER, AttachedTo.REPRESENTATION, AttachedTo.APPLICATION):
            assert attach_refusal(role, part) is None
        assert attach_refusal(role, AttachedTo.PROPOSAL) is not None
    assert attach_refusal(Role.HR_MANAGER, AttachedTo.PROPOSAL) is None
    refused = attach_refusal(Role.HR_MANAGER, AttachedTo.INFO_ANSWER)
    assert refused == (
        "the hr_manager role may not attach to info_answer; it needs: caseworker, officer, "
        "representative"
    )
