"""A form for each case action, made from the action's request body (the API's), and the
form's values read back into that body.

The fields, their types and which are required come from ``body_model(action)``, so a field
added to a command appears in both the API and its page. Values typed come back on an error.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import ValidationError
from starlette.datastructures import FormData

from api.routes.cases import body_model
from domain.case import CaseView
from domain.checklist import checklist_refusal
from domain.commands import Review, ReviewDecision
from domain.documents import LetterKind, LetterRef
from domain.evidence import AttachedTo
from domain.lifecycle import Action, ChecklistItem
from domain.money import MAX_AMOUNT
from web.format import words

FieldKind = Literal["choice", "date", "money", "file", "text", "textarea"]

# Answers that may rest on a file: the form takes one (sent with it, attached to the case first,
# web/routes/cases.py's ``attempt``), and what the file supports is the answer's kind.
ANSWERED_WITH_FILES = {
    Action.PROVIDE_INFO: AttachedTo.INFO_ANSWER,
    Action.MAKE_REPRESENTATIONS: AttachedTo.REPRESENTATION,
}

# Free text written as sentences: a text area, not a one-line input.
_PROSE = frozenset({"reason", "note", "representations", "statement"})
_LABELS = {
    "assignee_user_id": "User id of the new assignee",
    "item": "Checklist item",
    "letter_sha256": "The offer letter you accept",
    "note": "Answer",
    "evidence": "A file that supports it: PDF, PNG, JPEG, DOCX or ODT",
}


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: FieldKind
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""

    @property
    def id(self) -> str:
        return self.name.replace("_", "-")


def _base(annotation: Any) -> Any:
    """``X | None`` and ``Annotated[X, ...]`` -> X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def _choices(action: Action, kind: type[StrEnum], view: CaseView) -> tuple[tuple[str, str], ...]:
    members: list[StrEnum] = list(kind)
    if kind is ChecklistItem:
        # Only the items a person may record now (domain/checklist.py's rule).
        done = [entry.item for entry in view.checklist]
        members = [m for m in members if checklist_refusal(ChecklistItem(m), done) is None]
    return tuple((m.value, words(m)) for m in members)


def _letter_choice(letter: LetterRef) -> str:
    return f"Your current offer letter (SHA-256 {letter.sha256[:12]}…)"


def form_fields(action: Action, view: CaseView) -> list[FormField]:
    fields = []
    for name, info in body_model(action).model_fields.items():
        base = _base(info.annotation)
        kind: FieldKind
        choices: tuple[tuple[str, str], ...] = ()
        if name == "letter_sha256":
            # The officer accepts a letter they can read: the offer letter standing now.
            offer = view.current_letter(LetterKind.OFFER)
            if offer is None:
                continue
            kind, choices = "choice", ((offer.sha256, _letter_choice(offer)),)
        elif name == "evidence":
            if action not in ANSWERED_WITH_FILES:
                continue
            kind = "file"
        elif isinstance(base, type) and issubclass(base, StrEnum):
            kind, choices = "choice", _choices(action, base, view)
        elif base is date:
            kind = "date"
        elif base is Decimal:
            kind = "money"
        else:
            kind = "textarea" if name in _PROSE else "text"
        label = _LABELS.get(name, words(name))
        required, hint = info.is_required(), ""
        if (action, name) == (Action.REVIEW, "reason"):
            # Needed for two decisions of three: said as a hint, not marked optional.
            required, hint = True, "Needed to reject or to ask for information; not to go on."
        fields.append(FormField(name, label, kind, required, choices, hint))
    return fields


@dataclass
class Submitted:
    """A form as sent: the values typed (to show again) and, once read, the body or errors."""

    values: dict[str, str]
    body: dict[str, Any] | None
    errors: dict[str, str]


def _missing(field: FormField) -> str:
    if field.kind == "choice":
        return f"Select the {field.label.lower()}"
    return f"Enter the {field.label.lower()}"


REASON_NEEDED = "Enter a reason to reject or to ask for information"
_POUNDS = re.compile(r"[0-9]+(\.[0-9]{1,2})?")


def _pounds(typed: str) -> tuple[str, str | None]:
    """An amount as people type it ("£12,000.50") as the API takes it ("12000.50"), or why it
    cannot be one, in words; the API's own checks (more than £0) still follow."""
    plain = typed.replace("£", "").replace(",", "").replace(" ", "")
    if plain.startswith("-"):
        return plain, "enter an amount more than £0"
    if not _POUNDS.fullmatch(plain):
        return plain, "enter pounds and pence in figures, such as 41,538.46"
    if Decimal(plain) > MAX_AMOUNT:
        return plain, f"enter an amount of at most £{MAX_AMOUNT:,.2f}"
    return plain, None


def read_form(action: Action, view: CaseView, form: FormData) -> Submitted:
    """The action's body from the form, checked as the API checks it."""
    fields = form_fields(action, view)
    values = {}
    for field in fields:
        value = form.get(field.name)
        values[field.name] = value.strip() if isinstance(value, str) else ""
    body = {name: value for name, value in values.items() if value}
    money_errors: dict[str, str] = {}
    for field in fields:
        if field.kind == "money" and field.name in body:
            body[field.name], why = _pounds(body[field.name])
            if why:
                money_errors[field.name] = f"{field.label}: {why}"
    if money_errors:
        return Submitted(values, None, money_errors)
    try:
        body_model(action).model_validate(body)
    except ValidationError as error:
        by_name = {field.name: field for field in fields}
        errors: dict[str, str] = {}
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else ""
            wrong = by_name.get(name)
            if wrong is None or name in errors:
                continue
            if problem["type"] == "missing":
                errors[name] = _missing(wrong)
            else:
                message = str(problem["msg"]).removeprefix("Value error, ")
                errors[name] = f"{wrong.label}: {message}"
        if not errors:  # a rule across fields: shown against the first
            errors[fields[0].name] = str(error.errors()[0]["msg"]).removeprefix("Value error, ")
        return Submitted(values, None, errors)
    # The workflow's rule for a review, said against the field before the case is asked.
    if (
        action is Action.REVIEW
        and not body.get("reason")
        and Review.needs_reason(ReviewDecision(body["decision"]))
    ):
        return Submitted(values, None, {"reason": REASON_NEEDED})
    return Submitted(values, body, {})
