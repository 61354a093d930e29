"""Step 4: saving a run's checkpoint (body, head, optimiser, step) and resuming from it.

A resume is refused when the settings that shape the run (:data:`_RESUME_KEYS`) differ from the
checkpoint's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from feedback_nlp.build.sentiment_finetune.config import CHECKPOINT, FinetuneConfig
from feedback_nlp.build.sentiment_finetune.head import _Head
from feedback_nlp.errors import InvalidInputError


def _save_checkpoint(
    head: _Head, optimiser: Any, step: int, config: FinetuneConfig, seconds: float | None
) -> Path:
    """Save the run and its training time so far, earlier runs included.

    ``seconds`` is ``None`` when that is not known (the run resumed a checkpoint that did not
    record it).
    """
    import torch

    from feedback_nlp.build.e5_training import body_state_dict

    config.checkpoint_dir.mkdir(parents=True, exist_ok=True)
    path = config.checkpoint_dir / CHECKPOINT
    scratch = path.with_suffix(".tmp")
    torch.save(
        {
            "step": step,
            "train_seconds": seconds,
            "body": body_state_dict(head.model),
            "head": head.linear.state_dict(),
            "optimiser": optimiser.state_dict(),
            "config": config.to_json(),
        },
        scratch,
    )
    scratch.replace(path)
    return path


def _load_checkpoint(
    head: _Head, optimiser: Any, config: FinetuneConfig
) -> tuple[int, float | None]:
    """Load the checkpoint into ``head`` and ``optimiser``.

    Returns:
        Its step and its training time so far (``None``: written before that was recorded).
    """
    import torch

    path = config.checkpoint_dir / CHECKPOINT
    if not path.is_file():
        raise InvalidInputError(f"Nothing to resume: '{path}' does not exist.")
    state = torch.load(path, map_location="cpu", weights_only=True)
    defaults = FinetuneConfig().to_json()  # a key added since the checkpoint had its default
    saved = {k: state["config"].get(k, defaults[k]) for k in _RESUME_KEYS}
    wanted = {k: v for k, v in config.to_json().items() if k in _RESUME_KEYS}
    if saved != wanted:
        raise InvalidInputError(
            f"'{path}' was written with other settings ({saved}); resume with the same ones "
            f"({wanted}) or start afresh without --resume."
        )
    head.model.load_state_dict(state["body"], strict=False)
    head.linear.load_state_dict(state["head"])
    optimiser.load_state_dict(state["optimiser"])
    seconds = state.get("train_seconds")
    return int(state["step"]), None if seconds is None else float(seconds)


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
        "sources",
        "polar_loss",
        "class_power",
        "group_weights",
    }
)
