"""Subject access export: everything the service holds on one officer, as one zip archive, for
the data protection officer answering a subject access request (admins only, access-logged).

The archive holds ``officer.json`` (the roster record), ``access-log.json`` (every read of the
officer's cases: who, when, through which endpoint) and per case ``cases/<case_id>/``:
``case.json`` (the case as it stands), ``timeline.json`` (audit events, notes, evidence and
nominations, and the workflow's history while retained), ``notes.json``, ``evidence.json`` and
the evidence files themselves under ``evidence/``, ``letters.json`` and the letters (PDF) under
``letters/``; and ``invitations.json`` (each scheme that invited the officer, with its letter's
description) with the invitation letters under ``invitations/<scheme>.pdf``.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel

from api.access import ALLOW, log_read
from api.auth import Principal
from api.authz import Operation
from api.deps import Pool, Temporal
from api.problems import ProblemError, problem_responses
from api.routes.invitation_letters import download_endpoint
from api.routes.timeline import timeline_of
from store import letters, paper_trail
from store.audit import UNKNOWN_CASE
from store.cases import get_case_view

router = APIRouter(prefix="/v1/officers", tags=["officers"])

_ENDPOINT = "GET /v1/officers/{officer_id}/subject-access-export"


def _json(value: Any) -> bytes:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    # Dates and exact amounts (Decimal) as their text: nothing rounded on the way out.
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False).encode()


async def _case_parts(pool: Any, client: Any, case_id: str) -> dict[str, bytes]:
    """One case's files in the archive, by name within its folder."""
    view = await get_case_view(pool, case_id)
    evidence = await paper_trail.list_evidence(pool, case_id)
    parts = {
        "case.json": _json(view),
        "timeline.json": _json(await timeline_of(pool, client, case_id)),
        "notes.json": _json(await paper_trail.list_notes(pool, case_id)),
        "evidence.json": _json(evidence),
    }
    for item in evidence:
        found = await paper_trail.evidence_file(pool, case_id, item.evidence_id)
        if found is not None:
            parts[f"evidence/{item.evidence_id}-{item.filename}"] = found[1]
    documents = await letters.list_documents(pool, case_id)
    parts["letters.json"] = _json(documents)
    for document in documents:
        letter = await letters.document_content(pool, case_id, document.document_id)
        if letter is not None:
            parts[f"letters/{document.seq}-{document.kind.value}.pdf"] = letter[1]
    return parts


async def _invitation_parts(pool: Any, officer_id: str, archive: zipfile.ZipFile) -> list[str]:
    """The officer's invitations and their letters into the archive; the schemes they are of."""
    invitations = await paper_trail.officer_invitations(pool, officer_id)
    for invitation in invitations:
        found = await letters.invitation_letter_content(pool, invitation["scheme"], officer_id)
        invitation["letter"] = None if found is None else found[0].model_dump(mode="json")
        if found is not None:
            archive.writestr(f"invitations/{invitation['scheme']}.pdf", found[1])
    archive.writestr("invitations.json", _json(invitations))
    return [invitation["scheme"] for invitation in invitations]


@router.get(
    "/{officer_id}/subject-access-export",
    summary="Export an officer's data (subject access request)",
    description="One zip archive of everything held on the officer: the roster record, every "
    "case with its timeline, notes and evidence files, the schemes' invitations with their "
    "letters, and the access log of who read them. "
    "Admins only; the export itself is recorded in the access log against each case.",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {}}},
        **problem_responses(401, 403, 404, 422),
    },
)
async def subject_access_export(
    user: Annotated[Principal, ALLOW[Operation.SUBJECT_ACCESS_EXPORT]],
    pool: Pool,
    client: Temporal,
    officer_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")],
) -> Response:
    record = await paper_trail.officer_record(pool, officer_id)
    if record is None:
        raise ProblemError(404, "there is no officer with this id on the roster", kind="no-officer")
    case_ids = await paper_trail.officer_case_ids(pool, officer_id)
    # The export is a read like any other, logged before the log itself is exported.
    for case_id in case_ids or [UNKNOWN_CASE]:
        await log_read(pool, user, case_id, _ENDPOINT)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("officer.json", _json(record))
        for case_id in case_ids:
            for name, content in (await _case_parts(pool, client, case_id)).items():
                archive.writestr(f"cases/{case_id}/{name}", content)
        schemes = await _invitation_parts(pool, officer_id, archive)
        reads = await paper_trail.access_entries(
            pool, case_ids, [download_endpoint(officer_id, scheme) for scheme in schemes]
        )
        archive.writestr("access-log.json", _json(reads))
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="subject-access-{officer_id}.zip"',
            "Cache-Control": "no-store",
        },
    )
