"""Step 1 of splitting: the spaCy pipeline that cuts an item into sentences.

A blank multilingual pipeline with a rule-based ``sentencizer``, its tokenizer taught to split
sentence-final marks off Arabic, Hebrew and CJK words; spaCy is imported without PyTorch when
PyTorch is not loaded yet.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokenizer import Tokenizer


# Abbreviations whose full stop does not end a sentence (the blank pipeline knows none).
_ABBREVIATIONS = ("Mr.", "Mrs.", "Ms.", "Dr.", "St.", "vs.", "e.g.", "i.e.", "approx.")
_HASHTAG = re.compile(r"^#[^\W\d_]\w*$")
_DOTS = ("..", "...", "....", ".....", "……")
# Characters that end a sentence wherever they appear, split off any word they touch.
# Ellipsis, Arabic question mark and full stop, Hebrew sof pasuq, CJK full stop, ! and ?.
_ALWAYS_FINAL = "\u2026\u061f\u06d4\u05c3\u3002\uff01\uff1f"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff"
_AR_HE_LETTERS = "\u05d0-\u05ea\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff"
# Hebrew points and cantillation (not the maqaf, paseq or sof pasuq), Arabic harakat and
# Quranic marks.
_AR_HE_MARKS = (
    "\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
)


@functools.cache
def sentence_end_chars() -> tuple[str, ...]:
    """The tokens the sentencizer treats as sentence-final.

    spaCy's default list (``. ! ?``, the Arabic question mark and full stop, the CJK marks, and
    the full stops of many other scripts), plus ``…``, runs of two to five dots, and the Hebrew
    sof pasuq (U+05C3); never the Arabic semicolon (U+061B), which joins clauses.

    Returns:
        The sorted tokens.
    """
    from spacy.pipeline import Sentencizer

    chars = set(Sentencizer.default_punct_chars) | set(_ALWAYS_FINAL) | set(_DOTS)
    chars.discard("\u061b")  # the Arabic semicolon joins clauses
    return tuple(sorted(chars))


@contextlib.contextmanager
def _torch_hidden() -> Iterator[None]:
    """Import spaCy without PyTorch when PyTorch is not loaded yet.

    spaCy's array library (thinc) imports torch whenever it is installed, which costs ~190 MB
    of memory per process; the sentencizer needs none of it. While spaCy is first imported,
    ``import torch`` fails (thinc then records it as absent); afterwards torch imports as usual.
    """
    if "torch" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.modules.get("torch", "") is None:
            del sys.modules["torch"]


@functools.cache
def sentence_pipeline() -> Language:
    """Build (once per process) the blank multilingual spaCy pipeline with a sentencizer.

    Returns:
        The shared pipeline; treat it as read-only.
    """
    with _torch_hidden():
        import spacy
        from spacy.symbols import ORTH
        from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

    nlp = spacy.blank("xx")
    defaults = nlp.Defaults
    prefixes = [*(defaults.prefixes or ()), f"[{_BIDI}]"]
    suffixes = [
        *(defaults.suffixes or ()),
        f"[{_BIDI}]",
        f"[{_ALWAYS_FINAL}]",
        f"(?<=[{_AR_HE_MARKS}])\\.",
        f"(?<=[{_AR_HE_LETTERS}])[.!?]",
    ]
    infixes = [
        *(defaults.infixes or ()),
        f"[{_ALWAYS_FINAL}]",
        f"(?<=[{_AR_HE_LETTERS}])[.!?](?=[{_AR_HE_LETTERS}])",
    ]
    tokenizer = cast("Tokenizer", nlp.tokenizer)
    tokenizer.prefix_search = compile_prefix_regex(prefixes).search
    tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    tokenizer.token_match = _HASHTAG.match  # "#TheNoite" is a word, not "#" + "TheNoite"
    for abbreviation in _ABBREVIATIONS:
        for variant in {abbreviation, abbreviation.lower(), abbreviation.capitalize()}:
            tokenizer.add_special_case(variant, [{ORTH: variant}])
    nlp.add_pipe("sentencizer", config={"punct_chars": list(sentence_end_chars())})
    return nlp
