"""The settings and records of a fine-tuning run, and the paths it reads and writes.

:class:`FinetuneConfig` is every setting (stored in checkpoints and the manifest),
:class:`TrainRow` one training row and :class:`FinetuneOutcome` what a run did.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from feedback_nlp.build.e5_build import TRUNK_LAYERS
from feedback_nlp.build.sentiment_data import DEFAULT_SOURCES, TRAIN_DIR
from feedback_nlp.build.sentiment_train import ONLPLAB_DIR, SEED_DIR

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_NAME = "sentiment-e5-ft-v2"
DEFAULT_OUT = REPO_ROOT / "models" / DEFAULT_NAME
DEFAULT_CHECKPOINTS = REPO_ROOT / "var" / "checkpoints" / DEFAULT_NAME
EVAL_DIR = REPO_ROOT.parent / "shared" / "corpora" / "eval" / "sentiment"
REGRESSION_DIR = REPO_ROOT / "corpora" / "sentiment_regression"
HEAD_SCALE = 20.0
"""The head sees the unit vector times this (a cosine classifier), so logits start in range."""
CHECKPOINT = "last.pt"

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class TrainRow:
    """One training row."""

    text: str
    label: str
    lang: str
    source: str


@dataclass(frozen=True, slots=True)
class FinetuneConfig:
    """Every setting of a training run (stored in checkpoints and the manifest)."""

    out_dir: Path = DEFAULT_OUT
    checkpoint_dir: Path = DEFAULT_CHECKPOINTS
    name: str = DEFAULT_NAME
    seed: int = 0
    epochs: float = 2.0
    max_steps: int | None = None
    max_minutes: float | None = None
    stop_at_step: int | None = None
    batch_size: int = 32
    max_length: int = 64
    lr: float = 3e-5
    head_lr: float = 2e-3
    weight_decay: float = 0.01
    warmup_fraction: float = 0.06
    freeze_layers: int = TRUNK_LAYERS
    checkpoint_every: int = 200
    dev_fraction: float = 0.1
    max_rows_per_group: int | None = None
    keep_float16: bool = False
    evaluate: bool = True
    threads: int | None = None
    train_dir: Path = TRAIN_DIR
    sources: tuple[str, ...] = DEFAULT_SOURCES
    """The copied sources of ``train_dir`` to read (the seed set and OnlpLab come besides)."""
    polar_loss: bool = True
    """Rows of a (source, language) group without a neutral row are scored on negative against
    positive only (see :func:`~feedback_nlp.build.sentiment_finetune.head.sentiment_loss`)."""
    seed_dir: Path = SEED_DIR
    onlplab_dir: Path = ONLPLAB_DIR
    class_power: float = 0.0
    """A group's classes are drawn in proportion to their row counts to this power: 0 draws each
    class of the group equally often, 1 as often as the group has rows of it."""
    group_weights: tuple[tuple[str, float], ...] = ()
    """How often a (source, language) group is drawn against the others' weight of 1, by
    ``source`` or ``source:lang`` (the latter wins), e.g. ``(("onlplab", 3.0),)``."""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready settings, paths relative to the repository root.

        A model card must not name the machine it was trained on.
        """
        return {k: _shown(v) for k, v in asdict(self).items()}


def _shown(value: Any) -> Any:
    if isinstance(value, Path):
        return _shown_path(value)
    return [_shown(v) for v in value] if isinstance(value, tuple) else value


def _shown_path(path: Path) -> str:
    """``path`` relative to the repository root (``../shared/...`` beside it), else as given."""
    if not path.is_absolute():
        return str(path)
    return os.path.relpath(path, REPO_ROOT)


@dataclass(slots=True)
class FinetuneOutcome:
    """What a run did: steps, speed, and where the model went (``None`` if not finished)."""

    steps: int
    total_steps: int
    examples_per_s: float | None
    """Over every step of the run and the runs it resumed (``None``: a resumed checkpoint did
    not record its time)."""
    train_seconds: float | None
    """Training time of the run and the runs it resumed (``None``: not recorded)."""
    resumed_from: int
    finished: bool
    model_dir: Path | None
    manifest: dict[str, Any] = field(default_factory=dict)
