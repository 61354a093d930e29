"""The public entry points: find PII, redact one text or many, and the pipeline stage."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, ClassVar, Final, Self

from feedback_nlp.errors import InvalidInputError
from feedback_nlp.text.pii.numbers import find_numeric
from feedback_nlp.text.pii.spans import PRIORITY, Found, PiiKind, PiiSpan, Redaction
from feedback_nlp.text.pii.spanset import SpanSet
from feedback_nlp.text.pii.textual import find_textual
from feedback_nlp.text.pii.views import compact, fold_digits

if TYPE_CHECKING:
    from feedback_nlp.text.stage import TextBatch

ALL_KINDS: Final = frozenset(PiiKind)
_TEXT_KINDS: Final = frozenset({PiiKind.URL, PiiKind.EMAIL, PiiKind.HANDLE})
_NUMERIC_KINDS: Final = ALL_KINDS - _TEXT_KINDS
_ASCII_DIGITS: Final = "0123456789"
#: Text kinds that win over every numeric kind: numbers are not looked for inside them.
_OUTRANK: Final = frozenset({PiiKind.URL, PiiKind.EMAIL})

Kinds = Collection[PiiKind | str] | None


def find_pii(text: str, kinds: Kinds = None) -> list[PiiSpan]:
    """Find the PII in a text.

    Overlapping detections are resolved by :data:`~feedback_nlp.text.pii.spans.PRIORITY`
    (URL > EMAIL > IBAN > CARD > IP > PHONE > HANDLE), then by length, then by position.

    Args:
        text: Any text, in any script; digits may be ASCII, Arabic-Indic or Persian.
        kinds: The kinds to look for (``PiiKind`` members or their values); all when ``None``.

    Returns:
        Non-overlapping spans in text order, with offsets into ``text``.

    Raises:
        InvalidInputError: When ``text`` is not a ``str`` or ``kinds`` names an unknown kind.
    """
    return _find(_check_text(text), _check_kinds(kinds, "find_pii"))


def redact(text: str, kinds: Kinds = None) -> Redaction:
    """Replace every PII span of a text with its kind's placeholder (``[EMAIL]``, ``[PHONE]`` …).

    Args:
        text: Any text; everything outside the spans found is kept exactly, bidi marks included.
        kinds: The kinds to redact; all when ``None``.

    Returns:
        The redacted text and the spans found (no original values are kept).

    Raises:
        InvalidInputError: When ``text`` is not a ``str`` or ``kinds`` names an unknown kind.
    """
    return _redact(_check_text(text), _check_kinds(kinds, "redact"))


def redact_many(texts: Iterable[str], kinds: Kinds = None) -> list[Redaction]:
    """Redact many texts with the same kinds.

    Args:
        texts: The texts, in order.
        kinds: The kinds to redact; all when ``None``.

    Returns:
        One :class:`Redaction` per text, in the same order.

    Raises:
        InvalidInputError: When an item is not a ``str`` or ``kinds`` names an unknown kind.
    """
    enabled = _check_kinds(kinds, "redact_many")
    return [_redact(_check_text(text), enabled) for text in texts]


class PiiRedactor:
    """The PII redaction stage: configured once with the kinds to redact, applied to many texts.

    Example:
        >>> redactor = PiiRedactor(kinds=["email", "phone"])
        >>> redactor("Call 050-123-4567 or write to dana@example.com").text
        'Call [PHONE] or write to [EMAIL]'
    """

    name: ClassVar[str] = "text.pii.v1"
    requires: ClassVar[frozenset[str]] = frozenset({"text"})
    provides: ClassVar[frozenset[str]] = frozenset({"text", "pii_kinds"})

    def __init__(self, *, kinds: Kinds = None) -> None:
        self.kinds: frozenset[PiiKind] = _check_kinds(kinds, "PiiRedactor")

    def __call__(self, text: str) -> Redaction:
        """Redact one text.

        Args:
            text: Any text.

        Returns:
            The redacted text and the spans found.
        """
        return _redact(_check_text(text), self.kinds)

    def find(self, text: str) -> list[PiiSpan]:
        """Find the PII of the configured kinds in one text, without redacting it.

        Args:
            text: Any text.

        Returns:
            Non-overlapping spans in text order.
        """
        return _find(_check_text(text), self.kinds)

    def redact_many(self, texts: Iterable[str]) -> list[Redaction]:
        """Redact many texts.

        Args:
            texts: The texts, in order.

        Returns:
            One :class:`Redaction` per text, in the same order.
        """
        return [_redact(_check_text(text), self.kinds) for text in texts]

    def fit(self, batch: TextBatch) -> Self:
        """Check that ``batch`` holds what the stage requires; there is nothing to learn."""
        batch.need(self)
        return self

    def transform(self, batch: TextBatch) -> TextBatch:
        """Redact ``batch.text``; the kinds replaced go to ``pii_kinds`` (a new batch)."""
        batch.need(self)
        redactions = self.redact_many(batch.text)
        return batch.with_fields(
            text=tuple(r.text for r in redactions),
            pii_kinds=tuple(tuple(sorted({str(s.kind) for s in r.spans})) for r in redactions),
        )

    def get_config(self) -> dict[str, list[str]]:
        """The stage's configuration, as JSON-ready data that :meth:`from_config` accepts.

        Returns:
            ``{"kinds": [...]}``, kinds in priority order.
        """
        return {"kinds": [kind.value for kind in PiiKind if kind in self.kinds]}

    @classmethod
    def from_config(cls, config: dict[str, list[str]]) -> PiiRedactor:
        """Rebuild a stage from :meth:`get_config` output.

        Args:
            config: A mapping with a ``kinds`` list.

        Returns:
            A new stage.
        """
        return cls(kinds=config.get("kinds"))

    def __repr__(self) -> str:
        return f"PiiRedactor(kinds={self.get_config()['kinds']!r})"


def _redact(text: str, kinds: frozenset[PiiKind]) -> Redaction:
    spans = _find(text, kinds)
    if not spans:
        return Redaction(text, ())
    parts: list[str] = []
    position = 0
    for span in spans:
        parts += (text[position : span.start], span.kind.placeholder)
        position = span.end
    parts.append(text[position:])
    return Redaction("".join(parts), tuple(spans))


def _find(text: str, kinds: frozenset[PiiKind]) -> list[PiiSpan]:
    folded = fold_digits(text)
    found: list[Found] = []
    if kinds & _TEXT_KINDS:
        found += find_textual(folded, kinds)
    if kinds & _NUMERIC_KINDS:
        digit_count = sum(map(folded.count, _ASCII_DIGITS))
        if digit_count >= 4 or "::" in folded or folded.count(":") >= 7:
            view = compact(folded)
            taken = [
                view.from_original(start, end) for kind, start, end in found if kind in _OUTRANK
            ]
            found += (
                (kind, *view.to_original(start, end))
                for kind, start, end in find_numeric(view.text, kinds, digit_count, taken)
            )
    return _resolve(found)


def _resolve(found: list[Found]) -> list[PiiSpan]:
    if len(found) < 2:
        return [PiiSpan(kind, start, end) for kind, start, end in found]
    chosen: list[Found] = []
    claimed = SpanSet()
    for kind, start, end in sorted(found, key=lambda f: (PRIORITY[f[0]], f[1] - f[2], f[1])):
        if claimed.free(start, end):
            chosen.append((kind, start, end))
            claimed.add(start, end)
    chosen.sort(key=lambda f: f[1])
    return [PiiSpan(kind, start, end) for kind, start, end in chosen]


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise InvalidInputError(
            f"PII redaction needs text as a str. Got a {type(text).__name__} instead. "
            "Decode bytes (or convert the value) to str before redacting."
        )
    return text


def _check_kinds(kinds: object, owner: str) -> frozenset[PiiKind]:
    if kinds is None:
        return ALL_KINDS
    allowed = ", ".join(repr(kind.value) for kind in PiiKind)
    if isinstance(kinds, str) or not isinstance(kinds, Iterable):
        raise InvalidInputError(
            f"The 'kinds' parameter of {owner} must be a collection of PII kinds ({allowed}) "
            f"or None. Got a {type(kinds).__name__} instead. Wrap a single kind in a list."
        )
    enabled = set()
    for kind in kinds:
        try:
            enabled.add(PiiKind(str(kind).lower()))
        except ValueError:
            raise InvalidInputError(
                f"The 'kinds' parameter of {owner} must contain only {allowed}. "
                f"Got {kind!r} instead. Use one of those names, or None for all of them."
            ) from None
    return frozenset(enabled)
