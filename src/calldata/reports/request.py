"""What a report asks for, already checked for types; the refusal a report can still raise."""

from __future__ import annotations

from dataclasses import dataclass


class ReportError(ValueError):
    """A report that cannot be made as asked; `key` is the scope key at fault."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """One report's scope: companies, the period's calendar numbers, and the optional filters."""

    companies: tuple[str, ...]
    year: int | None = None  # None: the current month in the company's zone
    month: int | None = None
    day: int | None = None  # None: the whole month
    days: int = 1
    extensions: tuple[str, ...] = ()  # incalls: only these (empty: all)
    deviceids: tuple[str, ...] = ()  # outcalls: only these (empty: all)
    recalc: bool = False  # outcalls: price the period's legs again first (reports.recalc)

    @property
    def several(self) -> bool:
        """Keys are prefixed with the company when more than one is asked."""
        return len(self.companies) > 1
