"""CSV that a spreadsheet opens safely: no cell a spreadsheet would run as a formula.

Every CSV export writes through `csv_writer`. A text cell that starts with `=`, `+`, `-`,
`@`, a tab or a carriage return gets a leading `'` (the OWASP rule against CSV injection);
numbers are written as they are, so a negative value stays a number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, with a leading `'` when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class SafeCsvWriter:
    """`csv.writer` that neutralises every text cell it writes."""

    def __init__(self, stream: Any) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in values])


def csv_writer(stream: Any) -> SafeCsvWriter:
    """A CSV writer for exports (see the module docstring)."""
    return SafeCsvWriter(stream)
