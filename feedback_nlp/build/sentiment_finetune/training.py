"""The training loop: :func:`train_sentiment` runs (or resumes) a run and finishes the model.

Warm-up and linear decay of the learning rates, class-balanced batches, checkpoints every
``checkpoint_every`` steps and when time runs out, and the finishing step once the planned steps
are done.
"""

from __future__ import annotations

import math
import time

from feedback_nlp.build.e5_build import TRUNK_LAYERS
from feedback_nlp.build.sentiment_finetune.checkpoints import _load_checkpoint, _save_checkpoint
from feedback_nlp.build.sentiment_finetune.config import FinetuneConfig, FinetuneOutcome, Log
from feedback_nlp.build.sentiment_finetune.finish import _finish
from feedback_nlp.build.sentiment_finetune.head import _Head, _optimiser, sentiment_loss
from feedback_nlp.build.sentiment_finetune.rows import (
    _groups,
    balanced_batch,
    draw_weights,
    load_finetune_rows,
    polar_only,
    split_dev,
)
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.sentiment.classifier import LABELS


def _lr_factor(step: int, total: int, warmup_fraction: float) -> float:
    warmup = max(1, int(total * warmup_fraction))
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def _so_far(earlier: float | None, began: float) -> float | None:
    """Training seconds of the earlier runs plus this one's (``None`` when theirs is unknown)."""
    return None if earlier is None else earlier + time.perf_counter() - began


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
    weights = draw_weights(rows, train_idx, config.class_power, config.group_weights)
    total = config.max_steps or max(
        1, math.ceil(config.epochs * len(train_idx) / config.batch_size)
    )
    head = _Head(config)
    optimiser = _optimiser(head, config)
    start, earlier = _load_checkpoint(head, optimiser, config) if resume else (0, 0.0)
    log(
        f"{len(train_idx)} train rows in {len(groups)} (source, language) groups, {len(dev_idx)} "
        f"dev rows; steps {start}..{total} of batch {config.batch_size}"
    )
    labels = torch.tensor([LABELS.index(r.label) for r in rows], dtype=torch.int64)
    polar = torch.tensor(polar_only(rows, train_idx) if config.polar_loss else [False] * len(rows))
    base_lrs = [group["lr"] for group in optimiser.param_groups]
    head.model.train()
    began = time.perf_counter()
    step = start
    deadline = began + config.max_minutes * 60 if config.max_minutes else math.inf
    stop = min(total, config.stop_at_step) if config.stop_at_step is not None else total
    while step < stop and time.perf_counter() < deadline:
        batch = balanced_batch(groups, config.batch_size, config.seed, step, weights)
        factor = _lr_factor(step, total, config.warmup_fraction)
        for group, base in zip(optimiser.param_groups, base_lrs, strict=True):
            group["lr"] = base * factor
        logits = head.logits([rows[i].text for i in batch], config.max_length)
        loss = sentiment_loss(logits, labels[batch], polar[batch])
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
            _save_checkpoint(head, optimiser, step, config, _so_far(earlier, began))
    seconds = _so_far(earlier, began)
    speed = step * config.batch_size / seconds if seconds else None
    _save_checkpoint(head, optimiser, step, config, seconds)
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
