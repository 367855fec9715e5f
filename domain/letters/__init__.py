"""Letters: the occasions a case writes to the officer, the versioned templates, their wording.

A template set holds one HTML (Jinja2) template per kind of letter and a layout they extend.
Sets are versioned records like policies: the newest applies to new cases and a case keeps the
version it started with. Admins write templates, so they render in Jinja's immutable sandbox
with autoescaping: a template can read the letter's facts and nothing else. Rendering the HTML
is pure; turning it into a PDF is the activity's (activities/letters.py).
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

from jinja2 import DictLoader, StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel, Field, field_validator

from domain.case import CaseView
from domain.clock import local_date
from domain.documents import LetterKind
from domain.notice import LeavingWindow
from domain.records import CaseEvent

DEFAULT_VERSION = "default"
LAYOUT = "layout"
# The letter inviting an officer to apply (issue 17): it belongs to no case, so it is no
# LetterKind. Optional in a set, as sets stored before it existed lack it; without it the
# shipped wording writes the letter (``invitation_templates``).
INVITATION = "invitation"
INVITATION_TITLE = "You are invited to apply for voluntary exit"


TITLES: dict[LetterKind, str] = {
    LetterKind.APPLICATION_RECEIVED: "Your application for voluntary exit has been received",
    LetterKind.INFORMATION_REQUESTED: "We need more information about your application",
    LetterKind.INELIGIBLE: "Your case cannot go ahead",
    LetterKind.REJECTED: "Your application for voluntary exit has been rejected",
    LetterKind.OFFER: "Offer of voluntary exit",
    LetterKind.ACCEPTANCE_CONFIRMED: "Your acceptance of the offer",
    LetterKind.LEAVING_DATE_CHANGED: "Your leaving date has changed",
    LetterKind.EXIT_CONFIRMED: "Confirmation of your voluntary exit",
    LetterKind.NOTICE_OF_INTENDED_RETIREMENT: (
        "Notice of intended retirement in the interests of efficiency"
    ),
    LetterKind.PANEL_DECISION: "The panel's decision on your retirement",
    LetterKind.RETIREMENT_CONFIRMED: "Confirmation of your retirement",
}


class LetterFacts(BaseModel):
    """What a letter states that the case view does not hold (the policy's periods)."""

    leaving_window: LeavingWindow | None = Field(
        default=None, description="Offer: the leaving dates allowed if accepted on the day."
    )
    cooling_off: str | None = Field(default=None, description="Offer: the cooling-off period.")
    consideration: str | None = Field(default=None, description="Offer: time to decide.")


class LetterRequest(BaseModel):
    """The activity's argument: the case as the event about to be recorded leaves it."""

    case: CaseView
    kind: LetterKind
    seq: int = Field(ge=1)
    template_version: str
    facts: LetterFacts = LetterFacts()


class LetteredEvent(BaseModel):
    """An event and the letter of its occasion, written by one activity: the letter first,
    from the case as the event leaves it, then the event carrying it (``CaseEvent.with_letter``).
    """

    event: CaseEvent
    kind: LetterKind
    template_version: str
    facts: LetterFacts = LetterFacts()

    def request(self) -> LetterRequest:
        return LetterRequest(
            case=self.event.view,
            kind=self.kind,
            seq=self.event.audit.seq,
            template_version=self.template_version,
            facts=self.facts,
        )


class InvitationLetter(BaseModel):
    """What an invitation letter states: the scheme's window and where to apply."""

    scheme: str
    application_opens: date
    application_closes: date
    apply_url: str | None = Field(
        default=None, description="The service's apply page; None when no public address is set."
    )
    written_on: date


class Addressee(BaseModel):
    """Who the letter is to: from the roster when it is written, never kept in the workflow."""

    name: str
    rank: str


# -- the template sets ---------------------------------------------------------------------


def _environment(templates: dict[str, str]) -> ImmutableSandboxedEnvironment:
    """The environment of one set of templates, from a cache keyed by their text.

    Compiling a set costs far more than rendering a letter from it (about 35 ms against 5),
    and every letter loads its set again and checks it compiles; an environment keeps what it
    compiled, so a set's templates compile once per process. Keyed by the text, not the
    version, so a set is never served from another's compilation.
    """
    return _compiled(tuple(sorted(templates.items())))


@functools.lru_cache(maxsize=8)
def _compiled(templates: tuple[tuple[str, str], ...]) -> ImmutableSandboxedEnvironment:
    environment = ImmutableSandboxedEnvironment(
        loader=DictLoader(dict(templates)), autoescape=True, undefined=StrictUndefined
    )
    environment.filters.update(money=money, day=day, period=period_words, words=words)
    return environment


class TemplateSet(BaseModel):
    """One version of every letter's wording, with the layout they share."""

    version: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", examples=["2027-01"]
    )
    templates: dict[str, str] = Field(
        description="HTML (Jinja2) per letter kind, and 'layout', which each extends."
    )

    @field_validator("templates")
    @classmethod
    def _complete_and_valid(cls, templates: dict[str, str]) -> dict[str, str]:
        wanted = {LAYOUT, *(k.value for k in LetterKind)}
        missing, unknown = wanted - templates.keys(), templates.keys() - wanted - {INVITATION}
        if missing:
            raise ValueError(f"templates missing for: {', '.join(sorted(missing))}")
        if unknown:
            raise ValueError(f"no such letter kind: {', '.join(sorted(unknown))}")
        environment = _environment(templates)
        for name in sorted(templates):
            if len(templates[name]) > 100_000:
                raise ValueError(f"template '{name}' is longer than 100,000 characters")
            try:
                environment.get_template(name)
            except TemplateError as error:
                raise ValueError(f"template '{name}' does not compile: {error.message}") from None
        return templates


def default_templates() -> TemplateSet:
    """The wording shipped in ``domain/letters/templates/default``."""
    folder = resources.files("domain.letters").joinpath("templates", DEFAULT_VERSION)
    names = [LAYOUT, INVITATION, *(k.value for k in LetterKind)]
    return TemplateSet(
        version=DEFAULT_VERSION,
        templates={name: folder.joinpath(f"{name}.html").read_text() for name in names},
    )


def render_html(templates: TemplateSet, request: LetterRequest, addressee: Addressee) -> str:
    """The letter as HTML. Raises ``jinja2.TemplateError`` if a template breaks on the facts."""
    case = request.case
    context: dict[str, Any] = {
        "title": TITLES[request.kind],
        "case": case.model_dump(mode="python"),
        "amount": case.amount,
        "facts": request.facts.model_dump(mode="python"),
        "officer": addressee.model_dump(),
        "letter": {
            "kind": request.kind.value,
            "seq": request.seq,
            "template_version": templates.version,
            "date": local_date(case.updated_at),
        },
    }
    return _environment(templates.templates).get_template(request.kind.value).render(context)


def invitation_templates(templates: TemplateSet) -> TemplateSet:
    """The set an invitation letter is written from: ``templates`` if it has the wording, else
    the shipped set (the letter then records version ``default``)."""
    return templates if INVITATION in templates.templates else default_templates()


def render_invitation_html(
    templates: TemplateSet, invitation: InvitationLetter, addressee: Addressee
) -> str:
    """The invitation letter as HTML. Raises ``jinja2.TemplateError`` as ``render_html`` does."""
    context: dict[str, Any] = {
        "title": INVITATION_TITLE,
        "scheme": {
            "name": invitation.scheme,
            "application_opens": invitation.application_opens,
            "application_closes": invitation.application_closes,
        },
        "apply_url": invitation.apply_url,
        "officer": addressee.model_dump(),
        "letter": {
            "kind": INVITATION,
            "template_version": templates.version,
            "date": invitation.written_on,
        },
    }
    return _environment(templates.templates).get_template(INVITATION).render(context)


# -- filters the templates use -----------------------------------------------------------------


def money(value: Decimal | str | None) -> str:
    """£41,538.46: pounds with thousands and pence, exactly as stored."""
    if value is None:
        return "—"
    return f"£{Decimal(value):,.2f}"


def day(value: date | datetime | None) -> str:
    """2 June 2026; a moment is shown as its date where the force is."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = local_date(value)
    return f"{value.day} {value:%B %Y}"


_PERIOD = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def period_words(value: str | None) -> str:
    """P1M → 1 month; P10D → 10 days (the demo policy's PT30S → 30 seconds)."""
    match = _PERIOD.match(value or "")
    if not value or match is None:
        return value or "—"
    parts = []
    for unit, count in match.groupdict().items():
        if count is not None:
            number = int(count)
            parts.append(f"{number} {unit if number != 1 else unit[:-1]}")
    return " and ".join(parts) or "no time"


def words(value: str | None) -> str:
    """snake_case codes as words: calculation_failed → calculation failed."""
    return (value or "").replace("_", " ")
