"""Steps 1 and 2 and the sampler: the training rows, their dev split, and balanced batches.

Rows are read in a fixed order, the dev split is chosen by a hash of each text, and batch ``step``
is drawn from a generator seeded by ``(seed, step)``, so a resumed run sees what an uninterrupted
one would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from feedback_nlp.build.sentiment_data import read_train_rows
from feedback_nlp.build.sentiment_finetune.config import FinetuneConfig, TrainRow
from feedback_nlp.build.sentiment_train import load_onlplab, load_seed
from feedback_nlp.errors import InvalidInputError


def load_finetune_rows(config: FinetuneConfig) -> list[TrainRow]:
    """The training rows of step 1 of the module docstring, in a fixed order."""
    rows = [
        TrainRow(text, label, lang, "seed")
        for text, label, lang in zip(*_seed_columns(config.seed_dir), strict=True)
    ]
    rows += [TrainRow(*row) for row in read_train_rows(config.train_dir, config.sources)]
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


def _group_keys(rows: Sequence[TrainRow], indices: Sequence[int]) -> list[tuple[str, str]]:
    """The (source, language) groups of ``indices``, in the order :func:`_groups` lists them."""
    return sorted({(rows[i].source, rows[i].lang) for i in indices})


def _groups(rows: Sequence[TrainRow], indices: Sequence[int]) -> list[list[list[int]]]:
    """For each (source, language) group, the row indices of each of its classes."""
    table: dict[tuple[str, str], dict[str, list[int]]] = {}
    for i in indices:
        row = rows[i]
        table.setdefault((row.source, row.lang), {}).setdefault(row.label, []).append(i)
    return [[table[key][label] for label in sorted(table[key])] for key in sorted(table)]


@dataclass(frozen=True, slots=True)
class DrawWeights:
    """How often :func:`balanced_batch` draws each group and each class of a group.

    ``None`` draws uniformly (and draws exactly what a run without weights drew).
    """

    groups: list[float] | None = None
    classes: list[list[float]] | None = None


def draw_weights(
    rows: Sequence[TrainRow],
    indices: Sequence[int],
    class_power: float = 0.0,
    group_weights: Sequence[tuple[str, float]] = (),
) -> DrawWeights:
    """The group and class probabilities of ``class_power`` and ``group_weights``.

    A group weighs what ``group_weights`` gives its ``source:lang``, else its ``source``, else 1;
    a class of it weighs its row count to the power ``class_power``.
    """
    named = dict(group_weights)
    if any(weight <= 0 for weight in named.values()):
        raise InvalidInputError(f"Group weights must be positive. Got {named}.")
    keys = _group_keys(rows, indices)
    weights = [named.get(f"{source}:{lang}", named.get(source, 1.0)) for source, lang in keys]
    unknown = set(named) - {source for source, _ in keys} - {f"{s}:{lang}" for s, lang in keys}
    if unknown:
        raise InvalidInputError(
            f"No training group is named {sorted(unknown)}; the groups are "
            f"{', '.join(f'{s}:{lang}' for s, lang in keys)}."
        )
    groups = None if len(set(weights)) <= 1 else [w / sum(weights) for w in weights]
    classes = None
    if class_power != 0.0:
        classes = []
        for members in _groups(rows, indices):
            mass = [len(m) ** class_power for m in members]
            classes.append([m / sum(mass) for m in mass])
    return DrawWeights(groups, classes)


def polar_only(rows: Sequence[TrainRow], indices: Sequence[int]) -> list[bool]:
    """For each row, whether its (source, language) group has no neutral row among ``indices``.

    Such a group was labelled for polarity only (XED's projections have no neutral class), so
    its rows say which of negative and positive a text is, not that it is not neutral.
    """
    neutral = {(rows[i].source, rows[i].lang) for i in indices if rows[i].label == "neutral"}
    return [(row.source, row.lang) not in neutral for row in rows]


def balanced_batch(
    groups: Sequence[Sequence[Sequence[int]]],
    size: int,
    seed: int,
    step: int,
    weights: DrawWeights = DrawWeights(),
) -> list[int]:
    """Row indices of batch ``step``: group, then class, then row, each at random.

    Groups and classes are drawn uniformly unless ``weights`` says otherwise; rows uniformly.
    """
    rng = np.random.default_rng([seed, step])
    picked: list[int] = []
    for _ in range(size):
        g = _draw(rng, len(groups), weights.groups)
        classes = groups[g]
        c = _draw(rng, len(classes), weights.classes[g] if weights.classes else None)
        members = classes[c]
        picked.append(members[int(rng.integers(len(members)))])
    return picked


def _draw(rng: np.random.Generator, n: int, p: Sequence[float] | None) -> int:
    if p is None:
        return int(rng.integers(n))
    return int(rng.choice(n, p=p))
