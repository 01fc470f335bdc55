"""Text that a spreadsheet would run as a formula, made safe in the files danvan writes for people.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed (or their
full-width forms) is a formula to Excel, LibreOffice and Google Sheets when the file is opened
("CSV injection", OWASP). danvan writes such text from the unit registry and the catalogue (unit
names, section titles, labels, units) and from the store (last year's texts) into the forms it
sends to ward officials. Following the OWASP advice, an xlsx cell holding such text is written as a
string with Excel's quote prefix (shown as it is, never evaluated), and a CSV field gets a leading
apostrophe. Plain numbers (``-8``, ``95.2``) are left alone.
"""

from __future__ import annotations

import re

__all__ = ["formula_like", "csv_safe"]

_RISKY = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"-?\d+(\.\d+)?\Z")


def formula_like(text) -> bool:
    """True when a spreadsheet would read ``text`` as a formula (a plain signed number is not)."""
    return isinstance(text, str) and text.startswith(_RISKY) and not _NUMBER.match(text)


def csv_safe(value):
    """A CSV field a spreadsheet shows as text: ``'`` before formula-like text, anything else as it is."""
    return "'" + value if formula_like(value) else value
