"""Evidence files: which kinds a case accepts, told from their content, and who attaches what.

A file's name and the type its sender claims say nothing reliable about it, so the kind is read
from the bytes: PDF, PNG and JPEG by their magic numbers (``puremagic``), DOCX and ODT as the
zip files they are, by the part that names the document type inside them.
"""

from __future__ import annotations

import io
import zipfile
from enum import StrEnum

import puremagic

from domain.lifecycle import CaseKind
from domain.people import Role

# Files one case may hold: enough for a service record, certificates and letters, and a bound
# on what one case can make the database store.
MAX_FILES_PER_CASE = 20


class AttachedTo(StrEnum):
    """What a file supports."""

    INFO_ANSWER = "info_answer"
    REPRESENTATION = "representation"
    APPLICATION = "application"
    PROPOSAL = "proposal"


# The officer's side attaches to what the officer says; HR managers to their proposal.
_OFFICERS_SIDE = frozenset({Role.OFFICER, Role.CASEWORKER, Role.REPRESENTATIVE})
ATTACHERS: dict[AttachedTo, frozenset[Role]] = {
    AttachedTo.INFO_ANSWER: _OFFICERS_SIDE,
    AttachedTo.REPRESENTATION: _OFFICERS_SIDE,
    AttachedTo.APPLICATION: _OFFICERS_SIDE,
    AttachedTo.PROPOSAL: frozenset({Role.HR_MANAGER}),
}

# The parts of a case a file can support, by its kind: only efficiency retirement has a
# proposal and a notice to reply to, only voluntary exit an officer's application.
PARTS: dict[CaseKind, frozenset[AttachedTo]] = {
    CaseKind.VOLUNTARY_EXIT: frozenset({AttachedTo.INFO_ANSWER, AttachedTo.APPLICATION}),
    CaseKind.EFFICIENCY_RETIREMENT: frozenset(
        {AttachedTo.INFO_ANSWER, AttachedTo.REPRESENTATION, AttachedTo.PROPOSAL}
    ),
}

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
ACCEPTED = (PDF, PNG, JPEG, DOCX, ODT)
_BY_MAGIC = frozenset({PDF, PNG, JPEG})
_DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
# A zip's entries are read to tell DOCX from ODT; a file naming more than this is no document
# a person attaches, and listing it would cost more than it is worth.
_MAX_ZIP_ENTRIES = 10_000
_MAX_TYPE_ENTRY_BYTES = 1_000_000


class BadFile(ValueError):
    """The file is not one a case accepts; the message says why, without its content."""


def attach_refusal(role: Role, attached_to: AttachedTo) -> str | None:
    """Why ``role`` may not attach a file to ``attached_to``, or None if it may."""
    if role in ATTACHERS[attached_to]:
        return None
    roles = ", ".join(sorted(r.value for r in ATTACHERS[attached_to]))
    return f"the {role.value} role may not attach to {attached_to.value}; it needs: {roles}"


def part_refusal(kind: CaseKind, attached_to: AttachedTo) -> str | None:
    """Why a file cannot support ``attached_to`` on a case of ``kind``, or None if it can."""
    if attached_to in PARTS[kind]:
        return None
    parts = ", ".join(sorted(p.value for p in PARTS[kind]))
    return f"{kind.value} cases have no {attached_to.value} to attach a file to; they have: {parts}"


def identify(content: bytes, *, max_bytes: int) -> str:
    """The media type of ``content`` (one of :data:`ACCEPTED`), or :class:`BadFile`."""
    if not content:
        raise BadFile("the file is empty")
    if len(content) > max_bytes:
        raise BadFile(f"the file is {len(content)} bytes; at most {max_bytes} are accepted")
    if zipfile.is_zipfile(io.BytesIO(content)):
        return _zipped_document(content)
    try:
        found = {match.mime_type for match in puremagic.magic_string(content)}
    except puremagic.PureError:
        found = set()
    for media_type in (PDF, PNG, JPEG):
        if media_type in found & _BY_MAGIC:
            return media_type
    raise BadFile("the file is not a PDF, PNG, JPEG, DOCX or ODT document (judged by its content)")


def _small(archive: zipfile.ZipFile, name: str) -> bytes:
    # The size the entry declares bounds what reading it unpacks (zipfile stops at it).
    if archive.getinfo(name).file_size > _MAX_TYPE_ENTRY_BYTES:
        raise BadFile(f"the zip file's {name} entry is too large for a document's")
    return archive.read(name)


def _zipped_document(content: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            if len(names) > _MAX_ZIP_ENTRIES:
                raise BadFile("the zip file holds too many entries to be a document")
            # ODF puts its type, uncompressed, in an entry named mimetype.
            if "mimetype" in names and _small(archive, "mimetype").strip() == ODT.encode():
                return ODT
            if "[Content_Types].xml" in names and _DOCX_MAIN in _small(
                archive, "[Content_Types].xml"
            ):
                return DOCX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError):
        raise BadFile("the file is a damaged or encrypted zip archive") from None
    raise BadFile("the zip file is neither a DOCX nor an ODT text document")


def evidence_details(hashes: list[str]) -> dict[str, list[str]] | None:
    """The audit details naming the files an answer or representation rests on: none when it
    names no file, as every such event recorded before evidence existed."""
    return {"evidence": hashes} if hashes else None
