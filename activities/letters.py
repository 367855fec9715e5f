"""The letter activity: renders a case's letter to PDF and stores it, once per occasion.

PDFs are PDF/A-2a: archival (fonts embedded, no external references, the colour profile
inside), and level "a" requires a tagged logical structure and Unicode text, so screen readers
and text extraction read them too. WeasyPrint's PDF/UA-1 would add accessibility only; PDF/A-2a
gives both properties a letter kept for a tribunal needs in one file.
"""

from __future__ import annotations

import asyncio
import threading

import asyncpg
import structlog
import weasyprint
from jinja2 import TemplateError
from temporalio import activity
from temporalio.exceptions import ApplicationError
from weasyprint.text import ffi
from weasyprint.text.fonts import FontConfiguration

from activities.cases import record
from domain.documents import LetterRef
from domain.letters import (
    Addressee,
    InvitationLetter,
    LetteredEvent,
    LetterRequest,
    TemplateSet,
    default_templates,
    render_html,
    render_invitation_html,
)
from store import letters, officers

log = structlog.get_logger(__name__)

PDF_VARIANT = "pdf/a-2a"


# One font configuration per rendering thread: building one (the fontconfig set-up and Pango
# font map) is about a quarter of a letter's CPU when done per letter, and WeasyPrint does not
# say it may be shared between threads rendering at once.
_fonts = threading.local()


def _font_config() -> FontConfiguration:
    config: FontConfiguration | None = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = FontConfiguration()
    return config


def font_subsetter() -> str:
    """Which library cuts the embedded fonts down to the glyphs a letter uses. Without Debian's
    libharfbuzz-subset0, WeasyPrint falls back to fontTools in pure Python, which measured
    several times HarfBuzz's CPU per letter (BENCHMARKS.md, lifecycle): worth saying aloud."""
    if ffi.harfbuzz_subset is not None and ffi.harfbuzz.hb_version_atleast(4, 1, 0):
        return "HarfBuzz"
    return "fontTools (slow: install libharfbuzz-subset0)"


def render_pdf(templates: TemplateSet, request: LetterRequest, addressee: Addressee) -> bytes:
    """The letter as a tagged PDF/A-2a document."""
    return html_to_pdf(render_html(templates, request, addressee))


def html_to_pdf(html: str) -> bytes:
    document = weasyprint.HTML(string=html)
    pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT, font_config=_font_config())
    return pdf


def render_invitations(
    templates: TemplateSet, invitation: InvitationLetter, addressees: dict[str, Addressee]
) -> tuple[str, dict[str, bytes]]:
    """A batch's invitation letters (PDF per officer id) and the wording version they used.

    An admin's invitation template that compiled but breaks when rendered would stop the run
    for good on every retry, so the shipped wording writes the batch instead, as for cases.
    """

    def each(templates: TemplateSet) -> dict[str, bytes]:
        return {
            officer_id: html_to_pdf(render_invitation_html(templates, invitation, addressee))
            for officer_id, addressee in addressees.items()
        }

    try:
        return templates.version, each(templates)
    except TemplateError as error:
        log.warning(
            "invitation template failed; shipped wording used",
            scheme=invitation.scheme,
            template_version=templates.version,
            error=type(error).__name__,
        )
        shipped = default_templates()
        return shipped.version, each(shipped)


class LetterActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn
    async def issue_letter(self, request: LetterRequest) -> LetterRef:
        """Render and store the letter of one occasion; a retry returns the letter stored.

        Keyed by case, kind and the audit seq of the event it belongs to: a worker killed after
        storing it and before reporting back stores nothing more when the activity runs again.
        """
        return await self._issue(request)

    @activity.defn
    async def record_event_with_letter(self, lettered: LetteredEvent) -> LetterRef:
        """The letter of an event, then the event carrying it: one activity, where it was two
        (and two workflow tasks). Each write is idempotent on its own (the letter by case,
        kind and seq; the event by seq), so a retry after either finishes the other."""
        ref = await self._issue(lettered.request())
        await record(self._pool, lettered.event.with_letter(ref))
        return ref

    async def _issue(self, request: LetterRequest) -> LetterRef:
        case_id = request.case.case_id
        stored = await letters.find_document(self._pool, case_id, request.kind, request.seq)
        if stored is None:
            templates = await letters.get_templates(self._pool, request.template_version)
            if templates is None:
                # Versions are never deleted: a missing one is a bug, not bad input.
                raise ApplicationError(
                    f"letter templates {request.template_version} are not stored",
                    type="TemplatesMissing",
                )
            officer = await officers.get_officer(self._pool, request.case.officer_id)
            addressee = Addressee(
                name=officer.name if officer is not None else "Officer",
                rank=request.case.rank.value,
            )
            try:
                # WeasyPrint is synchronous and takes a noticeable fraction of a second.
                content = await asyncio.to_thread(render_pdf, templates, request, addressee)
            except TemplateError as error:
                # An admin's template compiled but breaks on this case's facts: retrying would
                # stop the case for good, so the shipped wording writes the letter, and the
                # document records which version it used.
                log.warning(
                    "letter template failed; shipped wording used",
                    case_id=case_id,
                    kind=request.kind.value,
                    template_version=templates.version,
                    error=type(error).__name__,
                )
                templates = default_templates()
                content = await asyncio.to_thread(render_pdf, templates, request, addressee)
            stored = await letters.store_document(
                self._pool,
                case_id=case_id,
                kind=request.kind,
                seq=request.seq,
                template_version=templates.version,
                content=content,
            )
        log.info("letter stored", case_id=case_id, kind=request.kind.value, seq=request.seq)
        return stored.ref()
