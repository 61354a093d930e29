"""PII redaction, applied before any feedback text is stored, logged or embedded.

Seven kinds of personal data are found and replaced by a typed placeholder: e-mail addresses
(``[EMAIL]``), phone numbers in international and national formats (``[PHONE]``), Luhn-valid
payment card numbers (``[CARD]``), mod-97-valid IBANs (``[IBAN]``), IPv4 and IPv6 addresses
(``[IP]``), URLs carrying a token, key, signature, password or session (``[URL]``) and social
media @handles (``[HANDLE]``). Numbers may be written in ASCII, Arabic-Indic or Persian digits,
or a mix, and may be split by invisible bidi marks or ZWNJ; everything outside the spans found
is kept exactly. Prices, dates, years, percentages and order numbers are left alone.

Modules: :mod:`.spans` (the result types), :mod:`.views` (digit folding and invisible marks),
:mod:`.checksums` (Luhn, IBAN), :mod:`.phones` (phone number shapes), :mod:`.numbers` and
:mod:`.textual` (the detectors), :mod:`.spanset` (claimed spans) and :mod:`.redactor` (the
entry points and the stage).
"""

from feedback_nlp.text.pii.redactor import (
    ALL_KINDS,
    PiiRedactor,
    find_pii,
    redact,
    redact_many,
)
from feedback_nlp.text.pii.spans import PRIORITY, PiiKind, PiiSpan, Redaction

__all__ = [
    "ALL_KINDS",
    "PRIORITY",
    "PiiKind",
    "PiiRedactor",
    "PiiSpan",
    "Redaction",
    "find_pii",
    "redact",
    "redact_many",
]
