"""Whether a run of digit groups is a telephone number.

Numbers are recognised by their shape, not by context words:

* international, with ``+`` or ``00``: a known country code followed by a national number of
  that country's length (a ``(0)`` trunk digit allowed), or 8 to 15 digits for other codes;
* national, with a trunk ``0``: 9 to 11 digits (``0912 345 6789``, ``050-123-4567``,
  ``0501234567``, ``010 1234 5678``);
* the ``8`` trunk prefix of Lithuania (``8 612 34567``) and of Russia and its neighbours;
* the North American ``(555) 123-4567`` / ``555-123-4567`` layout (area code 2-9);
* a bare mobile number with its country code and no ``+`` (``966501234567``).

Prices, years, percentages and order numbers have none of these shapes (dates are set aside
before phone numbers are looked for). A number whose last group is a single digit is not a
phone number (``050-123-4567 2`` ends before the ``2``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final

#: National significant number lengths ``(shortest, longest)`` per calling code.
COUNTRY_CODES: Final[Mapping[str, tuple[int, int]]] = MappingProxyType(
    {
        "1": (10, 10), "7": (10, 10), "20": (8, 10), "27": (9, 9), "30": (10, 10),
        "31": (9, 9), "32": (8, 9), "33": (9, 9), "34": (9, 9), "36": (8, 9), "39": (6, 11),
        "40": (9, 9), "41": (9, 9), "43": (4, 13), "44": (7, 10), "45": (8, 8),
        "46": (7, 10), "47": (8, 8), "48": (9, 9), "49": (6, 13), "51": (8, 9),
        "52": (10, 10), "54": (10, 11), "55": (10, 11), "56": (9, 9), "57": (8, 10),
        "58": (10, 10), "60": (8, 10), "61": (9, 9), "62": (8, 12), "63": (8, 10),
        "64": (8, 10), "65": (8, 8), "66": (8, 9), "81": (9, 10), "82": (8, 10),
        "84": (9, 10), "86": (10, 11), "90": (10, 10), "91": (10, 10), "92": (9, 10),
        "93": (9, 9), "94": (9, 9), "95": (7, 10), "98": (10, 10), "212": (9, 9),
        "213": (8, 9), "216": (8, 8), "218": (9, 9), "234": (8, 10), "249": (9, 9),
        "251": (9, 9), "254": (9, 9), "351": (9, 9), "352": (4, 11), "353": (7, 9),
        "356": (8, 8), "357": (8, 8), "358": (5, 12), "359": (8, 9), "370": (8, 8),
        "371": (8, 8), "372": (7, 8), "373": (8, 8), "374": (8, 8), "375": (9, 9),
        "380": (9, 9), "381": (8, 9), "385": (8, 9), "386": (8, 8), "420": (9, 9),
        "421": (9, 9), "961": (7, 8), "962": (8, 9), "963": (8, 9), "964": (8, 10),
        "965": (8, 8), "966": (8, 9), "967": (7, 9), "968": (8, 8), "970": (8, 9),
        "971": (8, 9), "972": (8, 9), "973": (8, 8), "974": (8, 8), "976": (8, 8),
        "977": (8, 10), "992": (9, 9), "993": (8, 8), "994": (9, 9), "995": (9, 9),
        "996": (9, 9), "998": (9, 9),
    }
)  # fmt: skip

#: Mobile numbers written with their country code but without ``+`` or ``00``, in one group.
_BARE_MOBILE: Final = re.compile(
    r"98 9\d{9} | 972 5\d{8} | 966 5\d{8} | 971 5\d{8} | 20 1\d{9} | 370 6\d{7} | 962 7\d{8}"
    r"| 965 [569]\d{7} | 974 [3567]\d{7} | 973 3\d{7} | 968 9\d{7} | 964 7\d{9} | 963 9\d{8}"
    r"| 212 [67]\d{8} | 213 [567]\d{8} | 216 [2459]\d{7} | 90 5\d{9} | 44 7\d{9}"
    r"| 86\d{7}",  # the last one: a Lithuanian mobile with its 8 trunk prefix, 861234567
    re.VERBOSE,
)


def is_phone_number(groups: Sequence[str], *, plus: bool) -> bool:
    """Whether consecutive digit groups form one telephone number.

    Args:
        groups: The digit groups, ASCII digits, in text order.
        plus: Whether a ``+`` comes right before the first group.

    Returns:
        ``True`` when the groups have the shape of a telephone number.
    """
    digits = "".join(groups)
    count = len(digits)
    if count < 7 or count > 17:
        return False
    if len(groups) > 1 and len(groups[-1]) < 2:
        return False
    if plus:
        return _international(digits)
    if digits.startswith("00"):
        return len(groups[0]) >= 2 and _international(digits[2:])
    if digits[0] == "0":
        return groups[0] != "0" and 9 <= count <= 11
    if groups[0] == "8" and len(groups) > 1:
        national = digits[1:]
        return (len(national) == 8 and national[0] in "3456") or (
            len(national) == 10 and national[0] in "3489"
        )
    if len(groups) == 1:
        return _BARE_MOBILE.fullmatch(digits) is not None
    return _north_american(groups)


def _international(digits: str) -> bool:
    if not 7 <= len(digits) <= 16 or digits[0] == "0":
        return False
    for size in (1, 2, 3):
        bounds = COUNTRY_CODES.get(digits[:size])
        if bounds is not None:
            national = len(digits) - size
            if digits[size] == "0":  # "+44 (0)20 …": the trunk 0 written inside brackets
                national -= 1
            return bounds[0] <= national <= bounds[1]
    return 8 <= len(digits) <= 15


def _north_american(groups: Sequence[str]) -> bool:
    if len(groups) == 4 and groups[0] == "1":
        groups = groups[1:]
    return tuple(map(len, groups)) == (3, 3, 4) and groups[0][0] not in "01"
