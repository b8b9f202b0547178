"""Money as Decimal, never floats: billed seconds by minimum/increment, amounts rounded half-up.

Amounts are stored as whole millionths of the currency (`to_micros`), exact in every database
and summable by SQL; a deck's precision (at most 6 decimals) says where each leg is rounded, so
a company's total is exactly the sum of its legs.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

MAX_PRECISION = 6  # decimals a deck may round to: what micros hold exactly
_MICRO = Decimal(1).scaleb(-MAX_PRECISION)
_SIXTY = Decimal(60)


def billed_seconds(billsec: int, minimum: int, increment: int) -> int:
    """The seconds charged: the first `minimum` whole, then each started `increment` (0 stays 0)."""
    if billsec <= 0:
        return 0
    if billsec <= minimum:
        return minimum
    started = -(-(billsec - minimum) // increment)
    return minimum + started * increment


def amount(billsec: int, rate: Decimal, connection: Decimal, minimum: int, increment: int,
           precision: int) -> Decimal:
    """What a leg of `billsec` answered seconds costs: connection + rate per minute x billed
    minutes, rounded half-up to `precision` decimals. A leg answered for 0 s pays the connection."""
    charged = billed_seconds(billsec, minimum, increment)
    return (connection + rate * charged / _SIXTY).quantize(Decimal(1).scaleb(-precision), ROUND_HALF_UP)


Terms = tuple[int, int, int, int, int]


def terms(rate: Decimal, connection: Decimal, precision: int) -> Terms:
    """A row's rate and connection charge as integers over one denominator, for `micros`:
    (rate x 10^k, connection x 60 x 10^k, 60 x 10^k, 10^precision, 10^(6 - precision))."""
    k = max(0, -int(rate.as_tuple().exponent), -int(connection.as_tuple().exponent))
    return (int(rate.scaleb(k)), int(connection.scaleb(k)) * 60, 60 * 10 ** k, 10 ** precision,
            10 ** (MAX_PRECISION - precision))


def micros(billsec: int, minimum: int, increment: int, row_terms: Terms) -> int:
    """`to_micros(amount(...))` in integers only (the rater's per-leg path): the exact amount
    connection + rate x billed seconds / 60 rounded half-up to the precision, in millionths."""
    rate, connection, denominator, scale, to_micro = row_terms
    numerator = (connection + rate * billed_seconds(billsec, minimum, increment)) * scale
    return (2 * numerator + denominator) // (2 * denominator) * to_micro


def to_micros(value: Decimal) -> int:
    """`value` in millionths (exact: amounts are rounded to at most MAX_PRECISION decimals)."""
    return int(value.scaleb(MAX_PRECISION).to_integral_exact())


def from_micros(micros: int, precision: int = MAX_PRECISION) -> Decimal:
    """The Decimal of `micros` millionths, shown with `precision` decimals."""
    return (Decimal(micros) * _MICRO).quantize(Decimal(1).scaleb(-precision))
