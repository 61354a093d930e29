"""Opinion units: the pieces of a feedback item that each carry one opinion.

An item is split in two steps:

1. **Sentences**, with spaCy's rule-based ``sentencizer`` on a blank multilingual pipeline. Its
   sentence-final characters include ``. ! ? … ..``, the Arabic question mark and full stop
   (U+061F, U+06D4), the Hebrew sof pasuq (U+05C3) and the CJK full stop, exclamation and question
   marks (U+3002, U+FF01, U+FF1F), but not the Arabic semicolon (U+061B); the tokenizer is taught
   to split them off Arabic, Hebrew and CJK words. A line break also ends a unit: text typed
   into a feedback box breaks lines on purpose.
2. **Clauses**, at the contrastive connectives of :mod:`feedback_nlp.text.connectives` ("Great
   food but delivery was late" holds two opinions). A split is made only when each side keeps at
   least two words, and the connective's flags allow it ("not only X but also Y", "all but one",
   "not yet" stay whole).

Offsets. Every unit is a slice of the original item: ``unit.text == text[unit.start:unit.end]``,
with ``start`` and ``end`` counted in code points (Python ``str`` indices), so right-to-left text,
ZWNJ, bidi marks and emoji come through unchanged. Units of one item are in text order and do not
overlap. Each unit is trimmed of whitespace and invisible format characters (bidi marks,
zero-width characters) at both ends, of clause punctuation (:data:`CLAUSE_PUNCTUATION`: commas,
semicolons, colons and dashes of all scripts) and list bullets at its start, and, where it was
cut at a connective, of clause punctuation at its end. The connective itself belongs to no unit:
the unit after it starts at the next word ("Great food" / "delivery was late"). A connective that
opens a sentence is dropped in the same way ("But delivery was late." gives "delivery was
late."), and a sentence opening with a subordinating connective is split at the comma closing
that clause ("Although the food was great, delivery was late" gives "the food was great" /
"delivery was late"). Sentence-final punctuation stays with its unit.

Pieces too short to stand alone (fewer than ``min_unit_chars`` characters, or without any letter,
digit or symbol such as an emoji) are merged into the unit before them (or after them, when they
come first), so nothing with content is ever lost. Empty and whitespace-only items give no units.

The parts, one module each: :mod:`~feedback_nlp.text.units.sentences` (step 1, the sentence
pipeline), :mod:`~feedback_nlp.text.units.tokens` (visible tokens, folding and the connective
table), :mod:`~feedback_nlp.text.units.clauses` (step 2, cuts at connectives),
:mod:`~feedback_nlp.text.units.spans` (offsets, trimming and merging small pieces) and
:mod:`~feedback_nlp.text.units.splitter` (the :class:`OpinionUnitSplitter` stage).
"""

from feedback_nlp.text.opinion_unit import OpinionUnit
from feedback_nlp.text.units.clauses import CLAUSE_PUNCTUATION, MIN_SIDE_WORDS
from feedback_nlp.text.units.sentences import sentence_end_chars, sentence_pipeline
from feedback_nlp.text.units.splitter import MIN_UNIT_CHARS, OpinionUnitSplitter
from feedback_nlp.text.units.tokens import fold_for_matching

__all__ = [
    "CLAUSE_PUNCTUATION",
    "MIN_SIDE_WORDS",
    "MIN_UNIT_CHARS",
    "OpinionUnit",
    "OpinionUnitSplitter",
    "fold_for_matching",
    "sentence_end_chars",
    "sentence_pipeline",
]
