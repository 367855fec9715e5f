"""How pages show values: dates, money and the service's identifiers in words."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.evidence import AttachedTo
from domain.money import to_pounds

# Staff and officers work in England and Wales: times show as there.
LOCAL = ZoneInfo("Europe/London")

# Where the identifier read as words is not good enough.
_WORDS = {
    "hr": "HR",
    "info_requested": "Information requested",
    "provide_info": "Provide information",
    "respond_to_offer": "Respond to the offer",
    "exit_checklist": "Exit checklist",
    "approval_hr": "HR approval",
    "approval_finance": "Finance approval",
    "approval_executive": "Executive approval",
    "voluntary_exit": "Voluntary exit",
    "efficiency_retirement": "Efficiency retirement",
}


def sentence(text: str) -> str:
    """Words that start lower case (the API's refusals, say) as a sentence on a page: the first
    letter a capital, the rest as it is (ids and names keep their case)."""
    return text[:1].upper() + text[1:]


def words(identifier: object) -> str:
    """``hr_review`` -> "HR review"; any enum or string identifier, read as words."""
    text = str(getattr(identifier, "value", identifier))
    if text in _WORDS:
        return _WORDS[text]
    return sentence(" ".join(_WORDS.get(part, part) for part in text.replace("-", "_").split("_")))


def date_text(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL).date()
    return f"{value.day} {value:%B %Y}"


def datetime_text(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(LOCAL)
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def month_text(month: str) -> str:
    """A month as the scheme's figures key it ("2026-11", ``domain.scheme.month_of``) in words:
    "November 2026"."""
    return f"{date.fromisoformat(month + '-01'):%B %Y}"


# What a file supports, as the attach form's choices and the evidence table read (words apart
# from the action forms' labels, "Answer" and "Representations", so each label names one field).
SUPPORTS = {
    AttachedTo.INFO_ANSWER: "Information HR asked for",
    AttachedTo.REPRESENTATION: "A reply to the notice of intended retirement",
    AttachedTo.APPLICATION: "The application",
    AttachedTo.PROPOSAL: "The efficiency retirement proposal",
}


def supports(attached_to: AttachedTo) -> str:
    return SUPPORTS[attached_to]


def money(value: Decimal | None) -> str:
    """£41,538.46; exact: the value is already rounded to the penny."""
    if value is None:
        return ""
    return f"£{to_pounds(value):,.2f}"


FILTERS = {
    "words": words,
    "date": date_text,
    "datetime": datetime_text,
    "month": month_text,
    "supports": supports,
    "money": money,
}
