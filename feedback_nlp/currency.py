"""ISO 4217 currency codes: the codes of the currencies in use, and the check of one code.

The table lists the active alphabetic codes of ISO 4217 (list one of the standard, as
published by its maintenance agency SIX), without the precious metals, the testing code
``XTS`` and ``XXX`` (no currency). Python's standard library has no such list.
"""

from __future__ import annotations

from feedback_nlp.error_codes import UNKNOWN_CURRENCY
from feedback_nlp.errors import InvalidInputError

__all__ = ["CURRENCIES", "DEFAULT_CURRENCY", "CurrencyError", "check_currency"]

DEFAULT_CURRENCY = "USD"
"""The currency of a workspace nobody set one for."""

CURRENCIES: frozenset[str] = frozenset(
    {
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BOV",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHE",
        "CHF",
        "CHW",
        "CLF",
        "CLP",
        "CNY",
        "COP",
        "COU",
        "CRC",
        "CUC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MXV",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SLL",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "USN",
        "UYI",
        "UYU",
        "UYW",
        "UZS",
        "VED",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
        "ZWL",
    }
)
"""Active ISO 4217 alphabetic codes (national currencies and fund codes)."""


class CurrencyError(InvalidInputError):
    """A currency code that is not an active ISO 4217 code."""

    error = UNKNOWN_CURRENCY


def check_currency(value: object) -> str:
    """The ISO 4217 code ``value`` spells (any case, surrounding spaces ignored), upper case.

    Raises:
        CurrencyError: If it is not an active ISO 4217 code.
    """
    code = value.strip().upper() if isinstance(value, str) else None
    if code not in CURRENCIES:
        shown = repr(value)
        shown = shown if len(shown) <= 50 else shown[:47] + "..."
        raise CurrencyError(
            f"The currency must be an active ISO 4217 code such as 'USD', 'EUR' or 'JPY'. "
            f"Got {shown}. Use the three-letter code of the currency."
        )
    return code
