"""What a spreadsheet's ``locale`` changes: day/month order and default number formats.

Google reads a typed ``1/2/2027`` by the spreadsheet's locale (``en_US`` month first,
``en_GB`` and most others day first; ``2027-01-02`` is read the same everywhere) and,
where a number format has a type but no pattern, shows it with "a default pattern based
on the spreadsheet's locale" (NumberFormat reference). Only the English-language
conventions (``.`` decimal point, ``,`` grouping) are modelled; see docs/EMULATOR.md.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

# Locales whose short dates put the month first; every other locale reads day first.
_MONTH_FIRST = frozenset({"en_US", "en", "en_PH", "es_US", "fil", "fil_PH"})
_POUND = frozenset({"en_GB", "cy_GB", "gd_GB"})
_EURO_COUNTRIES = frozenset(
    {"IE", "FR", "DE", "ES", "IT", "NL", "BE", "AT", "PT", "FI", "GR", "LU", "SK", "SI", "EE"}
)


@dataclass(frozen=True)
class LocaleRules:
    """The conventions one locale implies for typed and displayed values."""

    day_first: bool
    currency: str
    date: str
    date_time: str
    time: str

    def default_pattern(self, kind: str) -> str:
        """The pattern Google uses for a number format type set without a pattern."""
        return {
            "DATE": self.date,
            "DATE_TIME": self.date_time,
            "TIME": self.time,
            "CURRENCY": f'"{self.currency}"#,##0.00',
            "PERCENT": "0.00%",
            "NUMBER": "#,##0.00",
            "SCIENTIFIC": "0.00E+00",
        }.get(kind, "")


@functools.lru_cache(maxsize=64)
def rules(locale: str) -> LocaleRules:
    """The rules for a locale string such as ``en_GB`` (unknown ones read day first)."""
    name = (locale or "en_US").replace("-", "_")
    country = name.split("_", 1)[1].upper() if "_" in name else ""
    if name in _POUND:
        currency = "£"
    elif country in _EURO_COUNTRIES:
        currency = "€"
    else:
        currency = "$"
    if name in _MONTH_FIRST:
        return LocaleRules(False, currency, "M/d/yyyy", "M/d/yyyy H:mm:ss", "h:mm:ss am/pm")
    return LocaleRules(True, currency, "dd/MM/yyyy", "dd/MM/yyyy HH:mm:ss", "HH:mm:ss")
