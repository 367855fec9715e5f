"""Keyset pagination: cursors that carry the last row's sort key.

A cursor is the key's fields joined by dots: a time as microseconds since 1970 (UTC), a number
in digits, a name in letters, digits, ``_`` and ``-``. Clients treat it as opaque; the OpenAPI
document gives its exact pattern, and every string the pattern admits is a position in the list
(a time past the last representable one is the end), so no cursor that fits is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

Item = TypeVar("Item")
Key = TypeVar("Key", bound=BaseModel)

Limit = Annotated[int, Query(ge=1, le=200, description="Items per page (1-200).")]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_LAST = datetime.max.replace(tzinfo=UTC)
_PARTS: dict[Any, str] = {
    datetime: "[0-9]{1,18}",
    int: "[0-9]{1,9}",  # below 2**31: an integer column takes it
    str: "[A-Za-z0-9_-]{1,64}",
}


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


def cursor_pattern(model: type[BaseModel]) -> str:
    """The pattern every cursor of a list whose sort key is ``model`` matches."""
    parts = (_PARTS[info.annotation] for info in model.model_fields.values())
    return "^" + r"\.".join(parts) + "$"


def cursor_param(model: type[BaseModel]) -> Any:
    """The ``Query`` of a list's ``cursor`` parameter, whose sort key is ``model``:
    ``Cursor = Annotated[str | None, cursor_param(model)]``, an alias mypy can read."""
    return Query(
        pattern=cursor_pattern(model),
        description="`next_cursor` from the previous page; omit for the first.",
    )


def encode_cursor(key: BaseModel) -> str:
    parts = []
    for name in type(key).model_fields:
        value = getattr(key, name)
        parts.append(
            str((value - _EPOCH) // _MICROSECOND if isinstance(value, datetime) else value)
        )
    return ".".join(parts)


def decode_cursor(cursor: str | None, model: type[Key]) -> Key | None:
    """The key of a cursor that matches ``cursor_param(model)``'s pattern (FastAPI checks it)."""
    if cursor is None:
        return None
    values: dict[str, Any] = {}
    for (name, info), part in zip(model.model_fields.items(), cursor.split("."), strict=True):
        if info.annotation is datetime:
            micros = min(int(part), (_LAST - _EPOCH) // _MICROSECOND)
            values[name] = _EPOCH + micros * _MICROSECOND
        else:
            values[name] = part
    return model.model_validate(values)


def page_of(items: list[Item], limit: int, key: Callable[[Item], BaseModel]) -> Page[Item]:
    """The page for ``limit + 1`` rows fetched after a cursor: the extra row only says that
    there is a next page, whose cursor is the key of this page's last row."""
    if len(items) <= limit:
        return Page[Item](items=items, next_cursor=None)
    items = items[:limit]
    return Page[Item](items=items, next_cursor=encode_cursor(key(items[-1])))
