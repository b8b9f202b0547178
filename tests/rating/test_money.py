"""Billed seconds and amounts: increments, rounding, exact sums (hypothesis over the whole range)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from calldata.rating.money import amount, billed_seconds, from_micros, to_micros

seconds = st.integers(min_value=0, max_value=100_000)
increments = st.sampled_from([(60, 60), (1, 1), (30, 6), (0, 60), (60, 1), (10, 10)])
rates = st.decimals(min_value=0, max_value=100, places=4, allow_nan=False, allow_infinity=False)


def test_the_usual_increments_by_hand() -> None:
    assert [billed_seconds(s, 60, 60) for s in (0, 1, 59, 60, 61, 120, 121)] == [0, 60, 60, 60, 120, 120, 180]
    assert [billed_seconds(s, 30, 6) for s in (1, 30, 31, 36, 37)] == [30, 30, 36, 36, 42]
    assert [billed_seconds(s, 1, 1) for s in (0, 1, 61)] == [0, 1, 61]
    assert billed_seconds(5, 0, 60) == 60  # no minimum: the first started increment


def test_amounts_by_hand() -> None:
    # 0.05 connection + 0.10/min x 61 s at 60/1 = 0.05 + 0.101666.. -> 0.1517 (half-up, 4 places)
    assert amount(61, Decimal("0.10"), Decimal("0.05"), 60, 1, 4) == Decimal("0.1517")
    # 0.02/min, 60/60, 61 s -> two minutes = 0.04
    assert amount(61, Decimal("0.02"), Decimal(0), 60, 60, 4) == Decimal("0.0400")
    # half-up at the boundary: 0.015/min x 1 s at 1/1 = 0.00025 -> 0.0003 at 4 places
    assert amount(1, Decimal("0.015"), Decimal(0), 1, 1, 4) == Decimal("0.0003")
    # answered for 0 s: only the connection charge
    assert amount(0, Decimal("1.5"), Decimal("0.25"), 60, 60, 4) == Decimal("0.2500")


@given(seconds, increments)
def test_billed_seconds_cover_the_call_in_whole_increments(billsec: int, billing: tuple[int, int]) -> None:
    minimum, increment = billing
    charged = billed_seconds(billsec, minimum, increment)
    if billsec == 0:
        assert charged == 0
        return
    assert charged >= billsec and charged >= minimum
    assert charged == minimum or (charged - minimum) % increment == 0
    assert charged - billsec < max(minimum, increment)  # never a whole increment too many


@given(seconds, seconds, increments)
def test_a_longer_call_never_costs_less(a: int, b: int, billing: tuple[int, int]) -> None:
    short, long = sorted((a, b))
    assert amount(short, Decimal("0.07"), Decimal("0.01"), *billing, 4) <= amount(long, Decimal("0.07"), Decimal("0.01"), *billing, 4)


@given(st.lists(st.tuples(seconds, rates, increments), min_size=1, max_size=60), st.integers(0, 6))
def test_a_total_of_stored_amounts_is_the_sum_to_the_last_decimal(legs: list[tuple[int, Decimal, tuple[int, int]]],
                                                                   precision: int) -> None:
    amounts = [amount(s, rate, Decimal("0.0125"), *billing, precision) for s, rate, billing in legs]
    micros = [to_micros(a) for a in amounts]
    assert all(a.as_tuple().exponent == -precision for a in amounts)  # rounded where the deck says
    assert from_micros(sum(micros), precision) == sum(amounts)  # summing millionths loses nothing
    assert [from_micros(m, precision) for m in micros] == amounts
