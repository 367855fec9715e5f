"""Keyset pagination: opaque cursors that carry the last row's sort key.

A cursor is base64url JSON of a pydantic model; clients treat it as opaque. One that does not
decode into the expected model is a 400 naming the parameter.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field, ValidationError

from api.problems import FieldError, ProblemError

Item = TypeVar("Item")
Key = TypeVar("Key", bound=BaseModel)

Limit = Annotated[int, Query(ge=1, le=200, description="Items per page (1-200).")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` from the previous page; omit for the first."),
]


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


def encode_cursor(key: BaseModel) -> str:
    return base64.urlsafe_b64encode(key.model_dump_json().encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, model: type[Key]) -> Key | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return model.model_validate_json(raw)
    except (binascii.Error, ValueError, ValidationError):
        raise ProblemError(
            400,
            "the cursor is not one this service issued; start again without it",
            kind="bad-cursor",
            errors=[FieldError(field="query.cursor", message="not a cursor from this list")],
        ) from None


def page_of(items: list[Item], limit: int, key: Callable[[Item], BaseModel]) -> Page[Item]:
    """The page for ``limit + 1`` rows fetched after a cursor: the extra row only says that
    there is a next page, whose cursor is the key of this page's last row."""
    if len(items) <= limit:
        return Page[Item](items=items, next_cursor=None)
    items = items[:limit]
    return Page[Item](items=items, next_cursor=encode_cursor(key(items[-1])))
