"""Money is exact: Decimal pounds, rounded half-up to the penny only at the end."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Annotated

from pydantic import PlainSerializer

from domain.errors import beyond_limits

PENNY = Decimal("0.01")

# The most compensation one case may carry, calculated or adjusted: far above what any officer's
# pay and the scheme's cap produce, far below what the stores hold (numeric(12, 2)).
MAX_AMOUNT = Decimal("1000000.00")


def to_pounds(value: Decimal | Fraction | int) -> Decimal:
    """Round an exact amount half-up to the penny.

    Raises ``CalculationError`` for an amount with more digits than a Decimal holds.
    """
    with beyond_limits("an amount"):
        if isinstance(value, Fraction):
            pence, remainder = divmod(value.numerator * 100, value.denominator)
            if remainder * 2 >= value.denominator:
                pence += 1
            return (Decimal(pence) / 100).quantize(PENNY)
        return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_UP)


# Serialised as a two-place decimal string ("41538.46"), never a float.
Money = Annotated[Decimal, PlainSerializer(lambda v: f"{to_pounds(v):.2f}", return_type=str)]
