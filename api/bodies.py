"""The base of every request body the API defines.

Text goes to PostgreSQL and into Temporal payloads. A NUL character or a lone surrogate cannot
be stored in either: caught here, it is a 422 naming the field; caught later, it would wedge
a workflow whose activity could never write its event.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from domain.bounds import admit

Model = TypeVar("Model", bound=BaseModel)


def unstorable_text(value: Any, path: str = "") -> str | None:
    """The path of the first string that cannot be stored, if any."""
    if isinstance(value, str):
        if "\x00" in value:
            return path
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = unstorable_text(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = unstorable_text(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        where = unstorable_text(data)
        if where is not None:
            raise ValueError(f"{where or 'a value'} contains a character that cannot be stored")
        return data


def admitted(model: type[Model], body: Model) -> Model:
    """``body`` checked against the bounds on new documents (domain/bounds.py): outside them,
    a 422 naming each field, like any other invalid input."""
    try:
        return admit(model, body)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
        ) from None
