"""The one error that computing with a case's own figures may raise.

A figure stored before today's bounds (domain/bounds.py) can take a date past the calendar or an
amount past what money holds. The functions that compute with such figures raise
:class:`CalculationError` for exactly that, so a workflow can stop the case for a person while
any other exception still shows a bug.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class CalculationError(Exception):
    """A case's figures are beyond what the calendar or the arithmetic can hold."""


@contextmanager
def beyond_limits(what: str) -> Iterator[None]:
    """Turn the calendar's and the arithmetic's own limit errors into a ``CalculationError``.

    Use it only around arithmetic on figures: there, and only there, these errors mean a figure
    too large rather than a bug.
    """
    try:
        yield
    except (ArithmeticError, ValueError) as error:
        raise CalculationError(f"{what} is beyond what can be computed") from error
